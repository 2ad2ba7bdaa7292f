using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.ServiceAccounts;

public sealed class DefaultAccountControl : WorkloadControl
{
    public override ControlMetadata Metadata { get; } = new(
        "sa-default-account",
        "Workloads on the default ServiceAccount",
        "1",
        "lateral-movement",
        Severity.Low,
        "a workload runs as its namespace's `default` ServiceAccount (serviceAccountName unset or `default`)",
        "Every pod that names no ServiceAccount shares the namespace's default one: a permission granted to it for one "
        + "workload is granted to all of them, and its token is the one an attacker finds in any compromised pod.",
        "Create a ServiceAccount per workload, set spec.serviceAccountName, and grant permissions to that account only; "
        + "leave the default ServiceAccount without bindings and with automountServiceAccountToken: false.",
        ["CIS Kubernetes 5.1.5", "NSA/CISA Kubernetes Hardening: protecting Pod service account tokens"]);

    protected override Verdict Evaluate(WorkloadSubject workload, EvaluationContext context)
    {
        // A static (mirror) pod is created by the kubelet, not admitted with a ServiceAccount: it runs as none.
        if (ServiceAccountFacts.IsStaticPod(workload))
        {
            return Verdict.Skip;
        }
        return Verdict.FailIf(workload.Specs.Any(s => s.EffectiveServiceAccount == "default"),
            () => "runs as ServiceAccount default");
    }
}
