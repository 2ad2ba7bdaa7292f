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

    /// <summary>Waits until /readyz is 200 and, when given, the gauges are right; returns seconds since process start.</summary>
    public static async Task<double> WaitSyncedAsync(ExporterHost exporter, IReadOnlyDictionary<string, ExpectedCounts>? expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var detail = "not ready";
        var ready = false;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            ready = ready || await exporter.IsReadyAsync();
            if (ready)
            {
                if (expected is null || GaugesMatch(await exporter.ScrapeAsync(), expected, out detail))
                {
                    return Stopwatch.GetElapsedTime(exporter.StartTimestamp).TotalSeconds;
                }
            }
            await Task.Delay(ready ? 20 : 50);
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
