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

    /// <summary>~4.6 series per pod: 10k pods ≈ 46k series, 43.5k pods ≈ 200k series.</summary>
    [Params(10_000, 43_500)]
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
        using var stream = new MemoryStream();
        await MetricsExposition.WriteAsync(stream, _store, _registry, ExpositionFormat.PrometheusText, CancellationToken.None);
        return stream.Length;
    }
}
