using System.Globalization;
using System.Text.RegularExpressions;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Nodes;

public sealed partial class KubeletOutdatedControl : NodeControl
{
    public override ControlMetadata Metadata { get; } = new(
        "node-kubelet-outdated",
        "Nodes running an outdated kubelet",
        "9",
        "exposure",
        Severity.Medium,
        "a node's kubelet minor version is more than `kubeletMaxMinorSkew` (default 1) behind the API server's "
        + "(not applicable while the API server version is unknown)",
        "A kubelet several minor versions behind misses security fixes that only ship for supported releases, and "
        + "drifts out of the version-skew range the control plane is tested with.",
        "Upgrade or replace the node (drain, then upgrade the kubelet, or roll the node pool) so its kubelet is within "
        + "kubeletMaxMinorSkew minors of the API server.",
        ["NSA/CISA Kubernetes Hardening: upgrading and application security practices", "Kubernetes version skew policy"]);

    /// <summary>Without the API server's version (the app reads it from /version) there is nothing to compare with.</summary>
    public override bool IsApplicable(EvaluationContext context) =>
        TryParse(context.Settings.ApiServerVersion, out _, out _);

    protected override Verdict Evaluate(NodeInfo node, EvaluationContext context)
    {
        if (!TryParse(context.Settings.ApiServerVersion, out var apiMajor, out var apiMinor)
            || !TryParse(node.KubeletVersion, out var major, out var minor))
        {
            // A node that has not reported its kubelet version yet (or reports one we cannot read) is not judged.
            return Verdict.Skip;
        }
        var behind = major == apiMajor ? apiMinor - minor : major < apiMajor ? int.MaxValue : int.MinValue;
        return Verdict.FailIf(behind > context.Settings.KubeletMaxMinorSkew,
            () => $"kubelet {node.KubeletVersion} is {(behind == int.MaxValue ? "a major version" : $"{behind} minor versions")} "
                + $"behind the API server's {context.Settings.ApiServerVersion} (allowed: {context.Settings.KubeletMaxMinorSkew})");
    }

    /// <summary>Reads major and minor from v1.31.2, 1.31, v1.29.6-eks-a737599, v1.30.4+k3s1 and the like.</summary>
    public static bool TryParse(string? version, out int major, out int minor)
    {
        major = minor = 0;
        var m = version is null ? Match.Empty : VersionPattern().Match(version.Trim());
        return m.Success
            && int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out major)
            && int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out minor);
    }

    [GeneratedRegex(@"^v?(\d+)\.(\d+)(?:\D|$)")]
    private static partial Regex VersionPattern();
}
