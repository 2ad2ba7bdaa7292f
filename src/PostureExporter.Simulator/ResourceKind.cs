namespace PostureExporter.Simulator;

/// <summary>A kind the simulated API server serves. <paramref name="Group"/> is "" for the core group.</summary>
public sealed record ResourceKind(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    /// <summary>The apiVersion string objects of this kind carry, e.g. "v1" or "apps/v1".</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>The fixed set of served kinds plus the discovery details kubectl wants (short names, categories).</summary>
internal static class ResourceCatalog
{
    public static readonly ResourceKind[] All =
    [
        new("", "v1", "namespaces", "Namespace", false),
        new("", "v1", "pods", "Pod", true),
        new("", "v1", "serviceaccounts", "ServiceAccount", true),
        new("", "v1", "limitranges", "LimitRange", true),
        new("", "v1", "nodes", "Node", false),
        new("", "v1", "replicationcontrollers", "ReplicationController", true),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true),
        new("networking.k8s.io", "v1", "ingresses", "Ingress", true),
        new("apps", "v1", "deployments", "Deployment", true),
        new("apps", "v1", "replicasets", "ReplicaSet", true),
        new("apps", "v1", "statefulsets", "StatefulSet", true),
        new("apps", "v1", "daemonsets", "DaemonSet", true),
        new("batch", "v1", "jobs", "Job", true),
        new("batch", "v1", "cronjobs", "CronJob", true),
    ];

    public static readonly IReadOnlyList<ResourceKind> ReadOnlyAll = Array.AsReadOnly(All);

    /// <summary>The short names a real v1.32 API server advertises; kubectl resolves "po", "deploy"… through them.</summary>
    private static readonly Dictionary<string, string[]> ShortNames = new(StringComparer.Ordinal)
    {
        ["namespaces"] = ["ns"],
        ["pods"] = ["po"],
        ["serviceaccounts"] = ["sa"],
        ["limitranges"] = ["limits"],
        ["nodes"] = ["no"],
        ["replicationcontrollers"] = ["rc"],
        ["networkpolicies"] = ["netpol"],
        ["ingresses"] = ["ing"],
        ["deployments"] = ["deploy"],
        ["replicasets"] = ["rs"],
        ["statefulsets"] = ["sts"],
        ["daemonsets"] = ["ds"],
        ["cronjobs"] = ["cj"],
    };

    /// <summary>Kinds in the "all" category, so that `kubectl get all` behaves as on a real cluster.</summary>
    private static readonly HashSet<string> AllCategory = new(StringComparer.Ordinal)
    {
        "pods", "replicationcontrollers", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
    };

    private static readonly Dictionary<string, ResourceKind> ByPlural = All.ToDictionary(k => k.Plural, StringComparer.Ordinal);
    private static readonly Dictionary<(string ApiVersion, string Kind), ResourceKind> ByKind = All.ToDictionary(k => (k.ApiVersion, k.Kind));

    /// <summary>Group versions in discovery order: core first, then the named groups as first listed.</summary>
    public static readonly (string Group, string Version)[] GroupVersions = All.Select(k => (k.Group, k.Version)).Distinct().ToArray();

    public static ResourceKind? FindPlural(string plural) => ByPlural.GetValueOrDefault(plural);

    public static ResourceKind? Find(string group, string version, string plural) =>
        ByPlural.TryGetValue(plural, out var kind) && kind.Group == group && kind.Version == version ? kind : null;

    public static ResourceKind? FindKind(string apiVersion, string kind) => ByKind.GetValueOrDefault((apiVersion, kind));

    public static bool ServesGroupVersion(string group, string version) => GroupVersions.Contains((group, version));

    public static string[] ShortNamesOf(ResourceKind kind) => ShortNames.GetValueOrDefault(kind.Plural) ?? [];

    public static bool InAllCategory(ResourceKind kind) => AllCategory.Contains(kind.Plural);
}
