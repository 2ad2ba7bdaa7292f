using k8s;
using k8s.Models;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Findings;

/// <summary>From-scratch evaluation: the same model and engine the daemon runs, built in one go (audit, tests).</summary>
public static class Evaluation
{
    public static FindingsIndex FromObjects(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects, PostureSettings settings, DateTimeOffset now)
    {
        var model = new ClusterModel();
        foreach (var o in objects)
        {
            if (Projector.Project(o) is { } projected)
            {
                model.Upsert(projected);
            }
        }
        var index = new FindingsIndex(model, settings);
        index.EvaluateAll(now);
        return index;
    }
}
