using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace PostureExporter.Tests.Support;

/// <summary>
/// The real exporter binary in its own process, on loopback port 0; ready when its log names the chosen ports
/// and /readyz answers 200. Killed by its own PID on dispose.
/// </summary>
public sealed partial class ExporterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<Uri> _metricsUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Uri> _apiUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ExporterProcess(Process process)
    {
        _process = process;
    }

    public Uri MetricsUrl { get; private set; } = null!;
    public Uri BaseUrl => new(MetricsUrl, "/");
    public Uri? ApiUrl { get; private set; }
    public int Pid => _process.Id;

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

    public static string ExporterDll => Path.Combine(AppContext.BaseDirectory, "posture-exporter.dll");

    /// <summary>Runs the exporter to completion (for commands like audit) and returns exit code and output.</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunToEndAsync(params string[] args)
    {
        var psi = StartInfo(args);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ExporterDll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment.Remove("KUBECONFIG");
        return psi;
    }

    public static Task<ExporterProcess> StartDemoAsync(params string[] extraArgs) =>
        StartAsync(demo: true, ["--demo", "--listen", "127.0.0.1:0", "--demo-api-listen", "127.0.0.1:0", "--demo-churn", "0", .. extraArgs]);

    /// <summary>
    /// Starts the exporter with the given arguments (they must include a --listen on loopback); returns once it is
    /// ready, or with <paramref name="waitReady"/> false once it serves.
    /// </summary>
    public static async Task<ExporterProcess> StartAsync(bool demo, string[] args, bool waitReady = true)
    {
        var process = Process.Start(StartInfo(args))!;
        var exporter = new ExporterProcess(process);
        process.OutputDataReceived += (_, e) => exporter.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => exporter.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (!demo)
            {
                exporter._apiUrl.TrySetResult(new Uri("http://unused"));
            }
            await exporter.WaitStartedAsync(TimeSpan.FromSeconds(60), waitReady);
        }
        catch
        {
            await exporter.DisposeAsync();
            throw;
        }
        return exporter;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _metricsUrl.TrySetException(new InvalidOperationException("the exporter exited:\n" + Log));
            _apiUrl.TrySetException(new InvalidOperationException("the exporter exited:\n" + Log));
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
        if (ApiLine().Match(line) is { Success: true } a)
        {
            _apiUrl.TrySetResult(new Uri(a.Groups[1].Value));
        }
    }

    private async Task WaitStartedAsync(TimeSpan timeout, bool waitReady)
    {
        using var cts = new CancellationTokenSource(timeout);
        MetricsUrl = await _metricsUrl.Task.WaitAsync(cts.Token);
        ApiUrl = await _apiUrl.Task.WaitAsync(cts.Token);
        if (!waitReady)
        {
            return;
        }
        using var http = NewHttpClient();
        await Eventually.WaitAsync(async () =>
        {
            using var r = await http.GetAsync(new Uri(BaseUrl, "/readyz"));
            return r.IsSuccessStatusCode;
        }, timeout, "the exporter never became ready:\n" + Log);
    }

    /// <summary>An HTTP client that accepts the test's self-signed serving certificates.</summary>
    public static HttpClient NewHttpClient() => new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    });

    public async Task<PrometheusText> ScrapeAsync()
    {
        using var http = NewHttpClient();
        return PrometheusText.Parse(await http.GetStringAsync(MetricsUrl));
    }

    /// <summary>Waits for the process to end by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"serving metrics at (https?://\S+/metrics)")]
    private static partial Regex MetricsLine();

    [GeneratedRegex(@"demo cluster API at (http://[^\s;]+)")]
    private static partial Regex ApiLine();
}
