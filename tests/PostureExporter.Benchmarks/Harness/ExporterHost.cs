using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PostureExporter.Benchmarks.Harness;

/// <summary>
/// The real exporter (the Release build of src/PostureExporter) in a process of its own, pointed at the
/// simulator through a kubeconfig file, listening on loopback port 0; killed by its own PID on dispose.
/// </summary>
internal sealed partial class ExporterHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<Uri> _metricsUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _kubeconfig;

    private ExporterHost(Process process, long startTimestamp, string kubeconfig)
    {
        _process = process;
        StartTimestamp = startTimestamp;
        _kubeconfig = kubeconfig;
    }

    /// <summary>Stopwatch timestamp taken just before the process was started.</summary>
    public long StartTimestamp { get; }

    public int Pid => _process.Id;

    public Uri MetricsUrl { get; private set; } = null!;

    public Uri BaseUrl => new(MetricsUrl, "/");

    public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = TimeSpan.FromMinutes(5) };

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// src/PostureExporter published as the image ships it, from the repository root (the folder with
    /// PostureExporter.sln above this program); BENCH_EXPORTER_DLL chooses another build.
    /// </summary>
    private static readonly Lazy<string> ExporterDll = new(FindExporterDll);

    private static string FindExporterDll()
    {
        // BENCH_EXPORTER_DLL: measure another build of the exporter, e.g. the published (ReadyToRun) one.
        if (Environment.GetEnvironmentVariable("BENCH_EXPORTER_DLL") is { Length: > 0 } chosen)
        {
            return File.Exists(chosen) ? chosen : throw new FileNotFoundException($"BENCH_EXPORTER_DLL: no such file {chosen}");
        }
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PostureExporter.sln")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            // Not run from a checkout: the copy next to this program (the project reference puts it there).
            return Path.Combine(AppContext.BaseDirectory, "posture-exporter.dll");
        }
        // As the image ships it (Dockerfile): published self-contained for linux-x64, in one composite ReadyToRun
        // image with the runtime's assemblies. Publishing is incremental, so a second run costs seconds; the folder
        // is under bin/, ignored by git. (dotnet starts a self-contained app with the runtime it brings.)
        var output = Path.Combine(dir.FullName, "src", "PostureExporter", "bin", "bench-publish");
        var dll = Path.Combine(output, "posture-exporter.dll");
        Harness.Log.Info("publishing src/PostureExporter (Release, linux-x64, self-contained, composite ReadyToRun) to " + output);
        using var publish = Process.Start(new ProcessStartInfo("dotnet",
            ["publish", Path.Combine(dir.FullName, "src", "PostureExporter"), "-c", "Release", "-r", "linux-x64", "--self-contained", "true",
             "-p:PublishReadyToRun=true", "-p:PublishReadyToRunComposite=true", "-o", output])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var log = publish.StandardOutput.ReadToEnd();
        publish.WaitForExit();
        if (publish.ExitCode != 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException($"publishing src/PostureExporter failed (exit {publish.ExitCode}):\n{log}");
        }
        return dll;
    }

    /// <summary>Starts the exporter against <paramref name="apiServer"/>; returns once it logged its metrics URL.</summary>
    public static async Task<ExporterHost> StartAsync(Uri apiServer, IReadOnlyList<string> extraArgs)
    {
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"posture-bench-{Guid.NewGuid():N}.kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: simulated
              cluster:
                server: {apiServer.ToString().TrimEnd('/')}
            users:
            - name: anonymous
              user:
                token: benchmark
            contexts:
            - name: simulated
              context:
                cluster: simulated
                user: anonymous
            current-context: simulated
            """);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ExporterDll.Value);
        foreach (var a in (string[])["--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0", .. extraArgs])
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["POSTURE_DEBUG_ENDPOINTS"] = "1";
        psi.Environment.Remove("KUBECONFIG");
        // BENCH_EXPORTER_ENV_<NAME>=value reaches the exporter alone as <NAME>=value: e.g. BENCH_EXPORTER_ENV_DOTNET_EnableEventPipe=1
        // with DOTNET_EventPipeOutputPath and DOTNET_EventPipeConfig to profile the exporter and not the harness.
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string key && key.StartsWith(PassThroughPrefix, StringComparison.Ordinal))
            {
                psi.Environment[key[PassThroughPrefix.Length..]] = (string?)e.Value;
            }
        }

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(psi)!;
        var host = new ExporterHost(process, started, kubeconfig);
        process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            host.MetricsUrl = await host._metricsUrl.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _metricsUrl.TrySetException(new InvalidOperationException("the exporter exited:\n" + Log));
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
        if (MetricsLine().Match(line) is { Success: true } m)
        {
            _metricsUrl.TrySetResult(new Uri(m.Groups[1].Value));
        }
    }

    public async Task<bool> IsReadyAsync()
    {
        using var response = await Http.GetAsync(new Uri(BaseUrl, "/readyz"));
        return response.IsSuccessStatusCode;
    }

    public Task<string> ScrapeAsync(CancellationToken ct = default) => Http.GetStringAsync(MetricsUrl, ct);

    /// <summary>The /metrics body as UTF-8, read into a buffer reused across calls (one caller at a time).</summary>
    public Task<ReadOnlyMemory<byte>> ScrapeBytesAsync(CancellationToken ct = default) => _scrape.ReadAsync(Http, MetricsUrl, ct);

    private readonly BodyBuffer _scrape = new(1 << 20);

    /// <summary>Forces a full compacting GC in the exporter (POSTURE_DEBUG_ENDPOINTS) and returns what survived.</summary>
    public async Task<GcReport> CollectGarbageAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseUrl, "/debug/gc")));
        var root = doc.RootElement;
        // An older build (BENCH_EXPORTER_DLL) reports only the heap and the working set.
        return new GcReport(
            root.GetProperty("heapBytes").GetInt64(),
            root.GetProperty("workingSetBytes").GetInt64(),
            root.TryGetProperty("collectionsBefore", out var c) ? c.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [],
            root.TryGetProperty("pauseSecondsBefore", out var p) ? p.GetDouble() : double.NaN,
            root.TryGetProperty("allocatedBytesBefore", out var a) ? a.GetInt64() : 0,
            root.TryGetProperty("jitCompiledMethods", out var j) ? j.GetInt64() : 0,
            root.TryGetProperty("jitCompilationSeconds", out var t) ? t.GetDouble() : double.NaN);
    }

    private const string PassThroughPrefix = "BENCH_EXPORTER_ENV_";

    public double CpuSeconds() => ProcStat.CpuSeconds(Pid);

    public long RssBytes() => ProcStat.RssBytes(Pid);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first, so that a profile being written (see PassThroughPrefix) is completed.
            using (var term = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Http.Dispose();
        File.Delete(_kubeconfig);
    }

    [GeneratedRegex(@"serving metrics at (https?://\S+/metrics)")]
    private static partial Regex MetricsLine();
}

/// <summary>What /debug/gc reports: the heap after a full collection, and the collections and JIT work before it.</summary>
internal sealed record GcReport(long HeapBytes, long WorkingSetBytes, int[] CollectionsBefore, double PauseSecondsBefore, long AllocatedBytesBefore,
    long JitCompiledMethods, double JitCompilationSeconds)
{
    public string Describe() =>
        $"before: {AllocatedBytesBefore / 1048576.0:F0} MiB allocated, collections gen0/1/2 {string.Join('/', CollectionsBefore)}, paused {PauseSecondsBefore:F3} s; "
        + $"JIT {JitCompiledMethods} methods in {JitCompilationSeconds:F3} s";
}
