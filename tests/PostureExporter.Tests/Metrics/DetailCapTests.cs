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
    private static Finding Violation(string name, DateTimeOffset seen) =>
        new(ControlCatalog.Find("container-run-as-root")!, new SubjectRef(SubjectScope.Workload, new ObjectKey("Deployment", "shop", name)),
            FindingStatus.Violation, "runAsUser is 0", seen, null);

    private static async Task<PrometheusText> ScrapeAsync(SeriesStore store)
    {
        using var stream = new MemoryStream();
        await MetricsExposition.WriteAsync(stream, store, Prometheus.Metrics.NewCustomRegistry(), Prometheus.ExpositionFormat.PrometheusText, CancellationToken.None);
        return PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task DetailSeries_OverTheCap_AreCountedAsDropped_AndExportedWhenRoomFreesUp()
    {
        var store = new SeriesStore();
        var metrics = new PostureMetrics(store, new ClusterModel(), PostureSettings.Default, maxDetailSeries: 1, namespaceInfoLabels: []);
        var seen = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        var a = Violation("a", seen);
        var b = Violation("b", seen.AddMinutes(1));

        metrics.FindingChanged(null, a);
        metrics.FindingChanged(null, b);
        var m = await ScrapeAsync(store);
        Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds"));
        Assert.Equal(1, m.Value("posture_violation_details_dropped"));

        metrics.FindingChanged(a, null);
        m = await ScrapeAsync(store);
        var detail = Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds"));
        Assert.Equal("b", detail.Labels["name"]);
        Assert.Equal(seen.AddMinutes(1).ToUnixTimeSeconds(), detail.Value);
        Assert.Equal(0, m.Value("posture_violation_details_dropped"));
    }
}
