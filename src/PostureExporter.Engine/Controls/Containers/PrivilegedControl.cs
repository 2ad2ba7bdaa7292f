using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class PrivilegedControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-privileged",
        "Privileged containers",
        "2",
        "container-escape",
        Severity.Critical,
        "a container sets `securityContext.privileged: true`",
        "A privileged container has every capability and the host's devices: it is root on the node in all but name.",
        "Remove securityContext.privileged: true; grant only the specific capability the workload needs.",
        ["CIS Kubernetes 5.2.2", "Pod Security Standards: baseline (privileged)", "NSA/CISA Kubernetes Hardening: no privileged containers"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context) =>
        c.Security.Privileged == true ? "privileged: true" : null;
}
