using System.Collections.Immutable;
using System.Globalization;

namespace PostureExporter.Engine.Model;

/// <summary>The kinds the model knows, by their API kind name.</summary>
public static class Kinds
{
    public const string Namespace = "Namespace";
    public const string Pod = "Pod";
    public const string ServiceAccount = "ServiceAccount";
    public const string LimitRange = "LimitRange";
    public const string Node = "Node";
    public const string Role = "Role";
    public const string ClusterRole = "ClusterRole";
    public const string RoleBinding = "RoleBinding";
    public const string ClusterRoleBinding = "ClusterRoleBinding";
    public const string NetworkPolicy = "NetworkPolicy";
    public const string Ingress = "Ingress";
    public const string Deployment = "Deployment";
    public const string ReplicaSet = "ReplicaSet";
    public const string StatefulSet = "StatefulSet";
    public const string DaemonSet = "DaemonSet";
    public const string Job = "Job";
    public const string CronJob = "CronJob";
    public const string ReplicationController = "ReplicationController";

    public static readonly ImmutableHashSet<string> Workloads = ImmutableHashSet.Create(
        Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController);

    public static readonly ImmutableHashSet<string> ClusterScoped = ImmutableHashSet.Create(
        Namespace, Node, ClusterRole, ClusterRoleBinding);

    /// <summary>
    /// The constant above for a kind name decoded from an object (an ownerReference's kind), so that the model holds
    /// one "ReplicaSet" rather than one per pod; any other kind is returned as it is.
    /// </summary>
    public static string Canonical(string kind) => kind switch
    {
        ReplicaSet => ReplicaSet,
        Deployment => Deployment,
        StatefulSet => StatefulSet,
        DaemonSet => DaemonSet,
        Job => Job,
        CronJob => CronJob,
        ReplicationController => ReplicationController,
        Node => Node,
        Pod => Pod,
        _ => kind,
    };
}

/// <summary>Identity of one object in the model: kind, namespace ("" when cluster-scoped) and name.</summary>
public readonly record struct ObjectKey(string Kind, string Namespace, string Name)
{
    public override string ToString() => Namespace.Length == 0 ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";
}

/// <summary>A controller ownerReference, kept so that a pod can be resolved to the workload a person fixes.</summary>
public sealed record OwnerRef(string Kind, string Name);

/// <summary>
/// Every projection carries its identity, its controller owner and the annotations the engine reads
/// (the posture-exporter.io/ waiver annotations only: the rest of an object's annotations is not kept).
/// </summary>
public abstract record ModelObject(ObjectKey Key)
{
    // The API server's resource versions are decimal numbers: such a version is held as one (a string per object
    // would be ~40 bytes more, at 100k pods 4 MB) and read back as the same text. Any other text is kept as it is.
    private readonly ulong _resourceVersion;
    private readonly string? _resourceVersionText;

    public ImmutableDictionary<string, string> Annotations { get; init; } = ImmutableDictionary<string, string>.Empty;
    public OwnerRef? Controller { get; init; }

    /// <summary>metadata.resourceVersion, "" when unknown (an opaque string to everything that reads it).</summary>
    public string ResourceVersion
    {
        get => _resourceVersionText ?? (_resourceVersion == 0 ? "" : _resourceVersion.ToString(CultureInfo.InvariantCulture));
        init
        {
            if (IsPlainNumber(value) && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                (_resourceVersion, _resourceVersionText) = (n, null);
            }
            else
            {
                (_resourceVersion, _resourceVersionText) = (0, value);
            }
        }
    }

    /// <summary>Digits without a leading zero (so that the number reads back as exactly the same text).</summary>
    private static bool IsPlainNumber(string value) =>
        value is { Length: > 0 and <= 19 } && value[0] is >= '1' and <= '9' && value.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;
}

/// <summary>securityContext fields that controls read, from a pod or a container.</summary>
public sealed record SecuritySettings(
    long? RunAsUser = null,
    bool? RunAsNonRoot = null,
    bool? Privileged = null,
    bool? AllowPrivilegeEscalation = null,
    bool? ReadOnlyRootFilesystem = null,
    ImmutableArray<string> CapabilitiesAdd = default,
    ImmutableArray<string> CapabilitiesDrop = default,
    string? SeccompProfileType = null)
{
    public static readonly SecuritySettings None = new();
    public ImmutableArray<string> Add => CapabilitiesAdd.IsDefault ? [] : CapabilitiesAdd;
    public ImmutableArray<string> Drop => CapabilitiesDrop.IsDefault ? [] : CapabilitiesDrop;

    // Structural equality (a record compares ImmutableArrays by reference), so that identical specs of
    // replicas can be recognised and shared.
    public bool Equals(SecuritySettings? other) =>
        other is not null && RunAsUser == other.RunAsUser && RunAsNonRoot == other.RunAsNonRoot && Privileged == other.Privileged
        && AllowPrivilegeEscalation == other.AllowPrivilegeEscalation && ReadOnlyRootFilesystem == other.ReadOnlyRootFilesystem
        && SeccompProfileType == other.SeccompProfileType && Add.SequenceEqual(other.Add) && Drop.SequenceEqual(other.Drop);

    public override int GetHashCode() =>
        HashCode.Combine(RunAsUser, RunAsNonRoot, Privileged, AllowPrivilegeEscalation, ReadOnlyRootFilesystem, SeccompProfileType, Add.Length, Drop.Length);
}

public enum ContainerType { Init, Regular, Ephemeral }

