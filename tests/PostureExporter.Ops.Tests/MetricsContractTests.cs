using System.Text.RegularExpressions;
using PostureExporter.Ops.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>The exporter's /metrics: lint-clean for promtool, and the source of every name the rules and dashboards use.</summary>
[Collection(MonitoringPipelineGroup.Name)]
public sealed partial class MetricsContractTests(MonitoringPipeline pipeline)
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Metrics_PromtoolCheckMetrics_FindsNoProblem()
    {
        var text = await Http.GetStringAsync(pipeline.Exporter.MetricsUrl);

        var result = await Tool.RunAsync("promtool", ["check", "metrics"], stdin: text);

        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"promtool check metrics (exit {result.ExitCode}):\n{result.Output}");
        Assert.Contains("# TYPE posture_violations gauge", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesAndDashboards_UseOnlyMetricNamesTheExporterExports()
    {
        var text = await Http.GetStringAsync(pipeline.Exporter.MetricsUrl);
        var exported = HelpLine().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var used = Dashboards.Queries().Select(q => q.Expr)
            .Concat(AlertRulesTests.Rules().Select(r => (string)r["expr"]!))
            .SelectMany(e => MetricName().Matches(e).Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);

        var unknown = used.Where(n => !exported.Contains(n) && !exported.Contains(HistogramSuffix().Replace(n, ""))).Order(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(used);
        Assert.True(unknown.Count == 0, "names the exporter does not export: " + string.Join(", ", unknown));
    }

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) ", RegexOptions.Multiline)]
    private static partial Regex HelpLine();

    /// <summary>The exporter's names (posture_*), not recording rules (posture:*).</summary>
    [GeneratedRegex(@"(?<![a-zA-Z0-9_:])posture_[a-z0-9_]+(?![a-zA-Z0-9_:])")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
