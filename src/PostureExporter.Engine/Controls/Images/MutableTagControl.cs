using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Images;

public sealed class MutableTagControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "image-mutable-tag",
        "Images on :latest or no tag",
        "7",
        "supply-chain",
        Severity.High,
        "an image has no digest and its tag is `latest` or absent",
        "An image on :latest (or with no tag, which means latest) changes under the workload: what runs is "
        + "whatever was pushed last, unscanned, and two replicas may run different code.",
        "Reference images by digest (name@sha256:…) or at least by a pinned version tag.",
        ["NSA/CISA Kubernetes Hardening: image integrity"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        var image = ImageReference.Parse(c.Image);
        if (image.IsPinned)
        {
            return null;
        }
        var digest = image.Digest is null ? "" : " and a malformed digest";
        return image.Tag is null ? $"image {c.Image} has no tag{digest}"
            : image.Tag == "latest" ? $"image {c.Image} uses :latest{digest}"
            : null;
    }
}
