using k8s;
using k8s.Models;
using PostureExporter.Engine.Model;

namespace PostureExporter.Informers;

/// <summary>One page of a LIST.</summary>
internal sealed record ListPage(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Items, string ResourceVersion, string? Continue);

/// <summary>How to list and watch one resource kind with the KubernetesClient, cluster-wide.</summary>
internal sealed record ResourceDescriptor(
    string Resource,
    string Kind,
    Func<IKubernetes, string?, int, CancellationToken, Task<ListPage>> List,
    Func<IKubernetes, string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, IKubernetesObject<V1ObjectMeta> Object)>> Watch)
{
    public static readonly IReadOnlyList<ResourceDescriptor> All =
    [
        Make<V1NamespaceList, V1Namespace>("namespaces", Kinds.Namespace,
            (c, cont, limit, ct) => c.CoreV1.ListNamespaceAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1PodList, V1Pod>("pods", Kinds.Pod,
            (c, cont, limit, ct) => c.CoreV1.ListPodForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1ServiceAccountList, V1ServiceAccount>("serviceaccounts", Kinds.ServiceAccount,
            (c, cont, limit, ct) => c.CoreV1.ListServiceAccountForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.CoreV1.WatchListServiceAccountForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1LimitRangeList, V1LimitRange>("limitranges", Kinds.LimitRange,
            (c, cont, limit, ct) => c.CoreV1.ListLimitRangeForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.CoreV1.WatchListLimitRangeForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1NodeList, V1Node>("nodes", Kinds.Node,
            (c, cont, limit, ct) => c.CoreV1.ListNodeAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.CoreV1.WatchListNodeAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1ReplicationControllerList, V1ReplicationController>("replicationcontrollers", Kinds.ReplicationController,
            (c, cont, limit, ct) => c.CoreV1.ListReplicationControllerForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.CoreV1.WatchListReplicationControllerForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1RoleList, V1Role>("roles", Kinds.Role,
            (c, cont, limit, ct) => c.RbacAuthorizationV1.ListRoleForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.RbacAuthorizationV1.WatchListRoleForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1ClusterRoleList, V1ClusterRole>("clusterroles", Kinds.ClusterRole,
            (c, cont, limit, ct) => c.RbacAuthorizationV1.ListClusterRoleAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.RbacAuthorizationV1.WatchListClusterRoleAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1RoleBindingList, V1RoleBinding>("rolebindings", Kinds.RoleBinding,
            (c, cont, limit, ct) => c.RbacAuthorizationV1.ListRoleBindingForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.RbacAuthorizationV1.WatchListRoleBindingForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1ClusterRoleBindingList, V1ClusterRoleBinding>("clusterrolebindings", Kinds.ClusterRoleBinding,
            (c, cont, limit, ct) => c.RbacAuthorizationV1.ListClusterRoleBindingAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.RbacAuthorizationV1.WatchListClusterRoleBindingAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1NetworkPolicyList, V1NetworkPolicy>("networkpolicies", Kinds.NetworkPolicy,
            (c, cont, limit, ct) => c.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.NetworkingV1.WatchListNetworkPolicyForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1IngressList, V1Ingress>("ingresses", Kinds.Ingress,
            (c, cont, limit, ct) => c.NetworkingV1.ListIngressForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.NetworkingV1.WatchListIngressForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1DeploymentList, V1Deployment>("deployments", Kinds.Deployment,
            (c, cont, limit, ct) => c.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.AppsV1.WatchListDeploymentForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1ReplicaSetList, V1ReplicaSet>("replicasets", Kinds.ReplicaSet,
            (c, cont, limit, ct) => c.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.AppsV1.WatchListReplicaSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1StatefulSetList, V1StatefulSet>("statefulsets", Kinds.StatefulSet,
            (c, cont, limit, ct) => c.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.AppsV1.WatchListStatefulSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1DaemonSetList, V1DaemonSet>("daemonsets", Kinds.DaemonSet,
            (c, cont, limit, ct) => c.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.AppsV1.WatchListDaemonSetForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1JobList, V1Job>("jobs", Kinds.Job,
            (c, cont, limit, ct) => c.BatchV1.ListJobForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.BatchV1.WatchListJobForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
        Make<V1CronJobList, V1CronJob>("cronjobs", Kinds.CronJob,
            (c, cont, limit, ct) => c.BatchV1.ListCronJobForAllNamespacesAsync(continueParameter: cont, limit: limit, cancellationToken: ct),
            (c, rv, t, err, ct) => c.BatchV1.WatchListCronJobForAllNamespacesAsync(allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: t, onError: err, cancellationToken: ct)),
    ];

    /// <summary>The resources to watch: namespaces always (for posture_namespace_info), plus what enabled controls read.</summary>
    public static IReadOnlyList<ResourceDescriptor> For(IEnumerable<string> kinds)
    {
        var wanted = kinds.Append(Kinds.Namespace).ToHashSet();
        return All.Where(d => wanted.Contains(d.Kind)).ToList();
    }

    private static ResourceDescriptor Make<TList, T>(
        string resource,
        string kind,
        Func<IKubernetes, string?, int, CancellationToken, Task<TList>> list,
        Func<IKubernetes, string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
        where TList : IKubernetesObject<V1ListMeta>, IItems<T>
        where T : IKubernetesObject<V1ObjectMeta> =>
        new(resource, kind,
            async (c, cont, limit, ct) =>
            {
                var page = await list(c, cont, limit, ct);
                return new ListPage(page.Items.Cast<IKubernetesObject<V1ObjectMeta>>().ToList(), page.Metadata?.ResourceVersion ?? "", page.Metadata?.ContinueProperty);
            },
            (c, rv, t, err, ct) => Cast(watch(c, rv, t, err, ct), ct));

    private static async IAsyncEnumerable<(WatchEventType, IKubernetesObject<V1ObjectMeta>)> Cast<T>(
        IAsyncEnumerable<(WatchEventType, T)> source,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        await foreach (var (type, obj) in source.WithCancellation(ct))
        {
            yield return (type, obj);
        }
    }
}
