using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class PrivilegeEscalationControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-privilege-escalation",
        "Containers that may gain privileges",
        "2",
        "container-escape",
        Severity.High,
        "a container's securityContext.allowPrivilegeEscalation is not `false` (unset counts: the default is true)",
        "Unless allowPrivilegeEscalation is false, the kernel's no_new_privs flag is off: a setuid binary or file "
        + "capability in the image can turn a compromised non-root process into root inside the container.",
        "Set securityContext.allowPrivilegeEscalation: false on every container (initContainers included).",
        ["CIS Kubernetes 5.2.6", "Pod Security Standards: restricted (allowPrivilegeEscalation)", "NSA/CISA Kubernetes Hardening: Pod security"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context) =>
        c.Security.AllowPrivilegeEscalation == false
            ? null
            : c.Security.AllowPrivilegeEscalation is null ? "allowPrivilegeEscalation is unset" : "allowPrivilegeEscalation: true";
}
