using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Metrics;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.Metrics;

/// <summary>posture_violation_first_seen_timestamp_seconds is capped; what the cap held back is exported once there is room.</summary>
public sealed class DetailCapTests
{
    private static Finding Violation(string name, DateTimeOffset Seen) =>
        new(ControlCatalog.Find("container-run-as-root")!, new SubjectRef(SubjectScope.Workload, new ObjectKey("Deployment", "shop", name)),
            FindingStatus.Violation, "runAsUser is 0", Seen, null);

    private static readonly DateTimeOffset Seen = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Posture metrics whose cap allows one first-seen series.</summary>
    private static (SeriesStore Store, PostureMetrics Metrics) CappedAtOne()
    {
        var store = new SeriesStore();
        return (store, new PostureMetrics(store, new ClusterModel(), PostureSettings.Default, maxDetailSeries: 1, namespaceInfoLabels: []));
    }

    private static async Task<PrometheusText> ScrapeAsync(SeriesStore store)
    {
        using var stream = new MemoryStream();
        await MetricsExposition.WriteAsync(stream, store, Prometheus.Metrics.NewCustomRegistry(), Prometheus.ExpositionFormat.PrometheusText, CancellationToken.None);
        return PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task DetailSeries_OverTheCap_AreCountedAsDropped_AndExportedWhenRoomFreesUp()
    {
        var (store, metrics) = CappedAtOne();
        var a = Violation("a", Seen);
        var b = Violation("b", Seen.AddMinutes(1));

        metrics.FindingChanged(null, a);
        metrics.FindingChanged(null, b);
        var m = await ScrapeAsync(store);
        Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds"));
        Assert.Equal(1, m.Value("posture_violation_details_dropped"));

        metrics.FindingChanged(a, null);
        m = await ScrapeAsync(store);
        var detail = Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds"));
        Assert.Equal("b", detail.Labels["name"]);
        Assert.Equal(Seen.AddMinutes(1).ToUnixTimeSeconds(), detail.Value);
        Assert.Equal(0, m.Value("posture_violation_details_dropped"));
    }

    [Fact]
    public async Task HeldBackViolations_ThatChangeOrResolve_AreKeptCurrent()
    {
        var (store, metrics) = CappedAtOne();
        var a = Violation("a", Seen);
        var c = Violation("c", Seen.AddMinutes(2));
        var d = Violation("d", Seen.AddMinutes(3));
        metrics.FindingChanged(null, a);
        metrics.FindingChanged(null, c);
        metrics.FindingChanged(null, d);

        // c changes its message while held back, then resolves: it is forgotten, never exported.
        var c2 = c with { Message = "runAsUser is 0 (again)" };
        metrics.FindingChanged(c, c2);
        Assert.Equal(2, (await ScrapeAsync(store)).Value("posture_violation_details_dropped"));
        metrics.FindingChanged(c2, c2 with { Status = FindingStatus.Pass, FirstSeen = null });
        Assert.Equal(1, (await ScrapeAsync(store)).Value("posture_violation_details_dropped"));

        // a goes: the room goes to d, with d's own first-seen time.
        metrics.FindingChanged(a, null);
        var m = await ScrapeAsync(store);
        var detail = Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds"));
        Assert.Equal("d", detail.Labels["name"]);
        Assert.Equal(Seen.AddMinutes(3).ToUnixTimeSeconds(), detail.Value);
        Assert.Equal(0, m.Value("posture_violation_details_dropped"));
    }
}
