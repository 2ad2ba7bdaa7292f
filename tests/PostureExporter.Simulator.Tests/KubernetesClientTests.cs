using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;
using static PostureExporter.Simulator.Tests.TestSupport;

namespace PostureExporter.Simulator.Tests;

/// <summary>The real KubernetesClient against the simulator: the protocol the exporter depends on.</summary>
public sealed class KubernetesClientTests : IAsyncLifetime
{
    private SimulatedCluster _cluster = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _cluster = await StartAsync(o => o.BookmarkInterval = TimeSpan.FromMilliseconds(100));
        _client = Client(_cluster);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task CreateAndRead_PodsAndNamespaces()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-a" } });
        var created = await _client.CoreV1.CreateNamespacedPodAsync(Pod("web", "team-a"), "team-a");

        var read = await _client.CoreV1.ReadNamespacedPodAsync("web", "team-a");
        var ns = await _client.CoreV1.ReadNamespaceAsync("team-a");

        Assert.Equal(created.Metadata.Uid, read.Metadata.Uid);
        Assert.Equal("nginx:1.27", read.Spec.Containers[0].Image);
        Assert.Equal("Active", ns.Status.Phase);
        Assert.NotNull(_cluster.Store.Get("pods", "team-a", "web"));
    }

    [Fact]
    public async Task PaginatedList_ReturnsEveryPodExactlyOnce()
    {
        foreach (var name in new[] { "e", "c", "a", "d", "b" })
        {
            await _client.CoreV1.CreateNamespacedPodAsync(Pod(name), "default");
        }

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: token);
            Assert.True(page.Items.Count <= 2);
            names.AddRange(page.Items.Select(p => p.Metadata.Name));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(3, pages);
        Assert.Equal(["a", "b", "c", "d", "e"], names);
    }

    [Fact]
    public async Task PaginatedList_IsASnapshotWhileWritesHappenBetweenPages()
    {
        foreach (var name in new[] { "a", "b", "c", "d", "e", "f" })
        {
            await _client.CoreV1.CreateNamespacedPodAsync(Pod(name), "default");
        }

        var first = await _client.CoreV1.ListNamespacedPodAsync("default", limit: 2);
        var snapshotD = _cluster.Store.Get("pods", "default", "d")!;

        // Between pages: delete one not yet returned, add one that sorts into the rest, modify one.
        await _client.CoreV1.DeleteNamespacedPodAsync("c", "default");
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("bb"), "default");
        await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"v":"2"}}}""", V1Patch.PatchType.MergePatch), "d", "default");

        var second = await _client.CoreV1.ListNamespacedPodAsync("default", limit: 2, continueParameter: first.Metadata.ContinueProperty);
        var third = await _client.CoreV1.ListNamespacedPodAsync("default", limit: 2, continueParameter: second.Metadata.ContinueProperty);

        Assert.Equal(["a", "b", "c", "d", "e", "f"], first.Items.Concat(second.Items).Concat(third.Items).Select(p => p.Metadata.Name));
        Assert.Equal(first.Metadata.ResourceVersion, third.Metadata.ResourceVersion);
        Assert.Equal(Rv(snapshotD), second.Items[1].Metadata.ResourceVersion);
        Assert.True(string.IsNullOrEmpty(third.Metadata.ContinueProperty));
    }

    [Fact]
    public async Task Watch_FromListRevision_SeesCreateModifyDeleteInOrder()
    {
        var list = await _client.CoreV1.ListPodForAllNamespacesAsync();
        using var cancel = new CancellationTokenSource(Deadline);
        var seen = new List<(WatchEventType Type, string Name)>();
        var watch = Task.Run(async () =>
        {
            await foreach (var (type, pod) in _client.CoreV1.WatchListPodForAllNamespacesAsync(
                resourceVersion: list.Metadata.ResourceVersion, timeoutSeconds: 10, cancellationToken: cancel.Token))
            {
                seen.Add((type, pod.Metadata.Name));
                if (seen.Count == 3)
                {
                    break;
                }
            }
        });

        await _client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default");
        await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.StrategicMergePatch), "web", "default");
        await _client.CoreV1.DeleteNamespacedPodAsync("web", "default");
        await watch.WaitAsync(Deadline);

        Assert.Equal([(WatchEventType.Added, "web"), (WatchEventType.Modified, "web"), (WatchEventType.Deleted, "web")], seen);
    }

    [Fact]
    public async Task Watch_WithoutRevision_StartsWithSyntheticAddedForExistingObjects()
    {
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("a"), "default");
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("b", "other"), "other");
        using var cancel = new CancellationTokenSource(Deadline);

        var seen = new List<(WatchEventType, string)>();
        await foreach (var (type, pod) in _client.CoreV1.WatchListNamespacedPodAsync("default", timeoutSeconds: 10, cancellationToken: cancel.Token))
        {
            seen.Add((type, pod.Metadata.Name));
            break;
        }

        Assert.Equal([(WatchEventType.Added, "a")], seen);
    }

    [Fact]
    public async Task Watch_FromRevisionOlderThanHistory_Gets410ThroughOnError()
    {
        await using var small = await StartAsync(o => o.HistoryLimit = 5);
        using var client = Client(small);
        var old = (await client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        for (var i = 0; i < 10; i++)
        {
            small.Store.Create(PodJson($"p{i}"));
        }

        Exception? error = null;
        var events = 0;
        using var cancel = new CancellationTokenSource(Deadline);
        await foreach (var _ in client.CoreV1.WatchListPodForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: old, timeoutSeconds: 10, onError: e => error = e, cancellationToken: cancel.Token))
        {
            events++;
        }

        Assert.Equal(0, events);
        var status = Assert.IsType<KubernetesException>(error).Status;
        Assert.Equal(410, status.Code);
        Assert.Equal("Expired", status.Reason);
        Assert.StartsWith($"too old resource version: {old}", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_WithBookmarks_GetsBookmarksAtTheCurrentRevision()
    {
        var rv = (await _client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        _cluster.Store.Create(PodJson("web"));
        using var cancel = new CancellationTokenSource(Deadline);

        string? bookmarkRv = null;
        var types = new List<WatchEventType>();
        await foreach (var (type, pod) in _client.CoreV1.WatchListPodForAllNamespacesAsync(
            allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: 10, cancellationToken: cancel.Token))
        {
            types.Add(type);
            if (type == WatchEventType.Bookmark)
            {
                bookmarkRv = pod.Metadata.ResourceVersion;
                break;
            }
        }

        Assert.Equal([WatchEventType.Added, WatchEventType.Bookmark], types);
        Assert.Equal(_cluster.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), bookmarkRv);
    }

    [Fact]
    public async Task Watch_WithLabelSelector_ReportsObjectsEnteringAndLeavingTheSelection()
    {
        var rv = (await _client.CoreV1.ListNamespacedPodAsync("default")).Metadata.ResourceVersion;
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default");
        await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":"web"}}}""", V1Patch.PatchType.MergePatch), "web", "default");
        await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"annotations":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), "web", "default");
        await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"app":null}}}""", V1Patch.PatchType.MergePatch), "web", "default");
        using var cancel = new CancellationTokenSource(Deadline);

        var types = new List<WatchEventType>();
        await foreach (var (type, _) in _client.CoreV1.WatchListNamespacedPodAsync(
            "default", labelSelector: "app=web", resourceVersion: rv, timeoutSeconds: 10, cancellationToken: cancel.Token))
        {
            types.Add(type);
            if (types.Count == 3)
            {
                break;
            }
        }

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], types);
    }

    [Fact]
    public async Task Watch_EndsWhenTimeoutSecondsElapse()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var bookmarks = 0;

        // Bookmarks keep lines flowing: see the next test for why an idle watch needs at least one line.
        await foreach (var (type, _) in _client.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, timeoutSeconds: 1, cancellationToken: cancel.Token))
        {
            Assert.Equal(WatchEventType.Bookmark, type);
            bookmarks++;
        }

        Assert.False(cancel.IsCancellationRequested);
        Assert.True(bookmarks > 0);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(0.9), Deadline);
    }

    /// <summary>
    /// Pins a KubernetesClient 21 behaviour the exporter's informer must handle (a real API server triggers it
    /// too): the client peeks at the first line before it returns the watch response, so a watch that ends by
    /// timeoutSeconds without sending a single line surfaces as an HttpRequestException around an
    /// EndOfStreamException instead of a clean end.
    /// </summary>
    [Fact]
    public async Task KubernetesClientQuirk_IdleWatchEndingWithoutAnyLine_Throws()
    {
        using var cancel = new CancellationTokenSource(Deadline);

        var error = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var _ in _client.CoreV1.WatchListPodForAllNamespacesAsync(timeoutSeconds: 1, cancellationToken: cancel.Token))
            {
            }
        });

        Assert.IsType<EndOfStreamException>(error.InnerException);
        Assert.False(cancel.IsCancellationRequested);
    }

    [Fact]
    public async Task Watch_EndsWhenTheClusterIsDisposed()
    {
        await using var cluster = await StartAsync();
        using var client = Client(cluster);
        using var cancel = new CancellationTokenSource(Deadline);
        var watch = Task.Run(async () =>
        {
            await foreach (var _ in client.CoreV1.WatchListPodForAllNamespacesAsync(timeoutSeconds: 60, cancellationToken: cancel.Token))
            {
            }
        });
        await UntilAsync(() => cluster.Store.WatcherCount == 1, "the watch to register");

        await cluster.DisposeAsync();

        // A closed stream may surface as a clean end or an IO error; either way the watch must end promptly.
        await Task.WhenAny(watch, Task.Delay(Deadline));
        Assert.True(watch.IsCompleted, "the watch did not end after DisposeAsync");
        Assert.False(cancel.IsCancellationRequested);
    }

    [Fact]
    public async Task InProcessWrites_ReachHttpWatchers()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var rv = _cluster.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var watch = Task.Run(async () =>
        {
            await foreach (var (type, crb) in _client.RbacAuthorizationV1.WatchListClusterRoleBindingAsync(
                resourceVersion: rv, timeoutSeconds: 10, cancellationToken: cancel.Token))
            {
                return (type, crb.Metadata.Name);
            }

            return default;
        });

        _cluster.Store.Create(new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "admins" },
            ["roleRef"] = new System.Text.Json.Nodes.JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "cluster-admin" },
        });

        Assert.Equal((WatchEventType.Added, "admins"), await watch.WaitAsync(Deadline));
    }

    [Fact]
    public async Task DeletingANamespace_DeletesItsObjects_WithEvents()
    {
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("a", "doomed"), "doomed");
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("b", "doomed"), "doomed");
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("c", "kept"), "kept");
        var rv = (await _client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;

        await _client.CoreV1.DeleteNamespaceAsync("doomed");

        using var cancel = new CancellationTokenSource(Deadline);
        var deleted = new List<string>();
        await foreach (var (type, pod) in _client.CoreV1.WatchListPodForAllNamespacesAsync(resourceVersion: rv, timeoutSeconds: 10, cancellationToken: cancel.Token))
        {
            Assert.Equal(WatchEventType.Deleted, type);
            deleted.Add(pod.Metadata.Name);
            if (deleted.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["a", "b"], deleted);
        Assert.Equal(["c"], (await _client.CoreV1.ListPodForAllNamespacesAsync()).Items.Select(p => p.Metadata.Name));
        Assert.Empty((await _client.CoreV1.ListNamespaceAsync()).Items);
    }

    [Fact]
    public async Task ConcurrentWriters_AreSeenByAWatcherInRevisionOrder_WithoutGapsOrDuplicates()
    {
        const int writers = 4, perWriter = 100;
        var rv = (await _client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        using var cancel = new CancellationTokenSource(Deadline);
        var seen = new List<(string Name, long Rv)>();
        var watch = Task.Run(async () =>
        {
            await foreach (var (type, pod) in _client.CoreV1.WatchListPodForAllNamespacesAsync(resourceVersion: rv, timeoutSeconds: 10, cancellationToken: cancel.Token))
            {
                Assert.Equal(WatchEventType.Added, type);
                seen.Add((pod.Metadata.Name, long.Parse(pod.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture)));
                if (seen.Count == writers * perWriter)
                {
                    break;
                }
            }
        });

        // Half in-process, half over HTTP: both paths commit through the same lock.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                if (w % 2 == 0)
                {
                    _cluster.Store.Create(PodJson($"w{w}-{i}"));
                }
                else
                {
                    await _client.CoreV1.CreateNamespacedPodAsync(Pod($"w{w}-{i}"), "default");
                }
            }
        })));
        await watch.WaitAsync(Deadline);

        Assert.Equal(writers * perWriter, seen.Select(s => s.Name).Distinct().Count());
        Assert.Equal(seen.Select(s => s.Rv).Order(), seen.Select(s => s.Rv));
        Assert.Equal(seen[^1].Rv - seen[0].Rv + 1, seen.Count);
    }

    [Fact]
    public async Task DuplicateCreate_Is409AlreadyExists()
    {
        await _client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default"));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"AlreadyExists\"", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingObject_Is404NotFound()
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedPodAsync("nope", "default"));

        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
        Assert.Contains("pods \\\"nope\\\" not found", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replace_WithStaleResourceVersion_Is409Conflict()
    {
        var created = await _client.CoreV1.CreateNamespacedPodAsync(Pod("web"), "default");
        created.Metadata.Labels = new Dictionary<string, string> { ["v"] = "1" };
        await _client.CoreV1.ReplaceNamespacedPodAsync(created, "web", "default");

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedPodAsync(created, "web", "default"));

        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
    }

    [Fact]
    public async Task OtherGroups_WorkThroughTheirOwnClients()
    {
        await _client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "admins" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "cluster-admin" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "system:masters", ApiGroup = "rbac.authorization.k8s.io" }],
        });
        await _client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = "web" },
                Spec = new V1DeploymentSpec
                {
                    Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                    Template = new V1PodTemplateSpec { Spec = Pod("x").Spec },
                },
            },
            "default");
        await _client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy { Metadata = new V1ObjectMeta { Name = "deny" }, Spec = new V1NetworkPolicySpec() }, "default");

        var status = await _client.RbacAuthorizationV1.DeleteClusterRoleBindingAsync("admins");

        Assert.Equal("Success", status.Status);
        Assert.Single((await _client.AppsV1.ListDeploymentForAllNamespacesAsync()).Items);
        Assert.Single((await _client.NetworkingV1.ListNamespacedNetworkPolicyAsync("default")).Items);
        Assert.Empty((await _client.RbacAuthorizationV1.ListClusterRoleBindingAsync()).Items);
    }
}
