using System.Text;
using PostureExporter.Simulator.Synthetic;
using Xunit;

namespace PostureExporter.Simulator.Tests;

public sealed class BulkAndSyntheticTests
{
    private readonly ClusterStore _store = new();

    private static ReadOnlyMemory<byte> Utf8(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void CreateMany_StampsServerFields_DefaultsTheNamespace_AndWatchersSeeEveryObject()
    {
        var created = _store.CreateMany([
            Utf8("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}"""),
            Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"team-a","uid":"client-set","resourceVersion":"7"},"spec":{"containers":[]}}"""),
            Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare"}}"""),
        ]);

        Assert.Equal(3, created);
        var pod = _store.Get("pods", "team-a", "web")!;
        Assert.NotEqual("client-set", pod["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(_store.ResourceVersion - 1, long.Parse(pod["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotNull(pod["spec"]!["containers"]);
        Assert.NotNull(_store.Get("pods", "default", "bare"));
        Assert.Equal("Active", _store.Get("namespaces", null, "team-a")!["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public void CreateMany_ReusedBuffer_StoresEachObjectAsItWas()
    {
        var buffer = new byte[256];
        IEnumerable<ReadOnlyMemory<byte>> Objects()
        {
            for (var i = 0; i < 3; i++)
            {
                var n = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"sa-" + i + "\",\"namespace\":\"x\"}}", buffer);
                yield return buffer.AsMemory(0, n);
            }
        }

        _store.CreateMany(Objects());

        Assert.Equal(["sa-0", "sa-1", "sa-2"], _store.List("serviceaccounts").Select(o => o["metadata"]!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void CreateMany_Duplicate_ThrowsAlreadyExists_AndBadInputIsRefused()
    {
        _store.CreateMany([Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"a"}}""")]);

        Assert.Throws<StoreConflictException>(() => _store.CreateMany([Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"a"}}""")]));
        Assert.Equal(400, Assert.Throws<StoreException>(() => _store.CreateMany([Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-"}}""")])).Code);
        Assert.Equal(400, Assert.Throws<StoreException>(() => _store.CreateMany([Utf8("""{"kind":"Pod","metadata":{"name":"x"}}""")])).Code);
        Assert.Equal(400, Assert.Throws<StoreException>(() => _store.CreateMany([Utf8("{not json")])).Code);
    }

    [Fact]
    public void UpsertUtf8_KeepsUidAndCreation_AndBumpsTheRevision()
    {
        _store.UpsertUtf8(Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"a","labels":{"v":"1"}}}"""));
        var first = _store.Get("pods", "a", "web")!;
        _store.UpsertUtf8(Utf8("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"a","labels":{"v":"2"}}}"""));
        var second = _store.Get("pods", "a", "web")!;

        Assert.Equal(first["metadata"]!["uid"]!.GetValue<string>(), second["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(first["metadata"]!["creationTimestamp"]!.GetValue<string>(), second["metadata"]!["creationTimestamp"]!.GetValue<string>());
        Assert.Equal("2", second["metadata"]!["labels"]!["v"]!.GetValue<string>());
        Assert.Equal(_store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), second["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public void Populate_MakesExactlyThePodsAsked_DeterministicallyFromTheSeed()
    {
        var options = new SyntheticOptions { Pods = 777, Seed = 42 };
        var summary = SyntheticCluster.Populate(_store, options);
        var again = SyntheticCluster.Populate(new ClusterStore(), options);

        Assert.Equal(777, summary.Pods);
        Assert.Equal(777, _store.List("pods").Count);
        Assert.Equal(15, summary.Namespaces.Count);
        Assert.Equal(summary.ObjectsByKind, again.ObjectsByKind);
        Assert.Equal(summary.Expected, again.Expected);
        Assert.Equal(summary.JsonBytes, again.JsonBytes);
        Assert.Contains(summary.Expected, kv => kv.Value.Violations > 0);
        Assert.True(summary.ObjectsByKind["Deployment"] > summary.ObjectsByKind["StatefulSet"]);
        Assert.InRange(summary.JsonBytes / summary.Objects, 3_000, 8_000);
    }
}
