using PostureExporter.Ops.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>alerts/alertmanager.example.yaml: valid for Alertmanager, and routes each kind of posture alert where the docs say.</summary>
public sealed class AlertmanagerRoutingTests
{
    private static readonly string Config = Repo.File("alerts", "alertmanager.example.yaml");

    [Fact]
    public async Task Example_AmtoolCheckConfig_Passes()
    {
        var result = await Tool.RunAsync("amtool", ["check-config", Config]);

        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Theory]
    [InlineData("security-pager", "alertname=PostureClusterAdminBindingAppeared", "severity=critical")]
    [InlineData("security-pager", "alertname=PostureDriftBudgetBurnFast", "severity=critical")]
    [InlineData("team-chat,security-queue", "alertname=PostureNamespaceWithoutDefaultDeny", "severity=warning", "namespace=payments", "team=payments")]
    [InlineData("security-queue", "alertname=PostureExporterDown", "severity=warning")]
    [InlineData("security-digest", "alertname=PostureWaiverExpiringSoon", "severity=info", "namespace=monitoring")]
    [InlineData("default", "alertname=Watchdog", "severity=none")]
    public async Task Example_RoutesTheAlert(string receivers, params string[] labels)
    {
        var result = await Tool.RunAsync("amtool", ["config", "routes", "test", "--config.file", Config, "--verify.receivers", receivers, .. labels]);

        Assert.True(result.ExitCode == 0, result.Output);
    }
}
