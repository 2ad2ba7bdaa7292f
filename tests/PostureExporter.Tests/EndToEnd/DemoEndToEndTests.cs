using System.Text.Json;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.EndToEnd;

/// <summary>The real exporter process on --demo, read through /metrics and through kubectl.</summary>
public sealed class DemoEndToEndTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private static double Violations(PrometheusText m, string control, string ns) =>
        m.Value("posture_violations", ("control", control), ("namespace", ns)) ?? double.NaN;

    [Fact]
    public async Task Metrics_OnDemo_ShowExactlyTheSeedFindings()
    {
        var m = await demo.Exporter.ScrapeAsync();

        Assert.Equal(1, Violations(m, "container-run-as-root", "payments"));
        Assert.Equal(0, Violations(m, "container-run-as-root", "monitoring"));
        Assert.Equal(1, m.Value("posture_waived", ("control", "container-run-as-root"), ("namespace", "monitoring")));
        Assert.Equal(1, m.Sum("posture_violations", ("control", "container-run-as-root")));
        Assert.Equal(1, Violations(m, "container-resource-limits", "payments"));
        Assert.Equal(1, Violations(m, "container-resource-limits", "staging"));
        Assert.Equal(2, m.Sum("posture_violations", ("control", "container-resource-limits")));
        Assert.Equal(1, m.Sum("posture_violations", ("control", "rbac-cluster-admin-binding")));
        Assert.Equal(1, Violations(m, "rbac-cluster-admin-binding", ""));
        Assert.Equal(1, Violations(m, "namespace-default-deny-missing", "staging"));
        Assert.Equal(1, Violations(m, "namespace-default-deny-missing", "analytics"));
        Assert.Equal(2, m.Sum("posture_violations", ("control", "namespace-default-deny-missing")));
        Assert.Equal(0, m.Sum("posture_violations", ("control", "container-privileged")));
        Assert.Equal(0, m.Sum("posture_violations", ("control", "image-mutable-tag")));
    }

    [Fact]
    public async Task Metrics_OnDemo_HaveExplicitZerosAndDetailSeries()
    {
        var m = await demo.Exporter.ScrapeAsync();

        // Checked but clean: an explicit 0, so an alert can tell "fixed" from "gone".
        Assert.Equal(0, Violations(m, "container-run-as-root", "analytics"));
        Assert.True(m.Value("posture_checked", ("control", "container-run-as-root"), ("namespace", "analytics")) >= 1);
        var detail = Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds", ("control", "container-run-as-root")));
        Assert.Equal("payments", detail.Labels["namespace"]);
        Assert.Equal("Deployment", detail.Labels["kind"]);
        Assert.Equal("legacy-importer", detail.Labels["name"]);
        Assert.Equal(1, m.Value("posture_cluster_admin_subject", ("binding", "ci-pipeline-admin"), ("subject", "ci-pipeline-sa"), ("expected", "false")));
        Assert.Equal(1, m.Value("posture_cluster_admin_subject", ("binding", "cluster-admin"), ("subject", "system:masters"), ("expected", "true")));
        Assert.Equal(1, m.Value("posture_exporter_informer_synced", ("resource", "pods")));
        Assert.Equal(7, m.Value("posture_exporter_informer_objects", ("resource", "pods")));
        Assert.Equal(1, m.Value("posture_namespace_info", ("namespace", "payments"), ("psa_enforce", "baseline")));
        Assert.Contains(m.Samples, s => s.Name == "posture_exporter_build_info");
    }

    [Fact]
    public async Task Counters_AtStart_DoNotCountViolationsThatAlreadyExisted()
    {
        var m = await demo.Exporter.ScrapeAsync();

        // A restart must not look like drift: what existed at start was not seen appearing.
        Assert.Equal(1, Violations(m, "container-run-as-root", "payments"));
        Assert.Equal(0, m.Value("posture_violations_opened_total", ("control", "container-run-as-root"), ("namespace", "payments")));
        Assert.Equal(0, m.Sum("posture_violations_opened_total"));
        Assert.Equal(0, m.Sum("posture_violations_resolved_total"));
        Assert.True(m.Value("posture_exporter_start_time_seconds") > 0);
    }

    [Fact]
    public async Task Counters_OutliveTheNamespacesLastSubject_WhileTheNamespaceExists()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();
        var api = exporter.ApiUrl!;

        // staging's only workload goes away: its limits gauges go, its counters stay (with the resolution counted).
        await Kubectl.RunAsync(api, "delete", "deployment", "-n", "staging", "test-runner");
        await Kubectl.RunAsync(api, "delete", "replicasets,pods", "-n", "staging", "--all");

        PrometheusText m = null!;
        await Eventually.WaitAsync(async () =>
        {
            m = await exporter.ScrapeAsync();
            return m.Value("posture_checked", ("control", "container-resource-limits"), ("namespace", "staging")) is null;
        }, Deadline, "staging's limits series never went away");
        // Deleting the owners first can move the pods to a transient subject (their ReplicaSet) for a moment,
        // which opens and resolves once more; net, the one violation that existed went away.
        var resolved = m.Value("posture_violations_resolved_total", ("control", "container-resource-limits"), ("namespace", "staging"));
        var opened = m.Value("posture_violations_opened_total", ("control", "container-resource-limits"), ("namespace", "staging"));
        Assert.NotNull(resolved);
        Assert.NotNull(opened);
        Assert.Equal(1, resolved - opened);
    }

    [Fact]
    public async Task Kubectl_GetPodsAllNamespaces_ListsTheSeedPods()
    {
        var json = await Kubectl.RunAsync(demo.Exporter.ApiUrl!, "get", "pods", "-A", "-o", "json");

        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => $"{i.GetProperty("metadata").GetProperty("namespace").GetString()}/{i.GetProperty("metadata").GetProperty("name").GetString()}")
            .ToList();
        Assert.Contains(names, n => n.StartsWith("payments/legacy-importer-", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("monitoring/prometheus-server-", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("staging/test-runner-", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("kube-system/coredns-", StringComparison.Ordinal));
        Assert.Equal(7, names.Count);
    }

    [Fact]
    public async Task ClusterAdminBinding_CreatedAndDeletedWithKubectl_RaisesGaugeAndCounterThenSettles()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();
        var before = await exporter.ScrapeAsync();
        var opened = before.Value("posture_violations_opened_total", ("control", "rbac-cluster-admin-binding"), ("namespace", "")) ?? 0;
        var file = Path.Combine(Path.GetTempPath(), $"crb-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              name: e2e-mallory-admin
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
            subjects:
              - {apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory}
            """);
        try
        {
            await Kubectl.RunAsync(exporter.ApiUrl!, "create", "-f", file);

            PrometheusText m = before;
            // The gauge, the counter and the first-seen series are separate families, and a scrape may fall
            // between the engine's updates of two of them: wait for all three, each at its exact value.
            await Eventually.WaitAsync(async () =>
            {
                m = await exporter.ScrapeAsync();
                return Violations(m, "rbac-cluster-admin-binding", "") == 2
                    && m.Value("posture_violations_opened_total", ("control", "rbac-cluster-admin-binding"), ("namespace", "")) == opened + 1
                    && m.Find("posture_violation_first_seen_timestamp_seconds", ("name", "e2e-mallory-admin")).Any();
            }, Deadline, "the cluster-admin gauge never rose to 2 with one more opened and a first-seen series");
            Assert.Equal(opened + 1, m.Value("posture_violations_opened_total", ("control", "rbac-cluster-admin-binding"), ("namespace", "")));
            Assert.Single(m.Find("posture_violation_first_seen_timestamp_seconds", ("name", "e2e-mallory-admin")));

            await Kubectl.RunAsync(exporter.ApiUrl!, "delete", "clusterrolebinding", "e2e-mallory-admin");

            await Eventually.WaitAsync(async () =>
            {
                m = await exporter.ScrapeAsync();
                return Violations(m, "rbac-cluster-admin-binding", "") == 1;
            }, Deadline, "the cluster-admin gauge never went back to 1");
            Assert.Equal(opened + 1, m.Value("posture_violations_opened_total", ("control", "rbac-cluster-admin-binding"), ("namespace", "")));
            Assert.Empty(m.Find("posture_violation_first_seen_timestamp_seconds", ("name", "e2e-mallory-admin")));
            Assert.Empty(m.Find("posture_cluster_admin_subject", ("binding", "e2e-mallory-admin")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Namespace_DeletedWithKubectl_TakesItsSeriesWithIt()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();

        await Kubectl.RunAsync(exporter.ApiUrl!, "delete", "namespace", "staging");

        await Eventually.WaitAsync(async () =>
        {
            var m = await exporter.ScrapeAsync();
            return !m.Samples.Any(s => s.Labels.TryGetValue("namespace", out var ns) && ns == "staging");
        }, Deadline, "series of namespace staging remained after it was deleted");
    }
}
