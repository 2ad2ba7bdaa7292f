namespace PostureExporter.Engine.Controls.ApiServer;

public sealed class AuditLogDisabledControl : ApiServerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "apiserver-audit-log-disabled",
        "API server without audit logging",
        "8",
        "exposure",
        Severity.High,
        "the kube-apiserver has neither `--audit-log-path` nor `--audit-webhook-config-file`",
        "Without an audit backend nothing records who read which Secret, who created that cluster-admin binding or "
        + "who exec'd into a pod: an intrusion cannot be detected or reconstructed.",
        "Pass --audit-policy-file with a policy that records at least Metadata for all requests (RequestResponse for "
        + "RBAC and Secrets access) and --audit-log-path (with rotation flags) or --audit-webhook-config-file, and ship "
        + "the log off the node.",
        ["CIS Kubernetes 1.2 (API server): --audit-log-path is set", "CIS Kubernetes 3.2.1", "NSA/CISA Kubernetes Hardening: audit logging"]);

    protected override Verdict Evaluate(ApiServerFlags flags, EvaluationContext context) =>
        // An audit policy file alone records nothing: events need a log or webhook backend to go to.
        Verdict.FailIf(string.IsNullOrEmpty(flags["audit-log-path"]) && string.IsNullOrEmpty(flags["audit-webhook-config-file"]),
            () => "neither --audit-log-path nor --audit-webhook-config-file is set");
}
