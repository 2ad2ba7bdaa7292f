using k8s;
using k8s.Models;
using PostureExporter.Engine;
using PostureExporter.Engine.Findings;
using PostureExporter.Simulator;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Tests.Informers;

/// <summary>
/// The benchmarks trust the synthetic cluster's predicted totals to decide that the exporter's gauges are right;
/// this holds the prediction to the engine's own from-scratch evaluation of the same objects.
/// </summary>
public sealed class SyntheticClusterExpectationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PredictedTotals_EqualAFromScratchEvaluation(bool barePodsOnly)
    {
        var store = new ClusterStore();
        var summary = SyntheticCluster.Populate(store, new SyntheticOptions
        {
            Pods = 600,
            Seed = 7,
            BarePodsOnly = barePodsOnly,
            Violations = barePodsOnly ? ViolationMix.All : ViolationMix.Realistic with { Privileged = 0.05 },
        });
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

        var index = Evaluation.FromObjects(objects, PostureSettings.Default, DateTimeOffset.UtcNow);

        foreach (var (control, expected) in summary.Expected)
        {
            var counts = index.Counts.Where(kv => kv.Key.Control == control).Select(kv => kv.Value).ToList();
            Assert.Equal((control, expected.Checked), (control, counts.Sum(c => c.Checked)));
            Assert.Equal((control, expected.Violations), (control, counts.Sum(c => c.Violations)));
        }
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
