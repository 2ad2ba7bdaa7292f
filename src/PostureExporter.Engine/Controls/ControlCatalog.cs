using System.Collections.Immutable;
using System.Text;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls;

/// <summary>Every control in this assembly, discovered rather than listed by hand, ordered by id.</summary>
public static class ControlCatalog
{
    private static readonly Lazy<ImmutableArray<Control>> AllControls = new(() =>
        typeof(Control).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Control)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (Control)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Id, StringComparer.Ordinal)
            .ToImmutableArray());

    public static ImmutableArray<Control> All => AllControls.Value;

    public static Control? Find(string id) => All.FirstOrDefault(c => c.Id == id);

    /// <summary>The controls the settings enable.</summary>
    public static ImmutableArray<Control> Enabled(PostureSettings settings) =>
        All.Where(c => settings.IsEnabled(c.Id)).ToImmutableArray();

    /// <summary>Controls in checklist order: section 1 to 9, then audit; by id within a section.</summary>
    public static IEnumerable<Control> InSectionOrder =>
        All.OrderBy(c => int.TryParse(c.Metadata.Section, out var n) ? n : int.MaxValue).ThenBy(c => c.Id, StringComparer.Ordinal);

    /// <summary>
    /// The one-table summary (id, section, category, severity, violation when), with each id linking to its entry in
    /// docs/controls.md relative to <paramref name="docsLink"/> ("" inside that page).
    /// </summary>
    public static string RenderSummaryTable(string docsLink)
    {
        var sb = new StringBuilder();
        sb.Append("| id | § | category | severity | violation when |\n");
        sb.Append("|---|---|---|---|---|\n");
        foreach (var c in InSectionOrder)
        {
            var m = c.Metadata;
            sb.Append($"| [{m.Id}]({docsLink}#{m.Id}) | {m.Section} | {m.Category} | {m.Severity.Label()} | {Cell(m.Violation)} |\n");
        }
        return sb.ToString();
    }

    /// <summary>docs/controls.md: the summary table, then each control's check, reason, fix and references.</summary>
    public static string RenderMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Controls\n\n");
        sb.Append("<!-- Generated from the control catalogue by ControlCatalog.RenderMarkdown(); do not edit by hand.\n");
        sb.Append("     Regenerate with: UPDATE_DOCS=1 dotnet test tests/PostureExporter.Engine.Tests --filter ControlDocs -->\n\n");
        sb.Append($"{All.Length} controls. `§` is the checklist item of the security checklist the control comes from (`audit`: its ");
        sb.Append("quick audit); severity is the default (`severityOverrides` changes it). A finding is about a subject, the thing a ");
        sb.Append("person fixes: a workload's top-level owner, a Namespace, a Role or ClusterRole, a binding, an Ingress, a Node or a ");
        sb.Append("kube-apiserver pod. CIS numbers refer to the CIS Kubernetes Benchmark (v1.8 and later numbering).\n\n");
        sb.Append(RenderSummaryTable(""));
        foreach (var c in InSectionOrder)
        {
            var m = c.Metadata;
            sb.Append($"\n## {m.Id}\n\n");
            sb.Append($"**{m.Title}**: section {m.Section}, {m.Category}, severity {m.Severity.Label()}; subject: {SubjectName(c.Scope)}.\n\n");
            sb.Append($"- **Violation when:** {m.Violation}.\n");
            sb.Append($"- **Why:** {m.Rationale}\n");
            sb.Append($"- **How to fix:** {m.Remediation}\n");
            sb.Append($"- **References:** {string.Join("; ", m.References)}.\n");
            sb.Append($"- **Reads:** {string.Join(", ", c.Reads)}.\n");
        }
        return sb.ToString();
    }

    private static string SubjectName(SubjectScope scope) => scope switch
    {
        SubjectScope.Workload => "the workload (the pod's top-level owner)",
        SubjectScope.Namespace => "the Namespace (system namespaces are not judged)",
        SubjectScope.Role => "the Role or ClusterRole",
        SubjectScope.Binding => "the RoleBinding or ClusterRoleBinding",
        SubjectScope.Ingress => "the Ingress",
        SubjectScope.Node => "the Node",
        SubjectScope.ApiServer => "each kube-apiserver pod (not applicable when none is visible)",
        _ => scope.ToString(),
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
