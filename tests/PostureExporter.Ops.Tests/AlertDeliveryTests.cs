using System.Text.Json;
using PostureExporter.Ops.Tests.Support;
using PostureExporter.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>A posture change on the (simulated) cluster, through the exporter and Prometheus, to Alertmanager.</summary>
[Collection(MonitoringPipelineGroup.Name)]
public sealed class AlertDeliveryTests(MonitoringPipeline pipeline)
{
    private const string Alert = "PostureClusterAdminBindingAppeared";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static string Label(JsonElement alert, string name) =>
        alert.GetProperty("labels").TryGetProperty(name, out var v) ? v.GetString() ?? "" : "";

    [Fact]
    public async Task ClusterAdminBinding_CreatedAndDeletedWithKubectl_ReachesAlertmanager()
    {
        // Arrange: Prometheus has seen the seed's cluster-admin binding for a few scrapes and nothing fires.
        const string opened = """posture_violations_opened_total{control="rbac-cluster-admin-binding", namespace=""}""";
        await Eventually.WaitAsync(async () => (await pipeline.Prometheus.QueryAsync($"count_over_time({opened}[1m]) >= 3")).GetArrayLength() > 0,
            Bound, "Prometheus did not scrape the opened counter three times");
        Assert.Equal(0, (await pipeline.Prometheus.QueryAsync($$"""ALERTS{alertname="{{Alert}}"}""")).GetArrayLength());
        Assert.DoesNotContain(await pipeline.Alertmanager.AlertsAsync(), a => Label(a, "alertname") == Alert);
        var before = (await pipeline.Exporter.ScrapeAsync()).Value("posture_violations_opened_total", ("control", "rbac-cluster-admin-binding"), ("namespace", "")) ?? 0;
        var name = $"mallory-admin-{Guid.NewGuid():N}"[..24];
        using var dir = new TempDir("crb");
        // create -f, not "create clusterrolebinding": kubectl's generators send protobuf, which the simulator does not speak.
        var file = dir.Write("crb.yaml", $"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: {name}
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: cluster-admin
            subjects:
              - apiGroup: rbac.authorization.k8s.io
                kind: User
                name: mallory
            """);

        // Act: the binding appears and, as soon as the exporter has counted it, goes again, possibly before
        // Prometheus's next scrape: the alert must not depend on Prometheus seeing the gauge at 2.
        await Kubectl.RunAsync(pipeline.Exporter.ApiUrl!, "create", "-f", file);
        await Eventually.WaitAsync(async () =>
                (await pipeline.Exporter.ScrapeAsync()).Value("posture_violations_opened_total", ("control", "rbac-cluster-admin-binding"), ("namespace", "")) > before,
            Bound, "the exporter did not count the new binding");
        await Kubectl.RunAsync(pipeline.Exporter.ApiUrl!, "delete", "clusterrolebinding", name);

        // Assert
        JsonElement? received = null;
        await Eventually.WaitAsync(async () =>
        {
            received = (await pipeline.Alertmanager.AlertsAsync()).FirstOrDefault(a => Label(a, "alertname") == Alert);
            return received.HasValue && received.Value.ValueKind != JsonValueKind.Undefined;
        }, Bound, $"{Alert} never reached Alertmanager.\nPrometheus:\n{pipeline.Prometheus.Log}\nAlertmanager:\n{pipeline.Alertmanager.Log}");
        var alert = received!.Value;
        Assert.Equal("critical", Label(alert, "severity"));
        Assert.Equal("active", alert.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(AlertRulesTests.RunbookBase + Alert + ".md", alert.GetProperty("annotations").GetProperty("runbook_url").GetString());
        Assert.Equal("A cluster-admin binding appeared.", alert.GetProperty("annotations").GetProperty("summary").GetString());
    }
}
