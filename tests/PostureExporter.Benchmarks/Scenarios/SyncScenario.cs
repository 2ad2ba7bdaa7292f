using System.Diagnostics;
using System.Text.Json;
using PostureExporter.Benchmarks.Harness;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Scenarios;

/// <summary>
/// sync --pods N [--runs K] [--seed S] [--no-kubectl] [--show-log] [--gcdump FILE]: process start to "ready with every gauge correct", against
/// kubectl listing the same pods and against the floor (the same list pages read over HTTP and only tokenized).
/// </summary>
internal static class SyncScenario
{
    public static async Task<object> RunAsync(Arguments args)
    {
        var pods = args.Int("pods", 1_000);
        var runs = args.Int("runs", 1);
        var (cluster, summary) = await Cluster.StartAsync(new SyntheticOptions { Pods = pods, Seed = args.Int("seed", 1) });
        await using var _ = cluster;
        var api = cluster.BaseAddress;

        // Untimed: the first list JIT-compiles the simulator's list path; every timed reader then meets a warm server.
        var warm = await FloorAsync(api);
        Log.Info($"warm-up list: {warm.Items} pods, {warm.Bytes / 1e6:F0} MB ({warm.Bytes / Math.Max(1, warm.Items)} B/pod) in {warm.Seconds:F2} s");

        var results = new List<(double Exporter, double Kubectl, double Floor, long Heap, long Rss, double Cpu, double GcPause)>();
        for (var run = 0; run < runs; run++)
        {
            double exporterSeconds;
            long heap, rss;
            double cpu, gcPause;
            // --show-log: the exporter logs at Debug and its log is printed, to see when each kind was listed and applied.
            await using (var exporter = await ExporterHost.StartAsync(api, args.Flag("show-log") ? ["--log-level", "Debug"] : []))
            {
                exporterSeconds = await Cluster.WaitSyncedAsync(exporter, summary.Expected, TimeSpan.FromMinutes(30));
                // CPU the exporter used to get there (start-up included): separates its cost from a busy machine's.
                cpu = exporter.CpuSeconds();
                var gc = await exporter.CollectGarbageAsync();
                heap = gc.HeapBytes;
                gcPause = gc.PauseSecondsBefore;
                rss = exporter.RssBytes();
                // --gcdump FILE: a heap dump of the synced exporter (dotnet-gcdump), to see what the heap holds.
                if (args.String("gcdump") is { } dump)
                {
                    await GcDumpAsync(exporter.Pid, dump);
                }
                if (args.Flag("show-log"))
                {
                    Console.Error.WriteLine(exporter.Log);
                }
                Log.Info($"run {run + 1}: exporter ready with correct gauges in {exporterSeconds:F2} s (CPU {cpu:F2} s); heap {heap / 1048576.0:F1} MiB, RSS {rss / 1048576.0:F0} MiB; GC {gc.Describe()}");
            }
            var kubectl = args.Flag("no-kubectl") ? double.NaN : await KubectlAsync(api);
            var floor = await FloorAsync(api);
            Log.Info($"run {run + 1}: kubectl {kubectl:F2} s, floor {floor.Seconds:F2} s");
            results.Add((exporterSeconds, kubectl, floor.Seconds, heap, rss, cpu, gcPause));
        }

        var exporterS = Cluster.Median(results.Select(r => r.Exporter));
        var kubectlS = Cluster.Median(results.Select(r => r.Kubectl));
        var floorS = Cluster.Median(results.Select(r => r.Floor));
        var heapBytes = (long)Cluster.Median(results.Select(r => (double)r.Heap));
        return new
        {
            scenario = "sync",
            pods,
            runs,
            exporter_s = Math.Round(exporterS, 3),
            kubectl_s = Math.Round(kubectlS, 3),
            ratio = Math.Round(exporterS / kubectlS, 4),
            floor_s = Math.Round(floorS, 3),
            floor_ratio = Math.Round(exporterS / floorS, 3),
            heap_bytes = heapBytes,
            heap_bytes_per_pod = heapBytes / pods,
            rss_bytes = (long)Cluster.Median(results.Select(r => (double)r.Rss)),
            exporter_cpu_s = Math.Round(Cluster.Median(results.Select(r => r.Cpu)), 2),
            exporter_gc_pause_s = Math.Round(Cluster.Median(results.Select(r => r.GcPause)), 3),
            objects = summary.Objects,
            json_bytes = summary.JsonBytes,
            each_exporter_s = results.Select(r => Math.Round(r.Exporter, 3)),
            each_kubectl_s = results.Select(r => Math.Round(r.Kubectl, 3)),
            each_floor_s = results.Select(r => Math.Round(r.Floor, 3)),
        };
    }