public sealed record ContainerSpec(
    string Name,
    ContainerType Type,
    string Image,
    SecuritySettings Security,
    bool HasMemoryLimit,
    bool HasCpuLimit,
    ImmutableArray<int> HostPorts,
    ImmutableArray<string> LiteralEnvNames)
{
    public bool Equals(ContainerSpec? other) =>
        other is not null && Name == other.Name && Type == other.Type && Image == other.Image && Security.Equals(other.Security)
        && HasMemoryLimit == other.HasMemoryLimit && HasCpuLimit == other.HasCpuLimit
        && Seq(HostPorts).SequenceEqual(Seq(other.HostPorts)) && Seq(LiteralEnvNames).SequenceEqual(Seq(other.LiteralEnvNames));

    public override int GetHashCode() => HashCode.Combine(Name, Type, Image, Security, HasMemoryLimit, HasCpuLimit);

    private static ImmutableArray<T> Seq<T>(ImmutableArray<T> a) => a.IsDefault ? [] : a;
}

/// <summary>What a pod (or a pod template) runs: the part of a PodSpec the controls read.</summary>
public sealed record PodSpecInfo(
    string ServiceAccountName,
    bool? AutomountServiceAccountToken,
    bool HostPid,
    bool HostIpc,
    bool HostNetwork,
    ImmutableArray<string> HostPathVolumes,
    SecuritySettings PodSecurity,
    ImmutableArray<ContainerSpec> Containers)
{
    /// <summary>The ServiceAccount the pod runs as; an empty field means the namespace's "default".</summary>
    public string EffectiveServiceAccount => ServiceAccountName.Length == 0 ? "default" : ServiceAccountName;

    /// <summary>Structural: replicas of one workload have equal specs, which the model then holds once.</summary>
    public bool Equals(PodSpecInfo? other) =>
        other is not null && (ReferenceEquals(this, other)
            || (ServiceAccountName == other.ServiceAccountName && AutomountServiceAccountToken == other.AutomountServiceAccountToken
                && HostPid == other.HostPid && HostIpc == other.HostIpc && HostNetwork == other.HostNetwork
                && PodSecurity.Equals(other.PodSecurity)
                && (HostPathVolumes.IsDefault ? [] : HostPathVolumes).SequenceEqual(other.HostPathVolumes.IsDefault ? [] : other.HostPathVolumes)
                && (Containers.IsDefault ? [] : Containers).SequenceEqual(other.Containers.IsDefault ? [] : other.Containers)));

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(ServiceAccountName);
        h.Add(HostPid);
        h.Add(HostNetwork);
        h.Add(PodSecurity);
        foreach (var c in Containers.IsDefault ? [] : Containers)
        {
            h.Add(c);
        }
        return h.ToHashCode();
    }
}

public sealed record PodInfo(ObjectKey Key, PodSpecInfo Spec, bool Live) : ModelObject(Key)
{
    /// <summary>Set only for static kube-apiserver pods (kube-system, label component=kube-apiserver).</summary>
    public ImmutableArray<string> ApiServerCommand { get; init; }
    public bool IsApiServer => !ApiServerCommand.IsDefault;
}

/// <summary>Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet or ReplicationController.</summary>
public sealed record WorkloadInfo(ObjectKey Key, PodSpecInfo? Template) : ModelObject(Key);

public sealed record NamespaceInfo(ObjectKey Key, ImmutableDictionary<string, string> Labels) : ModelObject(Key);

public sealed record ServiceAccountInfo(ObjectKey Key, bool? AutomountServiceAccountToken) : ModelObject(Key);

/// <summary>Container-type LimitRange defaults, which admission applies to containers that set no limits.</summary>
public sealed record LimitRangeInfo(ObjectKey Key, bool DefaultsMemoryLimit, bool DefaultsCpuLimit) : ModelObject(Key);

public sealed record NetworkPolicyInfo(
    ObjectKey Key,
    bool SelectsAllPods,
    bool AffectsIngress,
    bool AffectsEgress,
    int IngressRuleCount,
    int EgressRuleCount,
    ImmutableArray<PolicyPort> EgressPorts,
    bool EgressAllowsAllPorts) : ModelObject(Key);

/// <summary>
/// A port of an egress rule: Port null (and no NamedPort) means every port of that protocol; EndPort, when set,
/// makes Port..EndPort a range.
/// </summary>
public sealed record PolicyPort(string Protocol, int? Port, string? NamedPort, int? EndPort = null)
{
    /// <summary>Whether the rule port lets traffic to this numbered port of this protocol through.</summary>
    public bool Covers(string protocol, int port) =>
        string.Equals(Protocol, protocol, StringComparison.OrdinalIgnoreCase)
        && NamedPort is null
        && (Port is null || Port == port || (EndPort is { } end && Port <= port && port <= end));
}

public sealed record PolicyRule(ImmutableArray<string> Verbs, ImmutableArray<string> Resources, ImmutableArray<string> ApiGroups);

public sealed record RoleInfo(ObjectKey Key, ImmutableArray<PolicyRule> Rules, bool BuiltIn, bool Aggregated) : ModelObject(Key);

public sealed record RbacSubject(string Kind, string Name, string Namespace)
{
    public override string ToString() => Namespace.Length == 0 ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";
}

public sealed record BindingInfo(ObjectKey Key, string RoleKind, string RoleName, ImmutableArray<RbacSubject> Subjects) : ModelObject(Key)
{
    /// <summary>The role this binding grants: a ClusterRole, or a Role in the binding's own namespace.</summary>
    public ObjectKey RoleKey => RoleKind == Kinds.ClusterRole
        ? new ObjectKey(Kinds.ClusterRole, "", RoleName)
        : new ObjectKey(Kinds.Role, Key.Namespace, RoleName);
}

public sealed record IngressInfo(ObjectKey Key, ImmutableArray<string> RuleHosts, ImmutableArray<string> TlsHosts, bool HasTls) : ModelObject(Key);

public sealed record NodeInfo(ObjectKey Key, string KubeletVersion) : ModelObject(Key);
