using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PostureExporter.Tests.Support;

namespace PostureExporter.Ops.Tests.Support;

/// <summary>
/// A long-running tool (Prometheus, Alertmanager) on a loopback port, ready when its readiness endpoint
/// answers 200, killed by its own PID on dispose.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, Uri baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

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

    /// <summary>A port that was free a moment ago (the tools cannot report a port 0 they bound).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>
    /// Starts the tool with the arguments for a port and waits for readyPath; on a port race (another process
    /// took the port in between) it retries on a new port.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string tool, Func<int, IEnumerable<string>> args, string readyPath, TimeSpan timeout)
    {
        var exe = Tool.Require(tool);
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in args(port))
            {
                psi.ArgumentList.Add(a);
            }
            var server = new ServerProcess(Process.Start(psi)!, new Uri($"http://127.0.0.1:{port}/"));
            server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            try
            {
                await Eventually.WaitAsync(async () =>
                {
                    if (server._process.HasExited)
                    {
                        return true;
                    }
                    using var r = await Http.GetAsync(new Uri(server.BaseUrl, readyPath));
                    return r.IsSuccessStatusCode;
                }, timeout, $"{tool} did not become ready:\n{server.Log}");
                if (!server._process.HasExited)
                {
                    return server;
                }
                await server._process.WaitForExitAsync();
                if (attempt < 3 && server.Log.Contains("address already in use", StringComparison.Ordinal))
                {
                    await server.DisposeAsync();
                    continue;
                }
                throw new InvalidOperationException($"{tool} exited with code {server._process.ExitCode}:\n{server.Log}");
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
