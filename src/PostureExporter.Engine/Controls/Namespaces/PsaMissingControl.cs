using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Namespaces;

public sealed class PsaMissingControl : NamespaceControl
{
    public override ControlMetadata Metadata { get; } = new(
        "namespace-psa-missing",
        "Namespaces without Pod Security Admission",
        "3",
        "container-escape",
        Severity.High,
        "a non-system namespace has no `pod-security.kubernetes.io/enforce` label",
        "Without an enforce label, Pod Security Admission applies only the cluster default (privileged unless "
        + "configured otherwise): anyone who can create a pod there can create a privileged, host-mounting one.",
        "Label the namespace pod-security.kubernetes.io/enforce=restricted (or baseline where restricted is not yet "
        + "possible), after checking with the warn and audit labels that its workloads comply.",
        ["CIS Kubernetes 5.2.1", "Pod Security Standards / Pod Security Admission", "NSA/CISA Kubernetes Hardening: Pod security enforcement"]);

    protected override Verdict EvaluateNamespace(NamespaceInfo ns, EvaluationContext context) =>
        Verdict.FailIf(PodSecurityLabels.EnforceLevel(ns) is null, () => $"no {PodSecurityLabels.Enforce} label");
}
