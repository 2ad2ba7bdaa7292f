using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Network;

public sealed class DnsEgressMissingControl : NamespaceControl
{
    private const int DnsPort = 53;

    public override ControlMetadata Metadata { get; } = new(
        "namespace-dns-egress-missing",
        "Default-deny egress without a DNS allowance",
        "4",
        "lateral-movement",
        Severity.Low,
        "a non-system namespace default-denies egress, but no NetworkPolicy in it allows egress to port 53 over both UDP and TCP",
        "With egress denied and DNS not allowed, name resolution fails (over TCP as soon as answers grow past 512 bytes): "
        + "workloads break in ways that look like network faults, and the usual fix under pressure is to delete the "
        + "default deny.",
        "Add a NetworkPolicy with podSelector: {} that allows egress to the cluster DNS (namespaceSelector for "
        + "kube-system, podSelector k8s-app: kube-dns) on port 53 for both UDP and TCP.",
        ["NSA/CISA Kubernetes Hardening: network policies", "Kubernetes docs: NetworkPolicy default-deny egress"]);

    protected override Verdict EvaluateNamespace(NamespaceInfo ns, EvaluationContext context)
    {
        var (_, egressDenied) = DefaultDenyMissingControl.DefaultDenies(context.Model, ns.Key.Name);
        if (!egressDenied)
        {
            // Without a default deny, DNS is allowed like everything else: nothing for this control to judge.
            return Verdict.Skip;
        }
        // Policies are additive, so UDP and TCP may be allowed by different policies. Peers are not inspected (the
        // cluster DNS service's address is not in the model), and a named port cannot be resolved without the
        // destination pods, so only numbered ports (and ranges, and rules without ports) count.
        bool udp = false, tcp = false;
        foreach (var p in context.Model.InNamespace<NetworkPolicyInfo>(Kinds.NetworkPolicy, ns.Key.Name))
        {
            if (!p.AffectsEgress)
            {
                continue;
            }
            udp |= p.EgressAllowsAllPorts || p.EgressPorts.Any(x => x.Covers("UDP", DnsPort));
            tcp |= p.EgressAllowsAllPorts || p.EgressPorts.Any(x => x.Covers("TCP", DnsPort));
        }
        if (udp && tcp)
        {
            return Verdict.Pass;
        }
        var missing = !udp && !tcp ? "UDP or TCP" : !udp ? "UDP" : "TCP";
        return Verdict.Fail($"egress is default-denied and no policy allows port 53 over {missing}");
    }
}
