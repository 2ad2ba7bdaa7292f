using PostureExporter.Tests.Support;

namespace PostureExporter.Ops.Tests.Support;

/// <summary>
/// The monitoring pipeline for real: the exporter on --demo (churn off, namespace labels environment and
/// team exported, as deploy/ configures it) → Prometheus (1 s scrape and rule evaluation, the rules from
/// alerts/) → Alertmanager. Shared by the tests of the "ops stack" collection, which run one after another.
/// </summary>
public sealed class MonitoringPipeline : IAsyncLifetime
{
    /// <summary>The configuration deploy/ and the tests use: the labels the SLO and the alert routing read.</summary>
    public const string ExporterConfig = """{"Posture":{"NamespaceInfoLabels":["environment","team"]}}""";

    // A path, not a TempDir: the fixture disposes asynchronously, with the processes that use it.
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"monitoring-pipeline-{Guid.NewGuid():N}");
    private bool _disposed;

    public ExporterProcess Exporter { get; private set; } = null!;
    internal PrometheusServer Prometheus { get; private set; } = null!;
    internal AlertmanagerServer Alertmanager { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        Directory.CreateDirectory(_dir);
        var config = Path.Combine(_dir, "exporter.json");
        await File.WriteAllTextAsync(config, ExporterConfig);
        // The exporter first and ready (every initial list applied), so Prometheus's first scrape already sees
        // the seed's counters at their values: the seed's cluster-admin binding is not an "appearance".
        Exporter = await ExporterProcess.StartDemoAsync("--config", config);
        Alertmanager = await AlertmanagerServer.StartAsync("""
            route:
              receiver: "null"
              group_wait: 0s
            receivers:
              - name: "null"
            """);
        var target = $"{Exporter.MetricsUrl.Host}:{Exporter.MetricsUrl.Port}";
        var alertmanager = $"{Alertmanager.BaseUrl.Host}:{Alertmanager.BaseUrl.Port}";
        Prometheus = await PrometheusServer.StartAsync($"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - {Repo.File("alerts", "posture-rules.yaml")}
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ["{alertmanager}"]
            scrape_configs:
              - job_name: posture-exporter
                honor_labels: true
                static_configs:
                  - targets: ["{target}"]
            """);
        await Eventually.WaitAsync(async () => (await Prometheus.QueryAsync("""up{job="posture-exporter"} == 1""")).GetArrayLength() > 0,
            TimeSpan.FromSeconds(30), "Prometheus never scraped the exporter:\n" + Prometheus.Log);
    }

    public async Task DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }
        if (Alertmanager is not null)
        {
            await Alertmanager.DisposeAsync();
        }
        if (Exporter is not null)
        {
            await Exporter.DisposeAsync();
        }
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MonitoringPipelineGroup : ICollectionFixture<MonitoringPipeline>
{
    public const string Name = "monitoring pipeline";
}
