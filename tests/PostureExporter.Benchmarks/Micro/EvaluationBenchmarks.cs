using BenchmarkDotNet.Attributes;
using k8s;
using k8s.Models;
using PostureExporter.Engine;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Micro;

/// <summary>
/// The engine's cost: one pod event applied incrementally to a synced synthetic cluster (the churn path), and a
/// from-scratch evaluation of a whole cluster (what the initial sync amounts to).
/// </summary>
[MemoryDiagnoser]
public class EvaluationBenchmarks
{
    private FindingsIndex _index = null!;
    private PodInfo _compliant = null!;
    private PodInfo _root = null!;
    private List<IKubernetesObject<V1ObjectMeta>> _objects = [];
    private bool _flip;

    [Params(10_000)]
    public int Pods { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _objects = SyntheticObjects.Typed(new SyntheticOptions { Pods = Pods });
        _index = Evaluation.FromObjects(_objects, PostureSettings.Default, DateTimeOffset.UtcNow);
        // A pod of a Deployment: re-evaluating it means re-reading its Deployment's live pods.
        var pod = _objects.OfType<V1Pod>().First(p => p.Metadata.OwnerReferences?.Count > 0);
        _compliant = (PodInfo)Projector.Project(pod)!;
        var rootSpec = _compliant.Spec with
        {
            Containers = [.. _compliant.Spec.Containers.Select(c => c with { Security = c.Security with { RunAsUser = 0 } })],
        };
        _root = _compliant with { Spec = rootSpec };
    }

    [Benchmark]
    public void UpsertPodEvent()
    {
        _flip = !_flip;
        _index.Upsert(_flip ? _root : _compliant, DateTimeOffset.UtcNow);
    }

    [Benchmark]
    [IterationCount(3)]
    public int FromScratch() => Evaluation.FromObjects(_objects, PostureSettings.Default, DateTimeOffset.UtcNow).Counts.Count;
}
