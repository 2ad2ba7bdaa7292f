using System.Text.Json.Nodes;
using Xunit;
using static PostureExporter.Simulator.Tests.TestSupport;

namespace PostureExporter.Simulator.Tests;

public sealed class ClusterStoreTests
{
    private readonly ClusterStore _store = new();

    [Fact]
    public void Kinds_AreTheEighteenServedKinds()
    {
        Assert.Equal(18, ClusterStore.Kinds.Count);
        Assert.Contains(ClusterStore.Kinds, k => k is { Group: "rbac.authorization.k8s.io", Plural: "clusterrolebindings", Namespaced: false });
        Assert.Contains(ClusterStore.Kinds, k => k is { Group: "", Plural: "pods", Kind: "Pod", Namespaced: true });
        Assert.Contains(ClusterStore.Kinds, k => k is { Group: "batch", Plural: "cronjobs", ApiVersion: "batch/v1" });
    }

    [Fact]
    public void Create_StampsServerFields_AndSharesOneRevisionAcrossKinds()
    {
        var before = _store.ResourceVersion;
        var ns = _store.Create(NamespaceJson("team-a"));
        var pod = _store.Create(PodJson("web", "team-a"));

        Assert.Equal(before + 1, long.Parse(Rv(ns), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(before + 2, long.Parse(Rv(pod), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(before + 2, _store.ResourceVersion);
        Assert.True(Guid.TryParse(pod["metadata"]!["uid"]!.GetValue<string>(), out _));
        Assert.EndsWith("Z", pod["metadata"]!["creationTimestamp"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Active", ns["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void Create_Twice_ThrowsAlreadyExists()
    {
        _store.Create(PodJson("web"));

        var error = Assert.Throws<StoreConflictException>(() => _store.Create(PodJson("web")));

        Assert.Equal(409, error.Code);
        Assert.Equal("AlreadyExists", error.Reason);
    }

    [Fact]
    public void Create_UnknownKindOrMissingName_Throws400()
    {
        var unknown = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = new JsonObject { ["name"] = "x" } };
        var nameless = PodJson("x");
        nameless["metadata"]!.AsObject().Remove("name");

        Assert.Equal(400, Assert.Throws<StoreException>(() => _store.Create(unknown)).Code);
        Assert.Equal(400, Assert.Throws<StoreException>(() => _store.Create(nameless)).Code);
    }

    [Fact]
    public void Create_DefaultsNamespace_StripsItFromClusterScoped_AndHonoursGenerateName()
    {
        var pod = PodJson("x");
        pod["metadata"]!.AsObject().Remove("namespace");
        var crb = new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = "admins", ["namespace"] = "ignored" },
        };
        var generated = PodJson("unused");
        generated["metadata"]!.AsObject().Remove("name");
        generated["metadata"]!["generateName"] = "worker-";

        Assert.Equal("default", _store.Create(pod)["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Null(_store.Create(crb)["metadata"]!["namespace"]);
        Assert.NotNull(_store.Get("clusterrolebindings", null, "admins"));
        Assert.Matches("^worker-[a-z0-9]{5}$", _store.Create(generated)["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void ReturnedAndPassedObjects_AreCopies()
    {
        var input = PodJson("web");
        var created = _store.Create(input);
        input["metadata"]!["name"] = "changed";
        created["spec"] = null;
        _store.Get("pods", "default", "web")!["metadata"]!["labels"] = new JsonObject { ["x"] = "y" };

        var stored = _store.Get("pods", "default", "web")!;
        Assert.NotNull(stored["spec"]);
        Assert.Null(stored["metadata"]!["labels"]);
    }

    [Fact]
    public void Replace_KeepsIdentity_ChecksResourceVersion_And404sWhenMissing()
    {
        var created = _store.Create(PodJson("web"));
        var update = PodJson("web", label: "tier=front");
        update["metadata"]!["uid"] = "client-made-up";

        var replaced = _store.Replace(update);
        var stale = PodJson("web");
        stale["metadata"]!["resourceVersion"] = Rv(created);

        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), replaced["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal("front", replaced["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal("Conflict", Assert.Throws<StoreConflictException>(() => _store.Replace(stale)).Reason);
        Assert.Equal(404, Assert.Throws<StoreException>(() => _store.Replace(PodJson("missing"))).Code);
    }

    [Fact]
    public void Upsert_CreatesThenReplacesUnconditionally()
    {
        var first = _store.Upsert(PodJson("web"));
        var stale = PodJson("web", label: "v=2");
        stale["metadata"]!["resourceVersion"] = "1";

        var second = _store.Upsert(stale);

        Assert.Equal(first["metadata"]!["uid"]!.GetValue<string>(), second["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal("2", _store.Get("pods", "default", "web")!["metadata"]!["labels"]!["v"]!.GetValue<string>());
    }

    [Fact]
    public void List_IsSortedByNamespaceThenName()
    {
        // Ordinal "a-b/…" < "a/…" would be wrong: the namespace is compared on its own first.
        _store.Create(PodJson("z", "a-b"));
        _store.Create(PodJson("b", "a"));
        _store.Create(PodJson("a", "a"));

        var keys = _store.List("pods").Select(p => $"{p["metadata"]!["namespace"]}/{p["metadata"]!["name"]}").ToList();

        Assert.Equal(["a/a", "a/b", "a-b/z"], keys);
        Assert.Single(_store.List("pods", "a-b"));
    }

    [Fact]
    public void DeleteNamespace_DeletesEverythingInIt()
    {
        _store.Create(NamespaceJson("team-a"));
        _store.Create(PodJson("web", "team-a"));
        _store.Create(PodJson("web", "team-b"));
        _store.Create(new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "RoleBinding",
            ["metadata"] = new JsonObject { ["name"] = "rb", ["namespace"] = "team-a" },
        });

        Assert.True(_store.Delete("namespaces", null, "team-a"));
        Assert.False(_store.Delete("namespaces", null, "team-a"));

        Assert.Empty(_store.List("pods", "team-a"));
        Assert.Empty(_store.List("rolebindings"));
        Assert.Single(_store.List("pods"));
    }

    [Fact]
    public void Get_UnknownResourceIs404_AndNamespacedNeedsANamespace()
    {
        Assert.Equal(404, Assert.Throws<StoreException>(() => _store.Get("services", "default", "x")).Code);
        Assert.Throws<ArgumentException>(() => _store.Get("pods", null, "x"));
        Assert.Null(_store.Get("pods", "default", "x"));
    }

    [Fact]
    public void SlowWatcher_IsDroppedWithoutBlockingWriters()
    {
        var store = new ClusterStore(historyLimit: 100, watchBufferCapacity: 4);
        var start = store.Watch(ClusterStore.KindOf("pods"), ObjectFilter.Everything, store.ResourceVersion, sendInitial: false);

        for (var i = 0; i < 10; i++)
        {
            store.Create(PodJson($"p{i}"));
        }

        var subscription = start.Subscription!;
        Assert.True(subscription.Overflowed);
        Assert.Equal(0, store.WatcherCount);
        var delivered = 0;
        while (subscription.Reader.TryRead(out _))
        {
            delivered++;
        }

        Assert.Equal(4, delivered);
        Assert.True(subscription.Reader.Completion.IsCompleted);
    }

    [Fact]
    public void History_BeyondLimit_MakesOldRevisionsExpire()
    {
        var store = new ClusterStore(historyLimit: 3);
        var start = store.ResourceVersion;
        for (var i = 0; i < 5; i++)
        {
            store.Create(PodJson($"p{i}"));
        }

        var tooOld = store.Watch(ClusterStore.KindOf("pods"), ObjectFilter.Everything, start, sendInitial: false);
        var recent = store.Watch(ClusterStore.KindOf("pods"), ObjectFilter.Everything, store.ResourceVersion - 3, sendInitial: false);

        Assert.Null(tooOld.Subscription);
        Assert.StartsWith("too old resource version", tooOld.ExpiredMessage, StringComparison.Ordinal);
        Assert.Equal(["p2", "p3", "p4"], recent.Initial.Select(e => JsonTools.StringProperty(e.Object.Metadata, "name")));
    }
}
