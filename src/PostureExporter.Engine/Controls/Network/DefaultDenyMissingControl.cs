using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Network;

public sealed class DefaultDenyMissingControl : NamespaceControl
{
    public override ControlMetadata Metadata { get; } = new(
        "namespace-default-deny-missing",
        "Namespaces without default-deny NetworkPolicies",
        "4",
        "lateral-movement",
        Severity.High,
        "a non-system namespace lacks a default-deny NetworkPolicy for Ingress and for Egress (empty podSelector, the type in effective policyTypes, no rules of that type)",
        "Without a default deny, every pod can reach every other pod and the internet: one compromised workload "
        + "is a foothold to all the others.",
        "Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules (or one for each "
        + "type), then allow the traffic each workload needs explicitly.",
        ["NSA/CISA Kubernetes Hardening: network separation", "CIS Kubernetes 5.3.2"]);

    /// <summary>
    /// A policy default-denies a direction when it selects every pod, has the direction in its effective
    /// policyTypes, and allows nothing in that direction.
    /// </summary>
    public static (bool Ingress, bool Egress) DefaultDenies(ClusterModel model, string ns)
    {
        bool ingress = false, egress = false;
        foreach (var p in model.InNamespace<NetworkPolicyInfo>(Kinds.NetworkPolicy, ns))
        {
            if (!p.SelectsAllPods)
            {
                continue;
            }
            ingress |= p.AffectsIngress && p.IngressRuleCount == 0;
            egress |= p.AffectsEgress && p.EgressRuleCount == 0;
        }
        return (ingress, egress);
    }

    protected override Verdict EvaluateNamespace(NamespaceInfo ns, EvaluationContext context)
    {
        var (ingress, egress) = DefaultDenies(context.Model, ns.Key.Name);
        if (ingress && egress)
        {
            return Verdict.Pass;
        }
        var missing = !ingress && !egress ? "Ingress and Egress" : !ingress ? "Ingress" : "Egress";
        return Verdict.Fail($"no default-deny NetworkPolicy for {missing}");
    }
}
