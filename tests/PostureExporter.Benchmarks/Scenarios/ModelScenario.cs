using System.Diagnostics;
using k8s;
using k8s.Models;
using PostureExporter.Benchmarks.Harness;
using PostureExporter.Engine;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Simulator;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Scenarios;

/// <summary>
/// model --pods N [--seed S] [--gcdump FILE] [--metrics]: the engine alone, in this process: managed heap that the model and
/// then the findings index add for a synthetic cluster (after full GCs), without the exporter's HTTP host and client
/// (and without its metrics unless --metrics: then the posture metrics observe the index, and the initial evaluation's
/// time is split as the exporter spends it). Quick to rerun while working on the engine; the sync scenario is the
/// measurement of record.
/// </summary>
internal static class ModelScenario
{
    public static Task<object> RunAsync(Arguments args)
    {
        var pods = args.Int("pods", 1_000);
        var store = new ClusterStore(historyLimit: 0);
        SyntheticCluster.Populate(store, new SyntheticOptions { Pods = pods, Seed = args.Int("seed", 1) });
        WarmUp(store);
        var before = Heap();

        var sw = Stopwatch.StartNew();
        var (model, objects) = Build(store);
        var projectSeconds = sw.Elapsed.TotalSeconds;
        var withModel = Heap();

        sw.Restart();
        // As the exporter's initial evaluation (EngineService.Settle): counts written once at the end, tables trimmed.
        var metrics = args.Flag("metrics")
            ? new PostureExporter.Metrics.PostureMetrics(new PostureExporter.Metrics.SeriesStore(), model, PostureSettings.Default,
                new PostureExporter.Configuration.PostureOptions().MaxDetailSeries, [])
            : null;
        var index = new FindingsIndex(model, PostureSettings.Default, metrics);
        metrics?.BeginInitialEvaluation();
        index.EvaluateAll(DateTimeOffset.UnixEpoch);
        var verdictsSeconds = sw.Elapsed.TotalSeconds;
        metrics?.EndInitialEvaluation(index);
        var countsSeconds = sw.Elapsed.TotalSeconds - verdictsSeconds;
        index.TrimExcess();
        metrics?.TrimExcess();
        var evaluateSeconds = sw.Elapsed.TotalSeconds;
        Log.Info($"evaluation {evaluateSeconds:F3} s: findings {verdictsSeconds:F3} s, counts written {countsSeconds:F3} s, trim {evaluateSeconds - verdictsSeconds - countsSeconds:F3} s");
        var withIndex = Heap();
        // --gcdump FILE: a heap dump of this process now, store included (filter by the engine's types).
        if (args.String("gcdump") is { } dump)
        {
            SyncScenario.GcDumpAsync(Environment.ProcessId, dump).GetAwaiter().GetResult();
        }
        GC.KeepAlive(store);
        GC.KeepAlive(index);

        var modelBytes = withModel - before;
        var indexBytes = withIndex - withModel;
        Log.Info($"{objects} objects: model {modelBytes / 1048576.0:F1} MiB ({modelBytes / pods} B/pod), findings index {indexBytes / 1048576.0:F1} MiB ({indexBytes / pods} B/pod)");
        return Task.FromResult<object>(new
        {
            scenario = "model",
            pods,
            objects,
            model_bytes = modelBytes,
            model_bytes_per_pod = modelBytes / pods,
            index_bytes = indexBytes,
            index_bytes_per_pod = indexBytes / pods,
            project_s = Math.Round(projectSeconds, 3),
            evaluate_s = Math.Round(evaluateSeconds, 3),
        });
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (ClusterModel Model, int Objects) Build(ClusterStore store)
    {
        var model = new ClusterModel();
        var objects = 0;
        foreach (var (resource, decode) in Resources)
        {
            foreach (var json in store.List(resource))
            {
                if (Projector.Project(decode(json.ToJsonString())) is { } projected)
                {
                    model.Upsert(projected);
                    objects++;
                }
            }
        }
        return (model, objects);
    }

    /// <summary>
    /// One object of each kind decoded and projected first, so that the serializer's one-off caches are not counted
    /// as the model's (a method of its own, so that no list stays reachable from a stack slot).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void WarmUp(ClusterStore store)
    {
        foreach (var (resource, decode) in Resources)
        {
            if (store.List(resource, store.List("namespaces")[^1]["metadata"]!["name"]!.GetValue<string>()) is [var first, ..])
            {
                Projector.Project(decode(first.ToJsonString()));
            }
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private static Func<string, IKubernetesObject<V1ObjectMeta>> D<T>() where T : IKubernetesObject<V1ObjectMeta> =>
        json => KubernetesJson.Deserialize<T>(json);

    // Every resource the exporter watches, decoded with the client's own serializer settings.
    private static readonly (string Resource, Func<string, IKubernetesObject<V1ObjectMeta>> Decode)[] Resources =
    [
        ("namespaces", D<V1Namespace>()),
        ("serviceaccounts", D<V1ServiceAccount>()),
        ("limitranges", D<V1LimitRange>()),
        ("nodes", D<V1Node>()),
        ("roles", D<V1Role>()),
        ("clusterroles", D<V1ClusterRole>()),
        ("rolebindings", D<V1RoleBinding>()),
        ("clusterrolebindings", D<V1ClusterRoleBinding>()),
        ("networkpolicies", D<V1NetworkPolicy>()),
        ("ingresses", D<V1Ingress>()),
        ("deployments", D<V1Deployment>()),
        ("replicasets", D<V1ReplicaSet>()),
        ("statefulsets", D<V1StatefulSet>()),
        ("daemonsets", D<V1DaemonSet>()),
        ("jobs", D<V1Job>()),
        ("cronjobs", D<V1CronJob>()),
        ("pods", D<V1Pod>()),
    ];
}
