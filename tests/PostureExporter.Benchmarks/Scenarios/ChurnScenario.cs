using System.Diagnostics;
using PostureExporter.Benchmarks.Harness;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Scenarios;

/// <summary>
/// churn --pods N --rate R --seconds S [--probe-every K]: after sync, pod events at R/s. Two phases of S seconds:
/// first latency (every K-th event, once the previous probe was seen, flips a probe pod and /metrics is polled until
/// the probe namespace's count shows it), then CPU (the same events, nobody polling, the exporter's utime+stime).
/// </summary>
internal static class ChurnScenario
{
    public static async Task<object> RunAsync(Arguments args)
    {
        var pods = args.Int("pods", 10_000);
        var rate = args.Double("rate", 1_000);
        var seconds = args.Double("seconds", 30);
        var probeEvery = args.Int("probe-every", 50);
        var (cluster, summary) = await Cluster.StartAsync(new SyntheticOptions { Pods = pods, Seed = args.Int("seed", 1) });
        await using var _ = cluster;
        var churn = new Churn(cluster.Store);
        await using var exporter = await ExporterHost.StartAsync(cluster.BaseAddress, []);
        var synced = await Cluster.WaitSyncedAsync(exporter, churn.WithChurn(summary.Expected), TimeSpan.FromMinutes(30));
        Log.Info($"synced in {synced:F1} s; churning at {rate}/s for 2 x {seconds} s");

        // Phase 1: latency samples.
        var latencies = new List<double>();
        Probe? outstanding = null;
        using var posted = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        var poller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await posted.WaitAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                var probe = Volatile.Read(ref outstanding)!;
                while (true)
                {
                    var body = await exporter.ScrapeBytesAsync();
                    var seen = MetricsText.Value(body.Span, "posture_violations", ("control", SyntheticCluster.RunAsRoot), ("namespace", Churn.ProbeNamespace)) ?? 0;
                    if ((int)seen == probe.Expected)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(probe.Written).TotalMilliseconds);
                        Volatile.Write(ref outstanding, null);
                        break;
                    }
                    if (Stopwatch.GetElapsedTime(probe.Written) > TimeSpan.FromSeconds(30))
                    {
                        throw new TimeoutException($"probe to {probe.Expected} not seen in 30 s (seen {seen})");
                    }
                }
            }
        });
        var made1 = await churn.RunAsync(rate, TimeSpan.FromSeconds(seconds), i =>
        {
            if (i % probeEvery != 0 || Volatile.Read(ref outstanding) is not null)
            {
                return false;
            }
            var written = Stopwatch.GetTimestamp();
            var expected = churn.Probe();
            Volatile.Write(ref outstanding, new Probe(expected, written));
            posted.Release();
            return true;
        });
        // Let the last probe resolve, then stop the poller.
        for (var i = 0; i < 3000 && Volatile.Read(ref outstanding) is not null; i++)
        {
            await Task.Delay(10);
        }
        await stop.CancelAsync();
        await poller;
        Log.Info($"phase 1: {made1} events, {latencies.Count} latency samples");

        // Phase 2: CPU, nobody polling.
        var cpu0 = exporter.CpuSeconds();
        var sw = Stopwatch.StartNew();
        var made2 = await churn.RunAsync(rate, TimeSpan.FromSeconds(seconds), probe: null);
        var wall = sw.Elapsed.TotalSeconds;
        var cpu = exporter.CpuSeconds() - cpu0;

        // Did it keep up? The state it shows must become the harness's.
        var expectedState = churn.Expected();
        var lag = Stopwatch.StartNew();
        var converged = false;
        while (lag.Elapsed < TimeSpan.FromSeconds(60) && !(converged = Churn.Converged(await exporter.ScrapeAsync(), expectedState)))
        {
            await Task.Delay(20);
        }
        Log.Info($"phase 2: {made2} events in {wall:F1} s, exporter CPU {cpu:F2} s; converged={converged} after {lag.Elapsed.TotalMilliseconds:F0} ms");

        return new
        {
            scenario = "churn",
            pods = pods + churn.PodCount,
            events_per_s = Math.Round(made2 / wall, 1),
            p50_ms = Math.Round(Cluster.Percentile(latencies, 0.50), 1),
            p99_ms = Math.Round(Cluster.Percentile(latencies, 0.99), 1),
            max_ms = Math.Round(latencies.Count == 0 ? double.NaN : latencies.Max(), 1),
            samples = latencies.Count,
            cpu_cores = Math.Round(cpu / wall, 3),
            converged,
            converge_ms = Math.Round(lag.Elapsed.TotalMilliseconds, 0),
        };
    }

    private sealed record Probe(int Expected, long Written);
}
