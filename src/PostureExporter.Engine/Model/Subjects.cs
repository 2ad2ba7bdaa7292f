namespace PostureExporter.Engine.Model;

/// <summary>What kind of thing a control judges; each scope has its own subjects.</summary>
public enum SubjectScope
{
    /// <summary>A workload's top-level owner (Deployment, CronJob, …, or a bare Pod).</summary>
    Workload,
    Namespace,
    /// <summary>A Role or ClusterRole.</summary>
    Role,
    /// <summary>A RoleBinding or ClusterRoleBinding.</summary>
    Binding,
    Ingress,
    Node,
    /// <summary>A static kube-apiserver pod.</summary>
    ApiServer,
}

/// <summary>A subject: the thing a person fixes, within a scope.</summary>
public readonly record struct SubjectRef(SubjectScope Scope, ObjectKey Key)
{
    public override string ToString() => $"{Scope}:{Key}";
}

/// <summary>
/// A workload as the controls see it: the pod specs of its live pods (what runs), or its pod template
/// with LimitRange defaults applied when no pod is live.
/// </summary>
public sealed record WorkloadSubject(ObjectKey Key, ModelObject? Owner, IReadOnlyList<PodSpecInfo> Specs, bool FromTemplate);
