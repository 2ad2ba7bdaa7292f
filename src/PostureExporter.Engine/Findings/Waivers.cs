using System.Globalization;
using System.Text.RegularExpressions;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Findings;

/// <summary>A waiver from the configuration file: who accepted which finding, why, and until when.</summary>
public sealed record CentralWaiver(
    string Control,
    string NamespaceGlob,
    string? Kind,
    string NameGlob,
    string Reason,
    string? Owner,
    string? Ticket,
    DateOnly? Until)
{
    public bool Matches(string controlId, ObjectKey subject) =>
        Control == controlId
        // A Namespace's namespace is itself (as in the findings' namespace label), so "namespace: analytics"
        // waives a namespace control on analytics.
        && Glob(NamespaceGlob, subject.Kind == Kinds.Namespace ? subject.Name : subject.Namespace)
        && (string.IsNullOrEmpty(Kind) || string.Equals(Kind, subject.Kind, StringComparison.OrdinalIgnoreCase))
        && Glob(NameGlob, subject.Name);

    private static bool Glob(string pattern, string value) =>
        pattern is "" or "*" || Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$");
}

/// <summary>A waiver in force for a finding.</summary>
public sealed record Waiver(string Reason, DateOnly? Until, string Source)
{
    /// <summary>A waiver holds through the whole of its last day, UTC.</summary>
    public DateTimeOffset? Ends => Until is { } d ? new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1) : null;

    public bool IsActive(DateTimeOffset now) => Ends is not { } end || now < end;
}

/// <summary>Reads waivers from annotations and the configuration for one control on one subject.</summary>
public static class WaiverResolver
{
    public const string WaiveAnnotation = Projector.AnnotationPrefix + "waive";
    public const string ReasonAnnotation = Projector.AnnotationPrefix + "waive-reason";
    public const string UntilAnnotation = Projector.AnnotationPrefix + "waive-until";

    /// <summary>The annotation waiver an object carries, or why it is invalid.</summary>
    public sealed record AnnotationWaiver(IReadOnlySet<string> Controls, Waiver? Waiver, string? Problem);

    public static AnnotationWaiver? ReadAnnotations(ModelObject? source)
    {
        if (source is null || !source.Annotations.TryGetValue(WaiveAnnotation, out var list))
        {
            return null;
        }
        var controls = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var unknown = controls.Where(c => ControlCatalog.Find(c) is null).ToList();
        source.Annotations.TryGetValue(ReasonAnnotation, out var reason);
        if (string.IsNullOrWhiteSpace(reason))
        {
            return new AnnotationWaiver(controls, null, $"{WaiveAnnotation} without a {ReasonAnnotation}");
        }
        DateOnly? until = null;
        if (source.Annotations.TryGetValue(UntilAnnotation, out var untilText))
        {
            if (!DateOnly.TryParseExact(untilText.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                return new AnnotationWaiver(controls, null, $"{UntilAnnotation} \"{untilText}\" is not a YYYY-MM-DD date");
            }
            until = d;
        }
        // Unknown ids are reported; the known ones in the same list still hold.
        var problem = unknown.Count > 0 ? $"{WaiveAnnotation} names unknown control(s) {string.Join(", ", unknown)}" : null;
        return new AnnotationWaiver(controls, new Waiver(reason.Trim(), until, "annotation"), problem);
    }

    /// <summary>
    /// The waiver that applies to a control on a subject, preferring one in force; an expired one is returned
    /// so the finding can say its waiver expired. Null when none applies.
    /// </summary>
    public static Waiver? Find(Control control, ObjectKey subject, AnnotationWaiver? annotations, PostureSettings settings, DateTimeOffset now)
    {
        if (settings.UnwaivableControls.Contains(control.Id))
        {
            return null;
        }
        var candidates = new List<Waiver>(2);
        if (settings.AllowAnnotationWaivers && annotations?.Waiver is { } w && annotations.Controls.Contains(control.Id))
        {
            candidates.Add(w);
        }
        foreach (var c in settings.Waivers)
        {
            if (c.Matches(control.Id, subject))
            {
                var who = string.Join(", ", new[] { c.Owner, c.Ticket }.Where(x => !string.IsNullOrEmpty(x)));
                candidates.Add(new Waiver(c.Reason, c.Until, who.Length == 0 ? "config" : $"config ({who})"));
            }
        }
        return candidates.FirstOrDefault(x => x.IsActive(now)) ?? candidates.FirstOrDefault();
    }
}
