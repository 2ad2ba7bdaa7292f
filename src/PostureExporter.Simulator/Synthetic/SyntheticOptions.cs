namespace PostureExporter.Simulator.Synthetic;

/// <summary>What <see cref="SyntheticCluster.Populate"/> generates.</summary>
public sealed record SyntheticOptions
{
    /// <summary>Pods to create, exactly.</summary>
    public int Pods { get; init; } = 1_000;

    /// <summary>Same seed, same cluster (names, shapes, violations); only uids and timestamps come from the store.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Namespaces to spread the pods over; null means Pods / 50 (at least 1), so ~2k at 100k pods.</summary>
    public int? Namespaces { get; init; }

    /// <summary>Prefix of the generated namespaces' names ("team-0001", …).</summary>
    public string NamespacePrefix { get; init; } = "team-";

    /// <summary>How often a workload carries each violation.</summary>
    public ViolationMix Violations { get; init; } = ViolationMix.Realistic;

    /// <summary>Share of namespaces with a default-deny NetworkPolicy for Ingress and Egress.</summary>
    public double DefaultDenyShare { get; init; } = 0.8;

    /// <summary>
    /// Only bare pods (each its own subject) instead of the realistic Deployment/StatefulSet/DaemonSet/CronJob
    /// mix: the most findings per pod, for metric-volume benchmarks.
    /// </summary>
    public bool BarePodsOnly { get; init; }

    internal int EffectiveNamespaces => Math.Max(1, Math.Min(Pods, Namespaces ?? Pods / 50));
}

/// <summary>Per-workload probabilities of each violation, drawn independently.</summary>
public sealed record ViolationMix(double RunAsRoot, double NoLimits, double MutableTag, double Privileged)
{
    /// <summary>Roughly what a real cluster without admission policy looks like: root and missing limits are common, privileged is rare.</summary>
    public static readonly ViolationMix Realistic = new(RunAsRoot: 0.15, NoLimits: 0.20, MutableTag: 0.10, Privileged: 0.01);

    /// <summary>Every workload violates every container control.</summary>
    public static readonly ViolationMix All = new(1, 1, 1, 1);

    public static readonly ViolationMix None = new(0, 0, 0, 0);
}

/// <summary>What the generator made, and what a correct posture engine must report for it.</summary>
public sealed record SyntheticSummary(
    int Pods,
    IReadOnlyList<string> Namespaces,
    IReadOnlyDictionary<string, int> ObjectsByKind,
    long JsonBytes,
    IReadOnlyDictionary<string, ExpectedCounts> Expected)
{
    /// <summary>Objects created, all kinds.</summary>
    public int Objects => ObjectsByKind.Values.Sum();
}

/// <summary>
/// The cluster-wide totals a control must report: subjects checked and violating (waived ones: none are generated),
/// i.e. the sums over namespaces of posture_checked and posture_violations.
/// </summary>
public readonly record struct ExpectedCounts(int Checked, int Violations);
