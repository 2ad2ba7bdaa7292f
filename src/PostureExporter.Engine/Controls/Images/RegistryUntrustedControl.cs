using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Images;

public sealed class RegistryUntrustedControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "image-registry-untrusted",
        "Images from registries outside the allow-list",
        "7",
        "supply-chain",
        Severity.High,
        "an image's registry (by the reference grammar; `docker.io` for bare names) is not in `allowedRegistries` "
        + "(not applicable while that list is empty)",
        "An image from an unvetted registry skips the scanning, signing and provenance checks the organisation runs "
        + "on its own: typosquatted and hijacked public images are a common way in.",
        "Mirror the image into an allowed registry and reference it there, or add the registry to allowedRegistries "
        + "after review; enforce the same list at admission.",
        ["CIS Kubernetes 5.5.1", "NSA/CISA Kubernetes Hardening: image integrity (trusted repositories)"]);

    /// <summary>With no allow-list configured there is nothing to judge against, which is reported, not passed.</summary>
    public override bool IsApplicable(EvaluationContext context) => !context.Settings.AllowedRegistries.IsDefaultOrEmpty;

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        var registry = ImageReference.NormalizeRegistry(ImageReference.Parse(c.Image).Registry);
        var allowed = context.Settings.AllowedRegistries.Any(r => ImageReference.NormalizeRegistry(r) == registry);
        return allowed ? null : $"image {c.Image} is from {registry}, which is not an allowed registry";
    }
}
