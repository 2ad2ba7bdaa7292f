using k8s;
using k8s.Models;
using PostureExporter.Simulator;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Micro;

/// <summary>A synthetic cluster as typed client objects, decoded with the client's own serializer settings.</summary>
internal static class SyntheticObjects
{
    public static List<IKubernetesObject<V1ObjectMeta>> Typed(SyntheticOptions options)
    {
        var store = new ClusterStore(historyLimit: 0);
        SyntheticCluster.Populate(store, options);
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        Add<V1Namespace>(store, "namespaces", objects);
        Add<V1NetworkPolicy>(store, "networkpolicies", objects);
        Add<V1RoleBinding>(store, "rolebindings", objects);
        Add<V1ClusterRoleBinding>(store, "clusterrolebindings", objects);
        Add<V1Deployment>(store, "deployments", objects);
        Add<V1ReplicaSet>(store, "replicasets", objects);
        Add<V1StatefulSet>(store, "statefulsets", objects);
        Add<V1DaemonSet>(store, "daemonsets", objects);
        Add<V1CronJob>(store, "cronjobs", objects);
        Add<V1Job>(store, "jobs", objects);
        Add<V1Pod>(store, "pods", objects);
        return objects;
    }

    private static void Add<T>(ClusterStore store, string resource, List<IKubernetesObject<V1ObjectMeta>> objects)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        foreach (var json in store.List(resource))
        {
            objects.Add(KubernetesJson.Deserialize<T>(json.ToJsonString()));
        }
    }
}
