using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using PostureExporter.Cli;
using PostureExporter.Configuration;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Manifests;
using PostureExporter.Hosting;
using PostureExporter.Informers;

namespace PostureExporter.Audit;

/// <summary>
/// audit: one-shot evaluation of manifests or of the cluster, with the same model and engine as serve, so a
/// dump of a cluster audits to exactly what the exporter reports for it.
/// </summary>
internal static class AuditCommand
{
    public static async Task<int> RunAsync(ExporterOptions options, PostureSettings settings, ParsedCommandLine cli)
    {
        var output = cli.Overrides.GetValueOrDefault("Audit:Output") ?? "table";
        var failOn = cli.Overrides.GetValueOrDefault("Audit:FailOn") ?? "high";
        IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects;
        IReadOnlyDictionary<string, int> ignored;
        if (cli.Files.Count > 0)
        {
            ManifestSet set;
            try
            {
                set = ManifestReader.ReadPaths(cli.Files);
            }
            catch (ManifestException e)
            {
                throw new UsageException(e.Message);
            }
            objects = set.Objects;
            ignored = set.IgnoredKinds;
        }
        else
        {
            objects = await ListClusterAsync(options, settings);
            ignored = new Dictionary<string, int>();
        }

        var index = Evaluation.FromObjects(objects, settings, DateTimeOffset.UtcNow);
        var report = AuditReport.From(index);
        Console.Out.Write(output == "json" ? report.ToJson() : report.ToTable(ignored));
        return report.Fails(failOn) ? 1 : 0;
    }

    private static async Task<List<IKubernetesObject<V1ObjectMeta>>> ListClusterAsync(ExporterOptions options, PostureSettings settings)
    {
        using var client = new Kubernetes(KubeClientFactory.Configure(options, null));
        var kinds = ControlCatalog.Enabled(settings).SelectMany(c => c.Reads).Distinct();
        var all = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var d in ResourceDescriptor.For(kinds))
        {
            string? cont = null;
            do
            {
                var page = await d.List(client, cont, 500, CancellationToken.None);
                all.AddRange(page.Items);
                cont = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
            }
            while (cont is not null);
        }
        return all;
    }
}

/// <summary>One non-passing finding as audit and the findings API show it.</summary>
internal sealed record FindingRecord(
    string Control, string Severity, string Section, string Category, string Namespace,
    string Kind, string Name, string Status, string Message, string Remediation);

internal sealed record AuditReport(IReadOnlyList<FindingRecord> Findings, IReadOnlyDictionary<string, int> ViolationsBySeverity, int Waived, int Checked, double Score)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static AuditReport From(FindingsIndex index)
    {
        var all = index.All.ToList();
        var findings = all.Where(f => f.Status != FindingStatus.Pass)
            .OrderByDescending(f => f.Severity).ThenBy(f => f.Control.Id, StringComparer.Ordinal)
            .ThenBy(f => f.Namespace, StringComparer.Ordinal).ThenBy(f => f.Subject.Key.Name, StringComparer.Ordinal)
            .Select(f => new FindingRecord(f.Control.Id, f.Severity.Label(), f.Control.Metadata.Section, f.Control.Metadata.Category,
                f.Namespace, f.Subject.Key.Kind, f.Subject.Key.Name, f.Status == FindingStatus.Violation ? "violation" : "waived",
                f.Status == FindingStatus.Waived ? $"{f.Message} (waived: {f.Waiver?.Reason})" : f.Message, f.Control.Metadata.Remediation))
            .ToList();
        var bySeverity = Enum.GetValues<Severity>().OrderByDescending(s => s)
            .ToDictionary(s => s.Label(), s => all.Count(f => f.Status == FindingStatus.Violation && f.Severity == s));
        // SPEC's score: 100 × (1 − Σ w·violations / Σ w·checked).
        double weighted = all.Where(f => f.Status == FindingStatus.Violation).Sum(f => f.Severity.Weight());
        double denominator = all.Sum(f => f.Severity.Weight());
        var score = denominator == 0 ? 100 : Math.Round(100 * (1 - (weighted / denominator)), 1);
        return new AuditReport(findings, bySeverity, all.Count(f => f.Status == FindingStatus.Waived), all.Count, score);
    }

    public bool Fails(string failOn) =>
        failOn != "none" && SeverityNames.TryParse(failOn, out var threshold)
        && Findings.Any(f => f.Status == "violation" && SeverityNames.TryParse(f.Severity, out var s) && s >= threshold);

    public string ToJson() => JsonSerializer.Serialize(new
    {
        findings = Findings,
        summary = new
        {
            score = Score,
            @checked = Checked,
            violations = ViolationsBySeverity,
            waived = Waived,
        },
    }, Json) + "\n";

    public string ToTable(IReadOnlyDictionary<string, int> ignoredKinds)
    {
        var sb = new StringBuilder();
        foreach (var group in Findings.GroupBy(f => f.Severity))
        {
            sb.AppendLine($"{group.Key.ToUpperInvariant()} ({group.Count(f => f.Status == "violation")} violations{(group.Any(f => f.Status == "waived") ? $", {group.Count(f => f.Status == "waived")} waived" : "")})");
            foreach (var control in group.GroupBy(f => f.Control))
            {
                sb.AppendLine($"  {control.Key}  [§{control.First().Section}, {control.First().Category}]");
                foreach (var f in control)
                {
                    var where = f.Namespace.Length == 0 || f.Kind == "Namespace" ? $"{f.Kind}/{f.Name}" : $"{f.Kind}/{f.Namespace}/{f.Name}";
                    sb.AppendLine($"    {(f.Status == "waived" ? "WAIVED " : "")}{where}: {f.Message}");
                }
                sb.AppendLine($"    fix: {control.First().Remediation}");
            }
            sb.AppendLine();
        }
        sb.AppendLine($"score {Score:0.0}/100 · {Checked} checks · violations: {string.Join(", ", ViolationsBySeverity.Select(kv => $"{kv.Key} {kv.Value}"))} · waived {Waived}");
        if (ignoredKinds.Count > 0)
        {
            sb.AppendLine("not audited (kinds no control reads): " + string.Join(", ", ignoredKinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} ×{kv.Value}")));
        }
        return sb.ToString();
    }
}
