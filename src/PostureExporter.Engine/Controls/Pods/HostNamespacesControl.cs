using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Pods;

public sealed class HostNamespacesControl : PodSpecControl
{
    public override ControlMetadata Metadata { get; } = new(
        "pod-host-namespaces",
        "Pods sharing the node's namespaces",
        "2",
        "container-escape",
        Severity.High,
        "a pod sets hostPID, hostIPC or hostNetwork to true",
        "hostPID shows and signals every process on the node (and reads their environment); hostIPC shares the node's "
        + "shared memory; hostNetwork puts the pod on the node's interfaces, past NetworkPolicies, with access to "
        + "services bound to localhost such as the kubelet's. Each undoes a layer of container isolation.",
        "Remove hostPID, hostIPC and hostNetwork from the pod spec; for node agents that need them, run them in a "
        + "dedicated namespace and record a waiver.",
        ["CIS Kubernetes 5.2.3", "CIS Kubernetes 5.2.4", "CIS Kubernetes 5.2.5", "Pod Security Standards: baseline (host namespaces)"]);

    protected override string? Check(WorkloadSubject workload, PodSpecInfo pod, EvaluationContext context)
    {
        var shared = new List<string>(3);
        if (pod.HostPid)
        {
            shared.Add("hostPID");
        }
        if (pod.HostIpc)
        {
            shared.Add("hostIPC");
        }
        if (pod.HostNetwork)
        {
            shared.Add("hostNetwork");
        }
        return shared.Count == 0 ? null : $"{string.Join(", ", shared)}: true";
    }
}
