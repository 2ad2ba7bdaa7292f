using System.Text;
using System.Text.RegularExpressions;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Metrics;
using Prometheus;

namespace PostureExporter.Tests.Metrics;

/// <summary>/metrics as a whole: format negotiation, the registry's half and the store's half, and scrapes racing updates.</summary>
public sealed partial class MetricsExpositionTests
{
    /// <summary>What Prometheus 2.x sends.</summary>
    private const string PrometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    private static async Task<string> ScrapeAsync(SeriesStore store, CollectorRegistry registry, ExpositionFormat format)
    {
        using var stream = new MemoryStream();
        await MetricsExposition.WriteAsync(stream, store, registry, format, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Theory]
    [InlineData(null, ExpositionFormat.PrometheusText)]
    [InlineData("", ExpositionFormat.PrometheusText)]
    [InlineData("*/*", ExpositionFormat.PrometheusText)]
    [InlineData("text/plain", ExpositionFormat.PrometheusText)]
    [InlineData("text/plain;version=0.0.4", ExpositionFormat.PrometheusText)]
    [InlineData(PrometheusAccept, ExpositionFormat.OpenMetricsText)]
    [InlineData("application/openmetrics-text", ExpositionFormat.OpenMetricsText)]
    [InlineData("Application/OpenMetrics-Text; version=1.0.0", ExpositionFormat.OpenMetricsText)]
    [InlineData("text/plain, application/openmetrics-text;q=0", ExpositionFormat.PrometheusText)]
    [InlineData("not a media type at all;;;", ExpositionFormat.PrometheusText)]
    public void Negotiate_OpenMetricsOnlyWhenAskedFor(string? accept, ExpositionFormat expected)
    {
        Assert.Equal(expected, MetricsExposition.Negotiate(accept is null ? null : [accept]));
    }

    [Fact]
    public async Task BothHalves_EveryFamilyOnce_OpenMetricsEndsWithOneEof()
    {
        var store = new SeriesStore();
        store.Counter("posture_c_total", "A posture counter.", "ns").Inc("a");
        var registry = Prometheus.Metrics.NewCustomRegistry();
        Prometheus.Metrics.WithCustomRegistry(registry).CreateCounter("health_total", "A health counter.").Inc();

        var text = await ScrapeAsync(store, registry, ExpositionFormat.PrometheusText);
        var om = await ScrapeAsync(store, registry, ExpositionFormat.OpenMetricsText);

        Assert.Equal(["posture_c_total", "health_total"], TypeLine().Matches(text).Select(m => m.Groups[1].Value));
        Assert.DoesNotContain("# EOF", text, StringComparison.Ordinal);
        Assert.Equal(["posture_c", "health"], TypeLine().Matches(om).Select(m => m.Groups[1].Value));
        Assert.EndsWith("\n# EOF\n", om, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(om, "^# EOF", RegexOptions.Multiline));
        Assert.Contains("posture_c_total{ns=\"a\"} 1\n", om, StringComparison.Ordinal);
    }

    /// <summary>The length announced as Content-Length is exactly what is written, in both formats, and the capture is not affected by later updates.</summary>
    [Theory]
    [InlineData(ExpositionFormat.PrometheusText)]
    [InlineData(ExpositionFormat.OpenMetricsText)]
    public async Task CapturedLength_IsTheBytesWritten(ExpositionFormat format)
    {
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns");
        for (var i = 0; i < 5000; i++)
        {
            g.Set(i * 1.5, "namespace-" + i);
        }
        // Values whose text gets longer and shorter, and removals, so the kept byte count has to follow.
        for (var i = 0; i < 5000; i += 3)
        {
            g.Set(i % 2 == 0 ? 1796020704.549 : 0, "namespace-" + i);
        }
        for (var i = 0; i < 5000; i += 7)
        {
            g.Remove("namespace-" + i);
        }
        store.Counter("c_total", "A counter.").Inc();
        store.Gauge("empty", "No series.", "x");
        var registry = Prometheus.Metrics.NewCustomRegistry();
        _ = new ExporterHealthMetrics(registry, "1.0", "abc");

        using var exposition = await MetricsExposition.CaptureAsync(store, registry, format, CancellationToken.None);
        g.Set(-1, "namespace-added-after-the-capture");
        using var stream = new MemoryStream();
        await exposition.WriteToAsync(stream, CancellationToken.None);

        Assert.Equal(stream.Length, exposition.Length);
        Assert.DoesNotContain("namespace-added-after-the-capture", Encoding.UTF8.GetString(stream.ToArray()), StringComparison.Ordinal);
    }

    /// <summary>
    /// The engine thread keeps exactly one or two series ("s{n-1}", "s{n}") while it moves along, and bumps a
    /// counter; scrapes running at the same time must each see a family as it stood between two updates: every
    /// line whole, one or two consecutive series whose values match their labels, the counter never going back.
    /// </summary>
    [Fact]
    public async Task ScrapesDuringUpdates_SeeEachFamilyConsistent()
    {
        var store = new SeriesStore();
        var moving = store.Gauge("moving", "Moves along.", "n");
        var counter = store.Counter("bumps_total", "Bumps.");
        var registry = Prometheus.Metrics.NewCustomRegistry();
        moving.Set(0, "0");
        counter.Ensure();
        using var stop = new CancellationTokenSource();

        var n = 0;
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var k = Interlocked.Increment(ref n);
                moving.Set(k, k.ToString(System.Globalization.CultureInfo.InvariantCulture));
                counter.Inc();
                moving.Remove((k - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        });

        var scrapes = 0;
        var overlapping = 0;
        var lastCount = -1.0;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((overlapping < 200 || scrapes < 500) && DateTime.UtcNow < deadline)
            {
                var before = Volatile.Read(ref n);
                var text = await ScrapeAsync(store, registry, ExpositionFormat.PrometheusText);
                scrapes++;
                if (before > 0 && Volatile.Read(ref n) != before)
                {
                    overlapping++;
                }
                var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Single(lines, l => l == "# TYPE moving gauge");
                Assert.Single(lines, l => l == "# TYPE bumps_total counter");
                var series = lines.Where(l => l.StartsWith("moving{", StringComparison.Ordinal))
                    .Select(l => MovingLine().Match(l))
                    .Select(m => m.Success ? (Label: long.Parse(m.Groups[1].Value), Value: long.Parse(m.Groups[2].Value)) : throw new Xunit.Sdk.XunitException("torn line"))
                    .Order()
                    .ToList();
                Assert.InRange(series.Count, 1, 2);
                Assert.All(series, s => Assert.Equal(s.Label, s.Value));
                if (series.Count == 2)
                {
                    Assert.Equal(series[0].Label + 1, series[1].Label);
                }
                var count = double.Parse(lines.Single(l => l.StartsWith("bumps_total ", StringComparison.Ordinal))["bumps_total ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(count >= lastCount, $"counter went back from {lastCount} to {count}");
                lastCount = count;
            }
        }
        finally
        {
            await stop.CancelAsync();
        }
        await writer;

        Assert.True(overlapping >= 200, $"only {overlapping} of {scrapes} scrapes ran while the writer was updating: the race did not happen");
    }

    /// <summary>PostureMetrics on the store: counts, counters and their removal with the namespace, as exact lines.</summary>
    [Fact]
    public async Task PostureMetrics_CountsAndCounters_ExactLines()
    {
        var store = new SeriesStore();
        var metrics = new PostureMetrics(store, new ClusterModel(), PostureSettings.Default, maxDetailSeries: 10, namespaceInfoLabels: []);
        var control = ControlCatalog.Find("container-run-as-root")!;
        var m = control.Metadata;
        var sev = PostureSettings.Default.SeverityOf(control).Label();
        var subject = new SubjectRef(SubjectScope.Workload, new ObjectKey("Deployment", "shop", "api"));
        var seen = new DateTimeOffset(2026, 11, 30, 0, 0, 0, 500, TimeSpan.Zero);
        var violation = new Finding(control, subject, FindingStatus.Violation, "runAsUser is 0", seen, null);

        metrics.CountsChanged(control, "shop", new FindingCounts(Checked: 2, Violations: 1, Waived: 0));
        metrics.FindingChanged(null, violation);
        var text = await ScrapeAsync(store, Prometheus.Metrics.NewCustomRegistry(), ExpositionFormat.PrometheusText);

        var id = $"control=\"{m.Id}\",severity=\"{sev}\"";
        Assert.Contains($"\nposture_violations{{{id},section=\"{m.Section}\",category=\"{m.Category}\",namespace=\"shop\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nposture_waived{{{id},namespace=\"shop\"}} 0\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nposture_checked{{{id},namespace=\"shop\"}} 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nposture_violation_first_seen_timestamp_seconds{{{id},namespace=\"shop\",kind=\"Deployment\",name=\"api\"}} 1795996800.5\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nposture_violations_opened_total{{{id},namespace=\"shop\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nposture_violations_resolved_total{{{id},namespace=\"shop\"}} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nposture_violation_details_dropped 0\n", text, StringComparison.Ordinal);

        // The subject goes and with it the last checked subject of a namespace the model does not hold: every
        // per-namespace series goes, counters included (they outlive subjects only while the namespace exists).
        metrics.FindingChanged(violation, null);
        metrics.CountsChanged(control, "shop", new FindingCounts(0, 0, 0));
        text = await ScrapeAsync(store, Prometheus.Metrics.NewCustomRegistry(), ExpositionFormat.PrometheusText);

        Assert.DoesNotContain("namespace=\"shop\"", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE posture_violations_resolved_total counter\n", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^moving\{n=""(\d+)""\} (\d+)$")]
    private static partial Regex MovingLine();
}
