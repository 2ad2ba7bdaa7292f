using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Containers;

public sealed class EnvSecretLiteralControl : ContainerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "container-env-secret-literal",
        "Credentials written into environment variables",
        "5",
        "credential-theft",
        Severity.High,
        "a container env var has a literal non-empty `value` and a name matching `credentialEnvPattern` "
        + "(default `(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)`, case-insensitive)",
        "A credential written into a manifest is readable by everyone who can read the workload object (get on "
        + "deployments, not on secrets), sits in Git, in kubectl's last-applied annotation and in every backup, and "
        + "cannot be rotated without a redeploy.",
        "Move the value into a Secret and reference it with valueFrom.secretKeyRef, or better mount it as a file; "
        + "rotate the credential that was exposed.",
        ["CIS Kubernetes 5.4.1", "NSA/CISA Kubernetes Hardening: Secrets"]);

    protected override string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context)
    {
        // The projection keeps only the names of env vars with a literal non-empty value, never the values.
        var names = c.LiteralEnvNames.Where(n => context.Settings.CredentialEnvPattern.IsMatch(n)).ToList();
        return names.Count == 0 ? null : $"env {string.Join(", ", names)} has a literal value";
    }
}
