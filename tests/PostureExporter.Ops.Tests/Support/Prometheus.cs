using System.Text.Json;

namespace PostureExporter.Ops.Tests.Support;

/// <summary>A PromQL query Prometheus refused (bad syntax, bad matching, …).</summary>
internal sealed class PromQueryException(string query, string error) : Exception($"{error}\n  query: {query}");

/// <summary>A real Prometheus (Debian's prometheus package) on 127.0.0.1, with its own temporary storage.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ServerProcess _server;
    private readonly TempDir _dir;

    private PrometheusServer(ServerProcess server, TempDir dir)
    {
        _server = server;
        _dir = dir;
    }

    public Uri BaseUrl => _server.BaseUrl;

    public string Log => _server.Log;

    /// <summary>Starts Prometheus with the given configuration file text (absolute paths inside).</summary>
    public static async Task<PrometheusServer> StartAsync(string configYaml)
    {
        var dir = new TempDir("prometheus");
        try
        {
            var config = dir.Write("prometheus.yml", configYaml);
            var server = await ServerProcess.StartAsync("prometheus", port =>
            [
                $"--config.file={config}",
                $"--storage.tsdb.path={dir.File("data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ], "-/ready", TimeSpan.FromSeconds(60));
            return new PrometheusServer(server, dir);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>An instant query; returns data.result, or throws PromQueryException when the query fails.</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        var url = new Uri(BaseUrl, "api/v1/query?query=" + Uri.EscapeDataString(promql));
        using var response = await Http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new PromQueryException(promql, $"{root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}");
        }
        return root.GetProperty("data").GetProperty("result").Clone();
    }

    /// <summary>The values of a label over the series matching a selector (Grafana's label_values).</summary>
    public async Task<IReadOnlyList<string>> LabelValuesAsync(string selector, string label)
    {
        var url = new Uri(BaseUrl, $"api/v1/series?match[]={Uri.EscapeDataString(selector)}");
        using var response = await Http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new PromQueryException(selector, root.GetProperty("error").GetString() ?? "series query failed");
        }
        return root.GetProperty("data").EnumerateArray()
            .Select(s => s.TryGetProperty(label, out var v) ? v.GetString() ?? "" : "")
            .Where(v => v.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1, clustering off.</summary>
internal sealed class AlertmanagerServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ServerProcess _server;
    private readonly TempDir _dir;

    private AlertmanagerServer(ServerProcess server, TempDir dir)
    {
        _server = server;
        _dir = dir;
    }

    public Uri BaseUrl => _server.BaseUrl;

    public string Log => _server.Log;

    public static async Task<AlertmanagerServer> StartAsync(string configYaml)
    {
        var dir = new TempDir("alertmanager");
        try
        {
            var config = dir.Write("alertmanager.yml", configYaml);
            var server = await ServerProcess.StartAsync("prometheus-alertmanager", port =>
            [
                $"--config.file={config}",
                $"--storage.path={dir.File("data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                // Empty: no gossip listener on 0.0.0.0:9094.
                "--cluster.listen-address=",
                "--log.level=warn",
            ], "-/ready", TimeSpan.FromSeconds(60));
            return new AlertmanagerServer(server, dir);
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    /// <summary>The alerts Alertmanager holds (API v2), as JSON objects with labels, annotations and status.</summary>
    public async Task<IReadOnlyList<JsonElement>> AlertsAsync()
    {
        var body = await Http.GetStringAsync(new Uri(BaseUrl, "api/v2/alerts"));
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.EnumerateArray().Select(a => a.Clone()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }
}
