using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class CapabilitiesDropAllControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-capabilities-drop-all",
        "Containers that keep the default capabilities",
        "2",
        "container-escape",
        Severity.Medium,
        "a container's securityContext.capabilities.drop lacks `ALL` (any case, with or without a `CAP_` prefix)",
        "Container runtimes grant a default set of capabilities (NET_RAW, CHOWN, SETUID, DAC_OVERRIDE, …) that most "
        + "applications never use; each is kernel attack surface and some (NET_RAW) enable spoofing on the pod network.",
        "Set securityContext.capabilities.drop: [ALL] and add back only what the process needs (often NET_BIND_SERVICE).",
        ["CIS Kubernetes 5.2.10", "Pod Security Standards: restricted (capabilities)", "NSA/CISA Kubernetes Hardening: Pod security"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context) =>
        c.Security.Drop.Any(d => Capabilities.Normalize(d) == Capabilities.All) ? null : "capabilities.drop lacks ALL";
}
