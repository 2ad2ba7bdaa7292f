using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Images;

public sealed class DigestUnpinnedControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "image-digest-unpinned",
        "Images pinned by tag, not by digest",
        "7",
        "supply-chain",
        Severity.Low,
        "an image has a tag but no (well-formed) digest; an untagged image is image-mutable-tag's finding",
        "A tag, even a version tag, can be moved to other content by whoever can push to the repository: a "
        + "compromised registry account or CI job changes what runs at the next pull without any manifest changing.",
        "Reference the image as name:tag@sha256:<digest> (the tag stays readable, the digest decides), and let a bot "
        + "such as Renovate update digests through reviewed changes.",
        ["NSA/CISA Kubernetes Hardening: image integrity", "CIS Kubernetes 5.5.1"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        var image = ImageReference.Parse(c.Image);
        // No tag at all means :latest, which image-mutable-tag reports; one finding per problem is enough.
        return image.Tag is not null && !image.IsPinned ? $"image {c.Image} is not pinned by digest" : null;
    }
}
