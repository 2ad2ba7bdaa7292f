using PostureExporter.Ops.Tests.Support;
using PostureExporter.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>Every dashboard query, run against a real Prometheus that scrapes the demo exporter with our rules.</summary>
[Collection(MonitoringPipelineGroup.Name)]
public sealed class DashboardQueryTests(MonitoringPipeline pipeline)
{
    /// <summary>Panels whose query may rightly return nothing on the demo cluster shortly after start, and why.</summary>
    private static readonly Dictionary<string, string> MayBeEmpty = new(StringComparer.Ordinal)
    {
        ["posture-overview / Controls that cannot judge this cluster"] =
            "every control enabled today can judge the demo cluster (API-server controls will not, once they exist)",
        ["posture-overview / Watch restarts"] = "no watch restarts (all reasons) in the first seconds of a healthy run",
        ["posture-drift / Firing posture alerts"] =
            "nothing fires in the first seconds: the default-deny alert waits 15 minutes, the others need drift",
    };

    [Fact]
    public async Task EveryPanelQuery_OnRealPrometheus_SucceedsAndReturnsData()
    {
        var prometheus = pipeline.Prometheus;
        // The rules have run: the score and the SLO's ratios (the last in their chain) exist.
        await Eventually.WaitAsync(async () =>
                (await prometheus.QueryAsync("""posture:score{scope="cluster"}""")).GetArrayLength() > 0
                && (await prometheus.QueryAsync("posture:drift_slo:error_ratio5m")).GetArrayLength() > 0,
            TimeSpan.FromSeconds(30), "the recording rules produced nothing:\n" + prometheus.Log);

        var queries = Dashboards.Queries().ToList();
        Assert.True(queries.Count >= 40, $"only {queries.Count} dashboard queries found");
        var failures = new List<string>();
        // One deadline for the lot: it bounds a failure (queries over [1m] need two scrapes), it is not the assertion.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var q in queries)
        {
            var promql = Dashboards.Substitute(q.Expr);
            var mayBeEmpty = MayBeEmpty.ContainsKey($"{q.Dashboard} / {q.Panel}");
            try
            {
                var count = (await prometheus.QueryAsync(promql)).GetArrayLength();
                while (count == 0 && !mayBeEmpty && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250);
                    count = (await prometheus.QueryAsync(promql)).GetArrayLength();
                }
                if (count == 0 && !mayBeEmpty)
                {
                    failures.Add($"{q}: no data\n  query: {promql}");
                }
            }
            catch (PromQueryException e)
            {
                failures.Add($"{q}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void MayBeEmpty_NamesOnlyExistingPanels()
    {
        var panels = Dashboards.Queries().Select(q => $"{q.Dashboard} / {q.Panel}").ToHashSet(StringComparer.Ordinal);

        Assert.All(MayBeEmpty.Keys, k => Assert.Contains(k, panels));
    }

    [Fact]
    public async Task TemplateVariables_OnRealPrometheus_ListNamespacesAndControls()
    {
        var prometheus = pipeline.Prometheus;

        var namespaces = await prometheus.LabelValuesAsync("""posture_namespace_info{cluster=~".*"}""", "namespace");
        var controls = await prometheus.LabelValuesAsync("""posture_control_info{cluster=~".*"}""", "control");
        // No external cluster label here: the list is empty and "All" (.*) selects everything.
        var clusters = await prometheus.LabelValuesAsync("posture_control_info", "cluster");

        Assert.Contains("payments", namespaces);
        Assert.Contains("rbac-cluster-admin-binding", controls);
        Assert.Empty(clusters);
    }
}
