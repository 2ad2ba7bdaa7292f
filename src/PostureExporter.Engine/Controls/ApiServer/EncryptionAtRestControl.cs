namespace PostureExporter.Engine.Controls.ApiServer;

public sealed class EncryptionAtRestControl : ApiServerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "apiserver-encryption-at-rest",
        "Secrets stored unencrypted in etcd",
        "5",
        "credential-theft",
        Severity.High,
        "the kube-apiserver command has no `--encryption-provider-config`",
        "Without an encryption provider the API server writes Secrets to etcd in plain base64: anyone with an etcd "
        + "backup, a snapshot of its disk or etcd client access reads every credential in the cluster.",
        "Write an EncryptionConfiguration (KMS v2, or aescbc/secretbox with a key kept off the etcd nodes) for secrets, "
        + "pass it with --encryption-provider-config, then rewrite existing Secrets so they are stored encrypted.",
        ["CIS Kubernetes 1.2 (API server): --encryption-provider-config is set", "NSA/CISA Kubernetes Hardening: encryption (etcd)"]);

    protected override Verdict Evaluate(ApiServerFlags flags, EvaluationContext context) =>
        Verdict.FailIf(string.IsNullOrEmpty(flags["encryption-provider-config"]), () => "--encryption-provider-config is not set");
}
