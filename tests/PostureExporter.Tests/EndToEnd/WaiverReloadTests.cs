using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.EndToEnd;

/// <summary>Central waivers from the configuration file apply without a restart; invalid ones are never honoured.</summary>
public sealed class WaiverReloadTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"posture-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_config);

    private const string Waiver = """
        { "Posture": { "Waivers": [ { "Control": "container-run-as-root", "Namespace": "payments", "Kind": "Deployment",
          "Name": "legacy-*", "Reason": "migration to non-root in progress", "Owner": "payments-team", "Ticket": "SEC-1", "Until": "2099-01-31" } ] } }
        """;

    private static double? Waived(PrometheusText m) => m.Value("posture_waived", ("control", "container-run-as-root"), ("namespace", "payments"));

    private async Task WriteAsync(string text)
    {
        await File.WriteAllTextAsync(_config, text);
        File.SetLastWriteTimeUtc(_config, DateTime.UtcNow);
    }

    [Fact]
    public async Task CentralWaiver_ChangedInTheFile_AppliesWithoutARestart()
    {
        await WriteAsync(Waiver);
        await using var exporter = await ExporterProcess.StartDemoAsync("--config", _config);
        var m = await exporter.ScrapeAsync();
        Assert.Equal(1, Waived(m));
        Assert.Equal(new DateTimeOffset(2099, 2, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(),
            m.Value("posture_waiver_expiry_timestamp_seconds", ("control", "container-run-as-root"), ("namespace", "payments"), ("name", "legacy-importer")));

        await WriteAsync("""{ "Posture": { "Waivers": [] } }""");
        await Eventually.WaitAsync(async () => Waived(await exporter.ScrapeAsync()) == 0, Deadline, "removing the waiver was never applied");

        // A file that no longer parses keeps the settings in force.
        await WriteAsync("{ not json");
        await Eventually.WaitAsync(() => exporter.Log.Contains("cannot be used, keeping the previous waivers", StringComparison.Ordinal), Deadline, "the bad file was not reported");
        Assert.Equal(0, Waived(await exporter.ScrapeAsync()));

        await WriteAsync(Waiver);
        await Eventually.WaitAsync(async () => Waived(await exporter.ScrapeAsync()) == 1, Deadline, "restoring the waiver was never applied");
    }

    [Fact]
    public async Task CentralWaiver_WithoutAReason_IsIgnoredLoggedAndCounted()
    {
        await WriteAsync("""
            { "Posture": { "Waivers": [
              { "Control": "container-run-as-root", "Namespace": "payments", "Name": "*" },
              { "Control": "container-resource-limits", "Namespace": "staging", "Name": "*", "Reason": "load tests", "Until": "2099-12-31" } ] } }
            """);
        await using var exporter = await ExporterProcess.StartDemoAsync("--config", _config);

        var m = await exporter.ScrapeAsync();
        Assert.Equal(0, Waived(m));
        Assert.Equal(1, m.Value("posture_violations", ("control", "container-run-as-root"), ("namespace", "payments")));
        Assert.Equal(1, m.Value("posture_waived", ("control", "container-resource-limits"), ("namespace", "staging")));
        Assert.Equal(1, m.Value("posture_exporter_invalid_waivers"));
        Assert.Contains("Posture:Waivers:0:Reason", exporter.Log, StringComparison.Ordinal);
    }
}
