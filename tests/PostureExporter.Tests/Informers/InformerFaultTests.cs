using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using PostureExporter.Informers;
using PostureExporter.Metrics;
using PostureExporter.Simulator;
using PostureExporter.Tests.Support;
using Prometheus;
using ObjectKey = PostureExporter.Engine.Model.ObjectKey;

namespace PostureExporter.Tests.Informers;

/// <summary>The pod informer through each fault the simulated cluster can inject: it must converge without a restart.</summary>
public sealed class InformerFaultTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private SimulatedCluster _cluster = null!;
    private Kubernetes _client = null!;
    private readonly Channel<InformerEvent> _events = Channel.CreateUnbounded<InformerEvent>();
    private readonly CancellationTokenSource _stop = new();
    private ExporterHealthMetrics _health = null!;
    private ResourceInformer _informer = null!;
    private Task _run = Task.CompletedTask;
    private readonly Dictionary<ObjectKey, bool> _seen = [];
    private int _pages;

    public async Task InitializeAsync()
    {
        _cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _cluster.BaseAddress.ToString() });
        for (var i = 0; i < 3; i++)
        {
            _cluster.Store.Create(Pod($"pod-{i}"));
        }
        _health = new ExporterHealthMetrics(Prometheus.Metrics.NewCustomRegistry(), "test", "test");
        _informer = new ResourceInformer(ResourceDescriptor.All.Single(d => d.Resource == "pods"), new KubeApi(_client), _events.Writer, _health,
            new InformerTiming(IdleTimeout: TimeSpan.FromSeconds(1), PageSize: 2), TimeProvider.System, NullLogger.Instance);
        _run = _informer.RunAsync(_stop.Token);
        await WaitForAsync(() => _seen.Count == 3 && _informer.HasSynced, "the initial list");
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await _cluster.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        _client.Dispose();
        _stop.Dispose();
    }

    private static JsonObject Pod(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "team-a" },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx:1.27" }) },
    };

    private static ObjectKey Key(string name) => new("Pod", "team-a", name);

    /// <summary>Applies informer events to a set, as the engine would, until the condition holds.</summary>
    private async Task WaitForAsync(Func<bool> condition, string what)
    {
        await Eventually.WaitAsync(() =>
        {
            while (_events.Reader.TryRead(out var e))
            {
                switch (e)
                {
                    case ListedPage p:
                        _pages++;
                        foreach (var o in p.Objects)
                        {
                            _seen[o.Key] = true;
                        }
                        break;
                    case Relisted r:
                        _seen.Clear();
                        foreach (var o in r.Objects)
                        {
                            _seen[o.Key] = true;
                        }
                        break;
                    case ObjectUpserted u:
                        _seen[u.Object.Key] = true;
                        break;
                    case ObjectDeleted d:
                        _seen.Remove(d.Key);
                        break;
                }
            }
            return condition();
        }, Deadline, "never reached: " + what);
    }

    private double Restarts(string reason) => _health.WatchRestarts.WithLabels("pods", reason).Value;

    [Fact]
    public async Task DroppedWatch_Reconnects_AndSeesLaterChanges()
    {
        Assert.True(_cluster.Faults.DropWatches() >= 1);
        _cluster.Store.Create(Pod("after-drop"));

        await WaitForAsync(() => _seen.ContainsKey(Key("after-drop")), "the pod created after the drop");
        Assert.True(_health.WatchRestarts.WithLabels("pods", "connection").Value >= 1);
    }

    [Fact]
    public async Task HungWatch_IsRestartedByTheIdleDeadline()
    {
        Assert.True(_cluster.Faults.HangWatches() >= 1);
        _cluster.Store.Create(Pod("after-hang"));

        await WaitForAsync(() => _seen.ContainsKey(Key("after-hang")), "the pod created while the watch hung");
        Assert.True(Restarts("idle_timeout") >= 1);
    }

    [Fact]
    public async Task CompactedHistory_Relists_AndReconcilesDeletes()
    {
        // Keep the informer off the server while history is lost, so it must resume from a forgotten version.
        _cluster.Faults.StartOutage(TimeSpan.FromSeconds(1));
        _cluster.Store.Delete("pods", "team-a", "pod-0");
        _cluster.Store.Create(Pod("during-outage"));
        _cluster.Faults.Compact();

        var pagesOfTheFirstList = _pages;
        await WaitForAsync(() => !_seen.ContainsKey(Key("pod-0")) && _seen.ContainsKey(Key("during-outage")) && _informer.HasSynced,
            "the relist after 410 Gone");
        Assert.True(Restarts("expired") >= 1);
        Assert.True(pagesOfTheFirstList > 0, "the first list came in pages");
        Assert.Equal(pagesOfTheFirstList, _pages); // a relist is applied whole, never half
    }

    [Fact]
    public async Task Outage_MarksUnsynced_ThenRecovers()
    {
        _cluster.Faults.StartOutage(TimeSpan.FromSeconds(3));

        await WaitForAsync(() => !_informer.HasSynced && _health.InformerSynced.WithLabels("pods").Value == 0, "unsynced during the outage");
        Assert.Equal(3, _seen.Count); // the last state is kept
        await WaitForAsync(() => _informer.HasSynced && _health.InformerSynced.WithLabels("pods").Value == 1, "synced after the outage");
        Assert.True(Restarts("http_503") >= 1);
    }

    [Fact]
    public async Task Throttle_HonoursRetryAfter_ThenRecovers()
    {
        _cluster.Faults.StartThrottle(TimeSpan.FromSeconds(1));
        _cluster.Faults.DropWatches();
        _cluster.Store.Create(Pod("after-throttle"));

        await WaitForAsync(() => _seen.ContainsKey(Key("after-throttle")), "the pod created during the throttle");
        Assert.True(Restarts("http_429") >= 1);
    }

    [Fact]
    public async Task MalformedLineAndUnexpectedShape_AreCounted_AndTheWatchGoesOn()
    {
        var restartsBefore = _health.WatchRestarts.WithLabels("pods", "connection").Value + Restarts("error");

        Assert.True(_cluster.Faults.WriteMalformedWatchLine("pods") >= 1);
        Assert.True(_cluster.Faults.WriteUnexpectedShape("pods") >= 1);
        _cluster.Store.Create(Pod("after-garbage"));

        await WaitForAsync(() => _seen.ContainsKey(Key("after-garbage")), "the pod created after the bad lines");
        Assert.Equal(2, _health.DecodeErrors.WithLabels("pods").Value);
        Assert.Equal(restartsBefore, _health.WatchRestarts.WithLabels("pods", "connection").Value + Restarts("error"));
    }
}
