using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PostureExporter.Ops.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>One query of a dashboard panel.</summary>
internal sealed record PanelQuery(string Dashboard, string Panel, string RefId, string Expr)
{
    public override string ToString() => $"{Dashboard} / {Panel} / {RefId}";
}

/// <summary>The Grafana dashboards in dashboards/, and Grafana's variable substitution for running their PromQL.</summary>
internal static partial class Dashboards
{
    public static IReadOnlyList<(string File, JsonObject Json)> All() =>
        Directory.GetFiles(Repo.File("dashboards"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), JsonNode.Parse(File.ReadAllText(f))!.AsObject()))
            .ToList();

    /// <summary>Every panel, rows' nested panels included.</summary>
    public static IEnumerable<JsonObject> Panels(JsonObject dashboard) =>
        dashboard["panels"]!.AsArray().Select(p => p!.AsObject())
            .SelectMany(p => new[] { p }.Concat(p["panels"]?.AsArray().Select(c => c!.AsObject()) ?? []));

    public static IEnumerable<PanelQuery> Queries() =>
        from d in All()
        from p in Panels(d.Json)
        from t in p["targets"]?.AsArray() ?? []
        where t!["expr"] is not null
        select new PanelQuery((string)d.Json["uid"]!, (string)p["title"]!, (string)t!["refId"]!, (string)t["expr"]!);

    /// <summary>
    /// Grafana's substitution for a test run: every template variable is "All" (regex .*, which also matches a
    /// missing label), $__rate_interval one minute, $__range one hour.
    /// </summary>
    public static string Substitute(string expr)
    {
        var result = Variable().Replace(expr, m => (m.Groups["a"].Success ? m.Groups["a"].Value : m.Groups["b"].Value) switch
        {
            "__rate_interval" or "__interval" => "1m",
            "__range" => "1h",
            "cluster" or "namespace" or "control" => ".*",
            var other => throw new InvalidOperationException($"unknown dashboard variable ${other} in {expr}"),
        });
        return result;
    }

    [GeneratedRegex(@"\$\{(?<a>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<b>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();
}
