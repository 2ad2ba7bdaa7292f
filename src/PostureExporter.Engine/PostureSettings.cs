using System.Collections.Immutable;
using System.Text.RegularExpressions;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine;

/// <summary>The engine's settings, already validated (the app binds and validates the configuration into this).</summary>
public sealed record PostureSettings
{
    public const string DefaultCredentialPattern = "(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)";

    public static readonly PostureSettings Default = new();

    public ImmutableHashSet<string> SystemNamespaces { get; init; } =
        ImmutableHashSet.Create(StringComparer.Ordinal, "kube-system", "kube-public", "kube-node-lease");

    /// <summary>Subjects that may be bound to cluster-admin without a finding.</summary>
    public ImmutableArray<RbacSubject> ExpectedClusterAdminSubjects { get; init; } = [new RbacSubject("Group", "system:masters", "")];

    public bool RequireCpuLimits { get; init; } = true;

    public Regex CredentialEnvPattern { get; init; } = new(DefaultCredentialPattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Registries images may come from; empty makes image-registry-untrusted not applicable.</summary>
    public ImmutableArray<string> AllowedRegistries { get; init; } = [];

    public LabelSelector ProductionSelector { get; init; } = LabelSelector.Parse("environment in (prod, production)");

    public int KubeletMaxMinorSkew { get; init; } = 1;

    /// <summary>The API server's version (e.g. v1.32.0), for the kubelet skew control; null when unknown.</summary>
    public string? ApiServerVersion { get; init; }

    public bool AllowAnnotationWaivers { get; init; } = true;

    public ImmutableHashSet<string> UnwaivableControls { get; init; } = ImmutableHashSet<string>.Empty;

    public ImmutableArray<CentralWaiver> Waivers { get; init; } = [];

    /// <summary>When set, only these controls run.</summary>
    public ImmutableHashSet<string>? EnabledControls { get; init; }

    public ImmutableHashSet<string> DisabledControls { get; init; } = ImmutableHashSet<string>.Empty;

    public ImmutableDictionary<string, Severity> SeverityOverrides { get; init; } = ImmutableDictionary<string, Severity>.Empty;

    public bool IsSystemNamespace(string ns) => SystemNamespaces.Contains(ns);

    /// <summary>A control's severity here: its override, else its default.</summary>
    public Severity SeverityOf(Control control) =>
        SeverityOverrides.TryGetValue(control.Id, out var s) ? s : control.Metadata.Severity;

    public bool IsEnabled(string controlId) =>
        !DisabledControls.Contains(controlId) && (EnabledControls is null || EnabledControls.Contains(controlId));
}
