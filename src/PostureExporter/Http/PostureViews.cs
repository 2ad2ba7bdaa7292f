using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Reports;

namespace PostureExporter.Http;

/// <summary>A finding as the findings API returns it: the audit record plus when it was first seen and its waiver.</summary>
internal sealed record FindingView(
    string Control, string Severity, string Section, string Category, string Namespace,
    string Kind, string Name, string Status, string Message, string Remediation,
    DateTimeOffset? FirstSeen, WaiverView? Waiver)
{
    public static FindingView From(Finding f)
    {
        var r = FindingRecord.From(f);
        return new FindingView(r.Control, r.Severity, r.Section, r.Category, r.Namespace, r.Kind, r.Name, r.Status, r.Message, r.Remediation,
            f.FirstSeen, f.Status == FindingStatus.Waived && f.Waiver is { } w ? new WaiverView(w.Reason, w.Until, w.Source) : null);
    }
}

internal sealed record WaiverView(string Reason, DateOnly? Until, string Source);

internal sealed record ControlView(
    string Id, string Title, string Section, string Category, string Severity, bool Applicable,
    string Rationale, string Remediation, IReadOnlyList<string> References, int Checked, int Violations, int Waived);

internal sealed record NamespaceView(string Namespace, double Score, IReadOnlyDictionary<string, int> Violations, int Waived, int Checked);

/// <summary>Filters of /api/v1/findings and the status page's drill-downs; empty means any.</summary>
internal sealed record FindingFilter(string? Namespace, string? Control, string? Severity, string? Status)
{
    public bool Matches(Finding f) =>
        f.Status != FindingStatus.Pass
        && (Namespace is null || f.Namespace == Namespace)
        && (Control is null || f.Control.Id == Control)
        && (Severity is null || f.Severity.Label() == Severity)
        && (Status is null || (Status == "violation" ? f.Status == FindingStatus.Violation : f.Status == FindingStatus.Waived));

    /// <summary>
    /// Reads and checks the query (the function returns null for an absent parameter); returns an error naming
    /// the bad parameter. <c>namespace=</c> (present, empty) selects cluster-scoped findings.
    /// </summary>
    public static FindingFilter Parse(Func<string, string?> query, out string? error)
    {
        error = null;
        string? Get(string name) => string.IsNullOrEmpty(query(name)) ? null : query(name);
        var severity = Get("severity");
        if (severity is not null && !SeverityNames.TryParse(severity, out _))
        {
            error = $"severity: \"{severity}\" is not critical, high, medium or low";
        }
        var status = Get("status");
        if (status is not null && status is not ("violation" or "waived"))
        {
            error = $"status: \"{status}\" is not violation or waived";
        }
        var control = Get("control");
        if (control is not null && ControlCatalog.Find(control) is null)
        {
            error = $"control: unknown control \"{control}\"";
        }
        return new FindingFilter(query("namespace"), control, severity?.ToLowerInvariant(), status);
    }
}

/// <summary>What the API and the status page read, taken on the engine thread in one go.</summary>
internal sealed record PostureSnapshot(
    DateTimeOffset TakenAt,
    double Score,
    IReadOnlyDictionary<string, int> ViolationsBySeverity,
    int Waived,
    int Checked,
    IReadOnlyList<NamespaceView> Namespaces,
    IReadOnlyList<ControlView> Controls,
    IReadOnlyList<FindingView> Findings,
    int FindingsTotal,
    IReadOnlyList<FindingView> Waivers)
{
    public static PostureSnapshot Take(FindingsIndex index, FindingFilter filter, int limit, DateTimeOffset now)
    {
        var counts = Reports.Score.Counts(index).ToList();
        var severities = Enum.GetValues<Severity>().OrderByDescending(s => s).ToList();
        var namespaces = counts.GroupBy(c => c.Namespace)
            .Select(g => new NamespaceView(g.Key, Reports.Score.Of(g.Select(c => (c.Severity, c.Counts))),
                severities.ToDictionary(s => s.Label(), s => g.Where(c => c.Severity == s).Sum(c => c.Counts.Violations)),
                g.Sum(c => c.Counts.Waived), g.Sum(c => c.Counts.Checked)))
            .OrderBy(n => n.Score).ThenBy(n => n.Namespace, StringComparer.Ordinal)
            .ToList();
        var controls = index.Controls.Select(c =>
        {
            var mine = counts.Where(x => x.Control == c.Id).ToList();
            var m = c.Metadata;
            return new ControlView(m.Id, m.Title, m.Section, m.Category, Reports.Score.Effective(index.Settings, m.Id).Label(), index.IsApplicable(c),
                m.Rationale, m.Remediation, m.References, mine.Sum(x => x.Counts.Checked), mine.Sum(x => x.Counts.Violations), mine.Sum(x => x.Counts.Waived));
        }).ToList();
        var matching = FindingRecord.Order(index.All.Where(filter.Matches)).ToList();
        var waivers = FindingRecord.Order(index.All.Where(f => f.Status == FindingStatus.Waived))
            .OrderBy(f => f.Waiver?.Until ?? DateOnly.MaxValue).Select(FindingView.From).ToList();
        return new PostureSnapshot(now, Reports.Score.Of(counts.Select(c => (c.Severity, c.Counts))),
            severities.ToDictionary(s => s.Label(), s => counts.Where(c => c.Severity == s).Sum(c => c.Counts.Violations)),
            counts.Sum(c => c.Counts.Waived), counts.Sum(c => c.Counts.Checked),
            namespaces, controls, matching.Take(limit).Select(FindingView.From).ToList(), matching.Count, waivers);
    }
}
