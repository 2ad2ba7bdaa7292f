using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class HostPortControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-host-port",
        "Containers that bind host ports",
        "9",
        "exposure",
        Severity.Medium,
        "a container port sets hostPort",
        "A hostPort opens the port on the node's own address, past Services and NetworkPolicies' usual path, and ties "
        + "the pod to nodes where the port is free; it exposes the workload to whatever can reach the node.",
        "Remove hostPort and expose the workload through a Service (ClusterIP, NodePort or LoadBalancer) or an Ingress.",
        ["CIS Kubernetes 5.2.13", "Pod Security Standards: baseline (host ports)"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context) =>
        c.HostPorts.IsDefaultOrEmpty ? null : $"hostPort {string.Join(", ", c.HostPorts)}";
}
