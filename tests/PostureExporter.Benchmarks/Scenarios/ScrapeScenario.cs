using System.Diagnostics;
using PostureExporter.Benchmarks.Harness;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Scenarios;

/// <summary>
/// scrape --series N [--rate R] [--scrapes K]: /metrics render time with ~N series while pod events flow at R/s.
/// The series come from bare pods that violate every container control (a first-seen series per violated control,
/// plus the per-namespace gauges and counters); Posture:MaxDetailSeries is raised so none is dropped.
/// </summary>
internal static class ScrapeScenario
{
    public static async Task<object> RunAsync(Arguments args)
    {
        var series = args.Int("series", 200_000);
        var rate = args.Double("rate", 100);
        // 100 scrapes, so that p99 is a percentile and not the slowest of a few.
        var scrapes = args.Int("scrapes", 100);
        // ~10 series per such pod with the full catalogue (measured: 43.5k pods made 436k series): the first-seen
        // series of every control it violates, and per 50-pod namespace the gauges and counters per control.
        var pods = Math.Max(50, series / 10);
        var (cluster, summary) = await Cluster.StartAsync(new SyntheticOptions
        {
            Pods = pods,
            Seed = args.Int("seed", 1),
            BarePodsOnly = true,
            Violations = ViolationMix.All,
        });
        await using var _ = cluster;
        var churn = new Churn(cluster.Store);
        var config = Path.Combine(Path.GetTempPath(), $"posture-bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, $$$"""{"Posture":{"MaxDetailSeries":{{{series * 2}}}}}""");
        try
        {
            await using var exporter = await ExporterHost.StartAsync(cluster.BaseAddress, ["--config", config]);
            var synced = await Cluster.WaitSyncedAsync(exporter, churn.WithChurn(summary.Expected), TimeSpan.FromMinutes(30));
            Log.Info($"synced {pods} pods in {synced:F1} s; scraping {scrapes} times while churning at {rate}/s");

            using var stop = new CancellationTokenSource();
            var events = churn.RunAsync(rate, TimeSpan.FromHours(1), probe: null, stop.Token);
            var times = new List<double>();
            var firstByte = new List<double>();
            long bytes = 0;
            var actualSeries = 0;
            // Read into one buffer kept across scrapes, as Prometheus does: a fresh 30-60 MB array per scrape
            // would put this process's own collections (it also holds the simulated cluster) into the timings.
            var buffer = new byte[1 << 20];
            for (var i = 0; i < scrapes; i++)
            {
                var sw = Stopwatch.StartNew();
                var length = 0;
                using (var response = await exporter.Http.GetAsync(exporter.MetricsUrl, HttpCompletionOption.ResponseHeadersRead))
                {
                    response.EnsureSuccessStatusCode();
                    firstByte.Add(sw.Elapsed.TotalMilliseconds);
                    await using var body = await response.Content.ReadAsStreamAsync();
                    int read;
                    while ((read = await body.ReadAsync(buffer.AsMemory(length))) > 0)
                    {
                        length += read;
                        if (length == buffer.Length)
                        {
                            Array.Resize(ref buffer, buffer.Length * 2);
                        }
                    }
                }
                times.Add(sw.Elapsed.TotalMilliseconds);
                bytes = length;
                if (i == scrapes - 1)
                {
                    actualSeries = MetricsText.CountSeries(System.Text.Encoding.UTF8.GetString(buffer, 0, length));
                }
                await Task.Delay(100);
            }
            await stop.CancelAsync();
            var made = await events;
            Log.Info($"{made} events during the scrapes; first scrape {times[0]:F0} ms");
            return new
            {
                scenario = "scrape",
                series = actualSeries,
                pods = pods + churn.PodCount,
                p50_ms = Math.Round(Cluster.Percentile(times, 0.50), 1),
                p99_ms = Math.Round(Cluster.Percentile(times, 0.99), 1),
                max_ms = Math.Round(times.Max(), 1),
                headers_p50_ms = Math.Round(Cluster.Percentile(firstByte, 0.50), 1),
                headers_p99_ms = Math.Round(Cluster.Percentile(firstByte, 0.99), 1),
                bytes,
                scrapes,
                events_per_s = rate,
            };
        }
        finally
        {
            File.Delete(config);
        }
    }
}
