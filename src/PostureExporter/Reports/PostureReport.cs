using System.Text;
using System.Text.Json;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;

namespace PostureExporter.Reports;

/// <summary>One non-passing finding as audit, the findings API and the status page show it.</summary>
internal sealed record FindingRecord(
    string Control, string Severity, string Section, string Category, string Namespace,
    string Kind, string Name, string Status, string Message, string Remediation)
{
    public static FindingRecord From(Finding f) => new(
        f.Control.Id, f.Severity.Label(), f.Control.Metadata.Section, f.Control.Metadata.Category,
        f.Namespace, f.Subject.Key.Kind, f.Subject.Key.Name, f.Status == FindingStatus.Violation ? "violation" : "waived",
        f.Status == FindingStatus.Waived ? $"{f.Message} (waived: {f.Waiver?.Reason})" : f.Message, f.Control.Metadata.Remediation);

    /// <summary>Worst first: severity, then control, namespace and name.</summary>
    public static IOrderedEnumerable<Finding> Order(IEnumerable<Finding> findings) =>
        findings.OrderByDescending(f => f.Severity).ThenBy(f => f.Control.Id, StringComparer.Ordinal)
            .ThenBy(f => f.Namespace, StringComparer.Ordinal).ThenBy(f => f.Subject.Key.Name, StringComparer.Ordinal);
}

/// <summary>The posture score, defined once (SPEC): 100 × (1 − Σ w·violations / Σ w·checked), w = 10/5/2/1.</summary>
internal static class Score
{
    public static double Of(IEnumerable<(Severity Severity, FindingCounts Counts)> counts)
    {
        double violations = 0, checkedWeight = 0;
        foreach (var (severity, c) in counts)
        {
            violations += severity.Weight() * c.Violations;
            checkedWeight += severity.Weight() * c.Checked;
        }
        return checkedWeight == 0 ? 100 : Math.Round(100 * (1 - (violations / checkedWeight)), 1);
    }

    /// <summary>Counts per control × namespace with each control's effective severity.</summary>
    public static IEnumerable<(string Control, string Namespace, Severity Severity, FindingCounts Counts)> Counts(FindingsIndex index) =>
        index.Counts.Select(kv => (kv.Key.Control, kv.Key.Namespace, Effective(index.Settings, kv.Key.Control), kv.Value));

    public static Severity Effective(PostureSettings settings, string controlId) =>
        settings.SeverityOf(ControlCatalog.Find(controlId)!);
}

internal sealed record AuditReport(IReadOnlyList<FindingRecord> Findings, IReadOnlyDictionary<string, int> ViolationsBySeverity, int Waived, int Checked, double Score)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static AuditReport From(FindingsIndex index)
    {
        var counts = Reports.Score.Counts(index).ToList();
        var findings = FindingRecord.Order(index.All.Where(f => f.Status != FindingStatus.Pass)).Select(FindingRecord.From).ToList();
        var bySeverity = Enum.GetValues<Severity>().OrderByDescending(s => s)
            .ToDictionary(s => s.Label(), s => counts.Where(c => c.Severity == s).Sum(c => c.Counts.Violations));
        return new AuditReport(findings, bySeverity, counts.Sum(c => c.Counts.Waived), counts.Sum(c => c.Counts.Checked),
            Reports.Score.Of(counts.Select(c => (c.Severity, c.Counts))));
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
