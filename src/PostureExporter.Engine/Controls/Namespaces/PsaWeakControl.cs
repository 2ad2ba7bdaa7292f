using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Namespaces;

public sealed class PsaWeakControl : NamespaceControl
{
    public override ControlMetadata Metadata { get; } = new(
        "namespace-psa-weak",
        "Namespaces enforcing a weak Pod Security level",
        "3",
        "container-escape",
        Severity.Medium,
        "a non-system namespace enforces `privileged`, or a production namespace (`productionSelector`) enforces less than `restricted`",
        "enforce=privileged switches Pod Security Admission off while looking configured; in production, baseline "
        + "still admits root containers, privilege escalation and the default capabilities.",
        "Raise the namespace's pod-security.kubernetes.io/enforce label to restricted (baseline at least outside "
        + "production); move workloads that need more into a separate, waived namespace.",
        ["Pod Security Standards: baseline and restricted profiles", "NSA/CISA Kubernetes Hardening: Pod security enforcement"]);

    protected override Verdict EvaluateNamespace(NamespaceInfo ns, EvaluationContext context)
    {
        var level = PodSecurityLabels.EnforceLevel(ns);
        if (level is null)
        {
            // No label at all is namespace-psa-missing's finding; counting it here too would count it twice.
            return Verdict.Skip;
        }
        if (level == "privileged")
        {
            return Verdict.Fail("enforces privileged");
        }
        // Pod Security Admission treats a value it does not know as restricted (it fails closed), so only baseline
        // is weaker than restricted.
        return Verdict.FailIf(level == "baseline" && context.Settings.ProductionSelector.Matches(ns.Labels),
            () => $"production namespace (matches {context.Settings.ProductionSelector}) enforces baseline, not restricted");
    }
}
