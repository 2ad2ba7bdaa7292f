using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class RunAsRootControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-run-as-root",
        "Containers run as root",
        "2",
        "container-escape",
        Severity.High,
        "a container's effective runAsUser is 0, or is unset while effective runAsNonRoot is not true (container field overrides pod field)",
        "A process running as UID 0 inside a container is root on the host as soon as it escapes the container "
        + "(a kernel bug, a mounted socket, a writable host path), and can already do more inside it.",
        "Set securityContext.runAsNonRoot: true (pod or container level) and a non-zero runAsUser; build the image "
        + "with a numeric non-root USER.",
        ["CIS Kubernetes 5.2.7", "Pod Security Standards: restricted (runAsNonRoot)", "NSA/CISA Kubernetes Hardening: non-root containers"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        // The container's field overrides the pod's.
        var user = c.Security.RunAsUser ?? pod.PodSecurity.RunAsUser;
        var nonRoot = c.Security.RunAsNonRoot ?? pod.PodSecurity.RunAsNonRoot;
        if (user == 0)
        {
            return "runAsUser is 0";
        }
        if (user is null && nonRoot != true)
        {
            return "runAsUser is unset and runAsNonRoot is not true";
        }
        return null;
    }
}
