using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class ResourceLimitsControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-resource-limits",
        "Containers without resource limits",
        "audit",
        "resource-exhaustion",
        Severity.Medium,
        "a container (ephemeral ones excepted) has no memory limit, or no CPU limit while `requireCpuLimits` is on",
        "A container without limits can take a node's memory or CPU from everything else on it: one compromised "
        + "or buggy pod becomes a denial of service for its neighbours.",
        "Set resources.limits.memory (and resources.limits.cpu while requireCpuLimits is on) on every container, "
        + "or give the namespace a LimitRange with default limits.",
        ["CIS Kubernetes 5.7 (resource policies)", "NSA/CISA Kubernetes Hardening: resource policies"]);

    // Ephemeral containers cannot set resources.
    protected override bool Applies(ContainerSpec c) => c.Type != ContainerType.Ephemeral;

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        var missing = new List<string>(2);
        if (!c.HasMemoryLimit)
        {
            missing.Add("memory");
        }
        if (context.Settings.RequireCpuLimits && !c.HasCpuLimit)
        {
            missing.Add("cpu");
        }
        return missing.Count == 0 ? null : $"no {string.Join(" or ", missing)} limit";
    }
}
