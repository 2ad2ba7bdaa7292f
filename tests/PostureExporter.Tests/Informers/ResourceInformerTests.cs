using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using PostureExporter.Engine.Model;
using ObjectKey = PostureExporter.Engine.Model.ObjectKey;
using PostureExporter.Informers;
using PostureExporter.Metrics;
using PostureExporter.Simulator;
using PostureExporter.Tests.Support;
using Prometheus;

namespace PostureExporter.Tests.Informers;

/// <summary>The informer against the simulated API server over real HTTP, with the real KubernetesClient.</summary>
public sealed class ResourceInformerTests : IAsyncLifetime, IDisposable
{
    private SimulatedCluster _cluster = null!;
    private Kubernetes _client = null!;
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Channel<InformerEvent> _events = Channel.CreateUnbounded<InformerEvent>();
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync()
    {
        _cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _cluster.BaseAddress.ToString() });
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _cluster.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        _client.Dispose();
        _stop.Dispose();
    }

    private static JsonObject Pod(string ns, string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx:1.27" }) },
    };

    private (ResourceInformer Informer, ExporterHealthMetrics Health, Task Run) Start(int pageSize = 2)
    {
        var health = new ExporterHealthMetrics(_registry, "test", "test");
        var pods = ResourceDescriptor.All.Single(d => d.Resource == "pods");
        var informer = new ResourceInformer(pods, new KubeApi(_client), _events.Writer, health,
            new InformerTiming(TimeSpan.FromSeconds(30), PageSize: pageSize), TimeProvider.System, NullLogger.Instance);
        return (informer, health, informer.RunAsync(_stop.Token));
    }

    private async Task<InformerEvent> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _events.Reader.ReadAsync(timeout.Token);
    }

    [Fact]
    public async Task Informer_ListsInPages_ThenStreamsCreatesAndDeletes()
    {
        for (var i = 0; i < 9; i++)
        {
            _cluster.Store.Create(Pod("team-a", $"pod-{i}"));
        }
        var (informer, health, _) = Start(pageSize: 2);

        // The first list: each page as it comes, then the whole list (which later removes what vanished). Pages
        // are decoded several at a time, but applied in the list's order.
        var pages = new List<ListedPage>();
        var next = await NextAsync();
        for (; next is ListedPage page; next = await NextAsync())
        {
            pages.Add(page);
        }
        var relisted = Assert.IsType<Relisted>(next);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"pod-{i}"), relisted.Objects.Select(o => o.Key.Name));
        Assert.Equal([2, 2, 2, 2, 1], pages.Select(p => p.Objects.Count));
        Assert.Equal(relisted.Objects, pages.SelectMany(p => p.Objects));

        _cluster.Store.Create(Pod("team-a", "pod-new"));
        var added = Assert.IsType<ObjectUpserted>(await NextAsync());
        Assert.Equal(new ObjectKey(Kinds.Pod, "team-a", "pod-new"), added.Object.Key);
        Assert.Equal("ADDED", added.WatchType);

        _cluster.Store.Delete("pods", "team-a", "pod-0");
        var deleted = Assert.IsType<ObjectDeleted>(await NextAsync());
        Assert.Equal(new ObjectKey(Kinds.Pod, "team-a", "pod-0"), deleted.Key);

        Assert.True(informer.HasSynced);
        Assert.Equal(1, health.InformerSynced.WithLabels("pods").Value);
    }

    [Fact]
    public async Task AnObjectOfUnexpectedShape_InTheList_IsCounted_AndTheRestIsListed()
    {
        // The decoder cannot read pod-2 (its containers are a string): it sits on the second of three pages.
        for (var i = 0; i < 5; i++)
        {
            var pod = Pod("team-a", $"pod-{i}");
            if (i == 2)
            {
                pod["spec"] = new JsonObject { ["containers"] = "oops" };
            }
            _cluster.Store.Create(pod);
        }
        var (informer, health, _) = Start(pageSize: 2);

        var next = await NextAsync();
        while (next is ListedPage)
        {
            next = await NextAsync();
        }
        var relisted = Assert.IsType<Relisted>(next);
        Assert.Equal(["pod-0", "pod-1", "pod-3", "pod-4"], relisted.Objects.Select(o => o.Key.Name));
        Assert.Equal(1, health.DecodeErrors.WithLabels("pods").Value);
        await Eventually.WaitAsync(() => informer.HasSynced, TimeSpan.FromSeconds(10), "the watch never went live after the list");
        Assert.Equal(0, health.WatchRestarts.WithLabels("pods", "error").Value);
    }

    [Fact]
    public async Task Informer_WithBookmarksAsked_CountsBookmarkHeartbeats()
    {
        var (_, health, _) = Start();
        Assert.IsType<Relisted>(await NextAsync());

        await Eventually.WaitAsync(() => health.WatchEvents.WithLabels("pods", "BOOKMARK").Value >= 2,
            TimeSpan.FromSeconds(10), "no BOOKMARK heartbeats were counted");
    }
}
