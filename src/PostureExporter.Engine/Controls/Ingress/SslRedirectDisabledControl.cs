using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Ingress;

public sealed class SslRedirectDisabledControl : IngressControl
{
    public const string Annotation = "nginx.ingress.kubernetes.io/ssl-redirect";

    public override ControlMetadata Metadata { get; } = new(
        "ingress-ssl-redirect-disabled",
        "Ingresses that turn off the HTTPS redirect",
        "6",
        "exposure",
        Severity.Medium,
        "an Ingress has the annotation `nginx.ingress.kubernetes.io/ssl-redirect: \"false\"`",
        "With the redirect off, clients that start on http:// stay on it: their first request, and every later one "
        + "a link or bookmark sends there, travels in clear text even though TLS is configured.",
        "Remove the annotation (ingress-nginx redirects to HTTPS by default when the Ingress has TLS); serve HTTP-only "
        + "paths such as ACME challenges from a separate Ingress.",
        ["NSA/CISA Kubernetes Hardening: encryption (TLS)", "ingress-nginx docs: server-side HTTPS enforcement"]);

    protected override Verdict Evaluate(IngressInfo ingress, EvaluationContext context)
    {
        // ingress-nginx reads the annotation with Go's strconv.ParseBool.
        var value = ingress.Annotations.GetValueOrDefault(Annotation);
        return Verdict.FailIf(value is "false" or "False" or "FALSE" or "f" or "F" or "0",
            () => $"{Annotation}: \"{value}\"");
    }
}
