using k8s;
using k8s.Models;
using PostureExporter.Engine.Model;

namespace PostureExporter.Informers;

/// <summary>How to list and watch one resource kind, cluster-wide: its API path and the model type it decodes into.</summary>
internal abstract record ResourceDescriptor(string Resource, string Kind, string Path)
{
    public static readonly IReadOnlyList<ResourceDescriptor> All =
    [
        new Of<V1Namespace>("namespaces", Kinds.Namespace, "api/v1/namespaces"),
        new Of<V1Pod>("pods", Kinds.Pod, "api/v1/pods"),
        new Of<V1ServiceAccount>("serviceaccounts", Kinds.ServiceAccount, "api/v1/serviceaccounts"),
        new Of<V1LimitRange>("limitranges", Kinds.LimitRange, "api/v1/limitranges"),
        new Of<V1Node>("nodes", Kinds.Node, "api/v1/nodes"),
        new Of<V1ReplicationController>("replicationcontrollers", Kinds.ReplicationController, "api/v1/replicationcontrollers"),
        new Of<V1Role>("roles", Kinds.Role, "apis/rbac.authorization.k8s.io/v1/roles"),
        new Of<V1ClusterRole>("clusterroles", Kinds.ClusterRole, "apis/rbac.authorization.k8s.io/v1/clusterroles"),
        new Of<V1RoleBinding>("rolebindings", Kinds.RoleBinding, "apis/rbac.authorization.k8s.io/v1/rolebindings"),
        new Of<V1ClusterRoleBinding>("clusterrolebindings", Kinds.ClusterRoleBinding, "apis/rbac.authorization.k8s.io/v1/clusterrolebindings"),
        new Of<V1NetworkPolicy>("networkpolicies", Kinds.NetworkPolicy, "apis/networking.k8s.io/v1/networkpolicies"),
        new Of<V1Ingress>("ingresses", Kinds.Ingress, "apis/networking.k8s.io/v1/ingresses"),
        new Of<V1Deployment>("deployments", Kinds.Deployment, "apis/apps/v1/deployments"),
        new Of<V1ReplicaSet>("replicasets", Kinds.ReplicaSet, "apis/apps/v1/replicasets"),
        new Of<V1StatefulSet>("statefulsets", Kinds.StatefulSet, "apis/apps/v1/statefulsets"),
        new Of<V1DaemonSet>("daemonsets", Kinds.DaemonSet, "apis/apps/v1/daemonsets"),
        new Of<V1Job>("jobs", Kinds.Job, "apis/batch/v1/jobs"),
        new Of<V1CronJob>("cronjobs", Kinds.CronJob, "apis/batch/v1/cronjobs"),
    ];

    /// <summary>The resources to watch: namespaces always (for posture_namespace_info), plus what enabled controls read.</summary>
    public static IReadOnlyList<ResourceDescriptor> For(IEnumerable<string> kinds)
    {
        var wanted = kinds.Append(Kinds.Namespace).ToHashSet();
        return All.Where(d => wanted.Contains(d.Kind)).ToList();
    }

    public abstract Task<ListPage> List(KubeApi api, string? continueToken, int limit, CancellationToken ct);

    /// <summary>The items of a page read whole (see <see cref="KubeApi.FetchListPageAsync"/>), decoded as this kind.</summary>
    public abstract ListPage Decode(ListPageBytes page);

    public abstract IAsyncEnumerable<WatchLine> Watch(KubeApi api, string resourceVersion, int timeoutSeconds, CancellationToken ct);

    private sealed record Of<T>(string Resource, string Kind, string Path) : ResourceDescriptor(Resource, Kind, Path)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        public override Task<ListPage> List(KubeApi api, string? continueToken, int limit, CancellationToken ct) =>
            api.ListAsync<T>(Path, continueToken, limit, ct);

        public override ListPage Decode(ListPageBytes page) => KubeApi.DecodeListPage<T>(page);

        public override IAsyncEnumerable<WatchLine> Watch(KubeApi api, string resourceVersion, int timeoutSeconds, CancellationToken ct) =>
            api.WatchAsync<T>(Path, resourceVersion, timeoutSeconds, ct);
    }
}
