using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Namespaces;

/// <summary>The Pod Security Admission label that enforces a level on a namespace.</summary>
internal static class PodSecurityLabels
{
    public const string Enforce = "pod-security.kubernetes.io/enforce";

    public static string? EnforceLevel(NamespaceInfo ns) => ns.Labels.GetValueOrDefault(Enforce);
}