    /// <summary>dotnet-gcdump collect -p PID -o FILE (the global tool, ~/.dotnet/tools or on PATH).</summary>
    public static async Task GcDumpAsync(int pid, string file)
    {
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
        using var p = Process.Start(new ProcessStartInfo(File.Exists(tool) ? tool : "dotnet-gcdump", ["collect", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", file])
        {
            UseShellExecute = false,
        })!;
        await p.WaitForExitAsync();
        Log.Info($"gcdump of pid {pid} written to {file} (exit {p.ExitCode})");
    }

    /// <summary>KUBECONFIG=/dev/null kubectl --server URL get pods -A -o json &gt; /dev/null, timed.</summary>
    public static async Task<double> KubectlAsync(Uri api)
    {
        var psi = new ProcessStartInfo("bash", ["-c", $"KUBECONFIG=/dev/null kubectl --server {api.ToString().TrimEnd('/')} get pods -A -o json > /dev/null"])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var seconds = sw.Elapsed.TotalSeconds;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl failed ({p.ExitCode}): {await stderr}");
        }
        return seconds;
    }

    /// <summary>
    /// The floor: every pod list page (limit 500, following continue) read over HTTP and tokenized, nothing decoded.
    /// Each page is read into one buffer kept across pages, and this process (which also holds the simulator's
    /// objects) is collected first, so the floor does not pay for its own garbage: an array per page (~3 MB, 200
    /// at 100k pods) had it collect a heap of ~1 GB while timed, and it moved between 1.8 and 4.3 s at 100k.
    /// </summary>
    public static async Task<(double Seconds, long Bytes, int Items)> FloorAsync(Uri api)
    {
        using var http = new HttpClient();
        var buffer = new BodyBuffer(4 << 20);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var sw = Stopwatch.StartNew();
        string? cont = null;
        long bytes = 0;
        var items = 0;
        do
        {
            var url = new Uri(api, "/api/v1/pods?limit=500" + (cont is null ? "" : "&continue=" + Uri.EscapeDataString(cont)));
            var page = await buffer.ReadAsync(http, url);
            bytes += page.Length;
            cont = Tokenize(page.Span, ref items);
        }
        while (cont is not null);
        return (sw.Elapsed.TotalSeconds, bytes, items);
    }

    /// <summary>Reads every token of a list page; returns metadata.continue (null when empty) and counts the items.</summary>
    private static string? Tokenize(ReadOnlySpan<byte> page, ref int items)
    {
        var reader = new Utf8JsonReader(page);
        string? cont = null;
        var inMetadata = false;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                    inMetadata = reader.ValueTextEquals("metadata"u8);
                    break;
                case JsonTokenType.PropertyName when reader.CurrentDepth == 2 && inMetadata && reader.ValueTextEquals("continue"u8):
                    reader.Read();
                    cont = reader.GetString();
                    break;
                case JsonTokenType.StartObject when reader.CurrentDepth == 2 && !inMetadata:
                    items++;
                    break;
            }
        }
        return string.IsNullOrEmpty(cont) ? null : cont;
    }
}
