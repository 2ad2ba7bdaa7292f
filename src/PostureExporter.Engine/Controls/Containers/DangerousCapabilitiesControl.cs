using System.Collections.Immutable;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class DangerousCapabilitiesControl : ContainerControl
{
    /// <summary>Capabilities that each give a path out of the container or over the node's network.</summary>
    public static readonly ImmutableHashSet<string> Dangerous = ImmutableHashSet.Create(
        StringComparer.Ordinal,
        "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "NET_RAW", "BPF", "PERFMON", Capabilities.All);

    public override ControlMetadata Metadata { get; } = new(
        "container-dangerous-capabilities",
        "Containers that add dangerous capabilities",
        "2",
        "container-escape",
        Severity.High,
        "a container's securityContext.capabilities.add has SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, "
        + "NET_RAW, BPF, PERFMON or ALL (any case, with or without a `CAP_` prefix)",
        "These capabilities are known container escapes or node takeovers: SYS_ADMIN mounts and namespaces, SYS_MODULE "
        + "loads kernel modules, SYS_PTRACE reads other processes, DAC_READ_SEARCH reads host files by handle, BPF and "
        + "PERFMON reach the kernel, NET_ADMIN and NET_RAW rewrite and spoof the node's network.",
        "Remove the capability from capabilities.add; if a component truly needs it, run it isolated on dedicated nodes "
        + "and record a waiver with the reason.",
        ["CIS Kubernetes 5.2.8", "CIS Kubernetes 5.2.9", "Pod Security Standards: baseline (capabilities)", "NSA/CISA Kubernetes Hardening: Pod security"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        var found = c.Security.Add.Where(a => Dangerous.Contains(Capabilities.Normalize(a))).ToList();
        return found.Count == 0 ? null : $"adds {string.Join(", ", found)}";
    }
}
