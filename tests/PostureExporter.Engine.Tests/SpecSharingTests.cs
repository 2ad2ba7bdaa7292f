using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests;

/// <summary>Replicas' identical specs are held once by the model, and released when their pods go.</summary>
public sealed class SpecSharingTests
{
    [Fact]
    public void Model_ReplicasWithEqualSpecs_HoldOneSharedSpec_AndReleaseItWhenTheyGo()
    {
        var model = new ClusterModel();
        var pods = Enumerable.Range(0, 40).Select(i => Projector.Project(Make.Pod("shop", $"web-{i}", Make.RootSpec(), ("ReplicaSet", "web-1")))!).ToList();
        foreach (var p in pods)
        {
            model.Upsert(p);
        }

        Assert.Equal(1, model.DistinctSpecs);
        var held = pods.Select(p => ((PodInfo)model.Get(p.Key)!).Spec).ToList();
        Assert.All(held, s => Assert.Same(held[0], s));

        model.Upsert(Projector.Project(Make.Pod("shop", "web-0", Make.NonRootSpec(), ("ReplicaSet", "web-1")))!);
        Assert.Equal(2, model.DistinctSpecs);

        foreach (var p in pods)
        {
            model.Delete(p.Key);
        }
        Assert.Equal(0, model.DistinctSpecs);
    }
}
