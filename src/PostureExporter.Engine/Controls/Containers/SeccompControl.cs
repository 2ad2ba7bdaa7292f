using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class SeccompControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-seccomp",
        "Containers without a seccomp profile",
        "2",
        "container-escape",
        Severity.Medium,
        "a container's effective seccompProfile type (container field, else pod field) is not RuntimeDefault or Localhost",
        "Without seccomp a container can make every system call the kernel offers, including the rarely used ones "
        + "behind most kernel privilege-escalation exploits; the runtime's default profile blocks them at no cost.",
        "Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a reviewed profile); "
        + "do not override it with Unconfined on a container.",
        ["CIS Kubernetes 5.7.2", "Pod Security Standards: restricted (seccomp)", "NSA/CISA Kubernetes Hardening: Pod security"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        // The container's field overrides the pod's. The legacy seccomp annotations stopped having any effect in
        // Kubernetes 1.27, so they are not read.
        var type = c.Security.SeccompProfileType ?? pod.PodSecurity.SeccompProfileType;
        return type switch
        {
            "RuntimeDefault" or "Localhost" => null,
            null => "seccompProfile is unset",
            _ => $"seccompProfile type is {type}",
        };
    }
}
