using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class ReadOnlyRootFilesystemControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-readonly-rootfs",
        "Containers with a writable root filesystem",
        "2",
        "container-escape",
        Severity.Medium,
        "a container's securityContext.readOnlyRootFilesystem is not `true`",
        "A writable root filesystem lets an attacker drop tools, change binaries and configuration, and persist for "
        + "the life of the container; an immutable one turns most of those steps into errors.",
        "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the application must write "
        + "(/tmp, caches).",
        ["NSA/CISA Kubernetes Hardening: immutable container file systems", "CIS Kubernetes 5.7.3"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context) =>
        c.Security.ReadOnlyRootFilesystem == true ? null : "readOnlyRootFilesystem is not true";
}
