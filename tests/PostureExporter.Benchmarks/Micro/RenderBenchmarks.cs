using BenchmarkDotNet.Attributes;
using PostureExporter.Engine;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Metrics;
using PostureExporter.Simulator.Synthetic;
using Prometheus;

namespace PostureExporter.Benchmarks.Micro;

/// <summary>/metrics rendering (MetricsExposition.WriteAsync, as the endpoint does) with the exporter's real metrics layer, fed by the engine over bare pods that violate every container control.</summary>
[MemoryDiagnoser]
public class RenderBenchmarks
{
    private CollectorRegistry _registry = null!;
    private SeriesStore _store = null!;

    /// <summary>
    /// ~10 series per pod with the full catalogue (first-seen series of every container control, plus the
    /// per-namespace gauges and counters): 10k pods ≈ 100k series, 20k ≈ 200k, 43.5k ≈ 436k.
    /// </summary>
    [Params(10_000, 20_000, 43_500)]
    public int Pods { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _registry = Prometheus.Metrics.NewCustomRegistry();
        var model = new ClusterModel();
        _store = new SeriesStore();
        // The health metrics stay in the registry, as in the exporter, so the render covers both halves.
        _ = new ExporterHealthMetrics(_registry, "bench", "bench");
        var metrics = new PostureMetrics(_store, model, PostureSettings.Default, int.MaxValue, []);
        var index = new FindingsIndex(model, PostureSettings.Default, metrics);
        var now = DateTimeOffset.UtcNow;
        foreach (var o in SyntheticObjects.Typed(new SyntheticOptions { Pods = Pods, BarePodsOnly = true, Violations = ViolationMix.All }))
        {
            if (Projector.Project(o) is { } projected)
            {
                index.Upsert(projected, now);
            }
        }
    }

    [Benchmark]
    public async Task<long> Render()
    {
        // Into a sink that only counts: a MemoryStream would grow by doubling to the response's size, and its
        // own ~2x allocation would be measured as the render's.
        var sink = new CountingStream();
        await MetricsExposition.WriteAsync(sink, _store, _registry, ExpositionFormat.PrometheusText, CancellationToken.None);
        return sink.Length;
    }

    /// <summary>The part of a scrape that holds the families' locks, i.e. what the engine thread can wait for.</summary>
    [Benchmark]
    public long CaptureFamilies()
    {
        long length = 0;
        foreach (var snapshot in _store.Capture(ExpositionFormat.PrometheusText))
        {
            length += snapshot.Length;
            snapshot.Dispose();
        }
        return length;
    }
}
