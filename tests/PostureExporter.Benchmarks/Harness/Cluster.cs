using System.Diagnostics;
using System.Globalization;
using System.Text;
using PostureExporter.Simulator;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Harness;

/// <summary>The simulated cluster in this process, filled with a synthetic cluster.</summary>
internal static class Cluster
{
    public static async Task<(SimulatedCluster Cluster, SyntheticSummary Summary)> StartAsync(SyntheticOptions options)
    {
        var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { Listen = "127.0.0.1:0" });
        var sw = Stopwatch.StartNew();
        var summary = SyntheticCluster.Populate(cluster.Store, options);
        Log.Info($"generated {summary.Pods} pods, {summary.Objects} objects, {summary.JsonBytes / 1e6:F0} MB of JSON " +
                 $"({summary.JsonBytes / Math.Max(1, summary.Objects)} B/object) in {sw.Elapsed.TotalSeconds:F1} s at {cluster.BaseAddress}");
        return (cluster, summary);
    }

    /// <summary>Whether the exporter's totals per control equal what the generator says they must be.</summary>
    public static bool GaugesMatch(string metrics, IReadOnlyDictionary<string, ExpectedCounts> expected, out string detail)
    {
        var @checked = MetricsText.SumBy(metrics, "posture_checked", "control");
        var violations = MetricsText.SumBy(metrics, "posture_violations", "control");
        var wrong = new StringBuilder();
        foreach (var (control, want) in expected)
        {
            var c = @checked.GetValueOrDefault(control);
            var v = violations.GetValueOrDefault(control);
            if (c != want.Checked || v != want.Violations)
            {
                wrong.Append(CultureInfo.InvariantCulture, $"{control}: checked {c}/{want.Checked} violations {v}/{want.Violations}; ");
            }
        }
        detail = wrong.ToString();
        return wrong.Length == 0;
    }

    /// <summary>
    /// Waits until /readyz is 200 and, when given, the gauges are right; returns seconds from process start to the
    /// /readyz answer that said ready, when the scrape right after it shows every gauge right (the exporter writes
    /// its gauges before it turns ready, and the cluster does not change meanwhile), or else to the first scrape
    /// that does: the harness's own download and parse of /metrics (~0.1 s at 20k pods, more at 100k) is not the
    /// exporter's time.
    /// </summary>
    public static async Task<double> WaitSyncedAsync(ExporterHost exporter, IReadOnlyDictionary<string, ExpectedCounts>? expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var detail = "not ready";
        double? readyAt = null;
        var firstCheck = true;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (readyAt is null && await exporter.IsReadyAsync())
            {
                readyAt = Stopwatch.GetElapsedTime(exporter.StartTimestamp).TotalSeconds;
            }
            if (readyAt is { } at)
            {
                if (expected is null || GaugesMatch(await exporter.ScrapeAsync(), expected, out detail))
                {
                    return firstCheck ? at : Stopwatch.GetElapsedTime(exporter.StartTimestamp).TotalSeconds;
                }
                firstCheck = false;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"the exporter did not sync within {timeout}: {detail}\n{exporter.Log}");
    }

    public static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(q * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    public static double Median(IEnumerable<double> values) => Percentile(values.ToList(), 0.5);
}
