using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Pods;

public sealed class HostPathControl : PodSpecControl
{
    public override ControlMetadata Metadata { get; } = new(
        "pod-host-path",
        "Pods mounting host paths",
        "2",
        "container-escape",
        Severity.High,
        "a pod has a hostPath volume",
        "A hostPath volume reaches the node's file system: the container runtime socket, kubelet credentials, other "
        + "pods' volumes. Even read-only, it leaks secrets; writable, it is a direct escape.",
        "Use emptyDir, a PersistentVolumeClaim, a ConfigMap or a projected volume instead; for node agents that need a "
        + "host path, mount the narrowest path read-only and record a waiver.",
        ["CIS Kubernetes 5.2.12", "Pod Security Standards: baseline (hostPath volumes)", "NSA/CISA Kubernetes Hardening: Pod security"]);

    protected override string? Check(WorkloadSubject workload, PodSpecInfo pod, EvaluationContext context) =>
        pod.HostPathVolumes.IsDefaultOrEmpty ? null : $"hostPath volume {string.Join(", ", pod.HostPathVolumes)}";
}
