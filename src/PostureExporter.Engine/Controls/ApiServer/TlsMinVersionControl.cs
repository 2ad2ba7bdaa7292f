namespace PostureExporter.Engine.Controls.ApiServer;

public sealed class TlsMinVersionControl : ApiServerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "apiserver-tls-min-version",
        "API server accepting TLS 1.0 or 1.1",
        "6",
        "exposure",
        Severity.Medium,
        "the kube-apiserver's `--tls-min-version` is VersionTLS10 or VersionTLS11",
        "TLS 1.0 and 1.1 are deprecated (RFC 8996): they allow downgrade attacks and weak cipher suites on every "
        + "connection to the API server, including those carrying tokens.",
        "Remove --tls-min-version (the default is TLS 1.2) or set it to VersionTLS12 or VersionTLS13.",
        ["CIS Kubernetes 1.2 (API server): strong cryptographic ciphers only", "NSA/CISA Kubernetes Hardening: encryption (TLS)"]);

    protected override Verdict Evaluate(ApiServerFlags flags, EvaluationContext context)
    {
        var version = flags["tls-min-version"];
        return Verdict.FailIf(version is "VersionTLS10" or "VersionTLS11", () => $"--tls-min-version={version}");
    }
}
