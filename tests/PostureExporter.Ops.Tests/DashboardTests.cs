using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PostureExporter.Ops.Tests;

/// <summary>The dashboards' shape: data source and template variables, and PromQL that respects them.</summary>
public sealed partial class DashboardTests
{
    public static TheoryData<string> Files() => [.. Dashboards.All().Select(d => d.File)];

    private static JsonObject Dashboard(string file) => Dashboards.All().Single(d => d.File == file).Json;

    private static JsonObject Variable(JsonObject dashboard, string name) =>
        dashboard["templating"]!["list"]!.AsArray().Select(v => v!.AsObject()).SingleOrDefault(v => (string?)v["name"] == name)
        ?? throw new Xunit.Sdk.XunitException($"no variable {name}");

    [Fact]
    public void Dashboards_TheFourOfTheSpec_Exist()
    {
        var uids = Dashboards.All().Select(d => (string)d.Json["uid"]!).Order(StringComparer.Ordinal);

        Assert.Equal(["posture-control", "posture-drift", "posture-namespace", "posture-overview"], uids);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Dashboard_HasDatasourceClusterAndNamespaceVariables(string file)
    {
        var d = Dashboard(file);

        var ds = Variable(d, "datasource");
        Assert.Equal("datasource", (string)ds["type"]!);
        Assert.Equal("prometheus", (string)ds["query"]!);
        // The cluster comes from an external label; without one the variable is empty and "All" (.*) still matches.
        var cluster = Variable(d, "cluster");
        Assert.Equal("label_values(posture_control_info, cluster)", (string)cluster["definition"]!);
        Assert.Equal("label_values(posture_control_info, cluster)", (string)cluster["query"]!["query"]!);
        Assert.True((bool)cluster["includeAll"]!);
        Assert.Equal(".*", (string)cluster["allValue"]!);
        var ns = Variable(d, "namespace");
        Assert.Equal("""label_values(posture_namespace_info{cluster=~"$cluster"}, namespace)""", (string)ns["definition"]!);
        foreach (var v in d["templating"]!["list"]!.AsArray().Where(v => (string?)v!["type"] == "query"))
        {
            Assert.Equal("${datasource}", (string)v!["datasource"]!["uid"]!);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Dashboard_EveryPanelUsesTheDatasourceVariable(string file)
    {
        var wrong = Dashboards.Panels(Dashboard(file))
            .Where(p => (string?)p["type"] != "row")
            .Where(p => (string?)p["datasource"]?["uid"] != "${datasource}"
                || (p["targets"]?.AsArray() ?? []).Any(t => (string?)t!["datasource"]?["uid"] != "${datasource}"))
            .Select(p => (string)p["title"]!)
            .ToList();

        Assert.True(wrong.Count == 0, "panels not on ${datasource}: " + string.Join(", ", wrong));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Dashboard_EverySelectorFiltersOnTheClusterVariable(string file)
    {
        var uid = (string)Dashboard(file)["uid"]!;
        var missing = Dashboards.Queries().Where(q => q.Dashboard == uid)
            .SelectMany(q => Selector().Matches(q.Expr).Select(m => (q, m.Value)))
            .Where(x => !x.Value.Contains("cluster=~\"$cluster\"", StringComparison.Ordinal))
            .Select(x => $"{x.q}: {x.Value}")
            .ToList();

        Assert.True(missing.Count == 0, "selectors without cluster=~\"$cluster\":\n" + string.Join("\n", missing));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Dashboard_PanelsHaveTitlesDescriptionsAndDistinctIds(string file)
    {
        var panels = Dashboards.Panels(Dashboard(file)).ToList();

        Assert.All(panels, p => Assert.False(string.IsNullOrWhiteSpace((string?)p["title"])));
        Assert.All(panels.Where(p => (string?)p["type"] != "row"), p => Assert.False(string.IsNullOrWhiteSpace((string?)p["description"]), (string?)p["title"]));
        Assert.Equal(panels.Count, panels.Select(p => (int)p["id"]!).Distinct().Count());
    }

    [Fact]
    public void Substitute_ReplacesEveryVariable()
    {
        Assert.Equal("""sum(increase(x{cluster=~".*", namespace=~".*"}[1m])) + y[1h]""",
            Dashboards.Substitute("""sum(increase(x{cluster=~"$cluster", namespace=~"${namespace}"}[$__rate_interval])) + y[$__range]"""));
        Assert.Throws<InvalidOperationException>(() => Dashboards.Substitute("x{a=~\"$unknown\"}"));
    }

    /// <summary>A metric selector with braces: name{…}.</summary>
    [GeneratedRegex(@"[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}")]
    private static partial Regex Selector();
}
