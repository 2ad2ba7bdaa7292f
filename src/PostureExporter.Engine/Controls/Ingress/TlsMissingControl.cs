using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Ingress;

public sealed class TlsMissingControl : IngressControl
{
    public override ControlMetadata Metadata { get; } = new(
        "ingress-tls-missing",
        "Ingress hosts served without TLS",
        "6",
        "exposure",
        Severity.High,
        "an Ingress rule host is not covered by `spec.tls[].hosts` (an Ingress without `spec.tls` covers none)",
        "A host without a TLS entry is served over plain HTTP: credentials, session cookies and tokens cross the "
        + "network readable and modifiable by anyone on the path.",
        "Add a spec.tls entry whose hosts list every rule host (a wildcard *.example.com covers one label), with a "
        + "certificate Secret (cert-manager can issue it).",
        ["NSA/CISA Kubernetes Hardening: encryption (TLS)", "Kubernetes docs: Ingress TLS"]);

    protected override Verdict Evaluate(IngressInfo ingress, EvaluationContext context)
    {
        // An Ingress with no rules serves its defaultBackend for every host: one rule without a host.
        var hosts = ingress.RuleHosts.IsDefaultOrEmpty ? [""] : ingress.RuleHosts;
        var uncovered = hosts.Distinct(StringComparer.OrdinalIgnoreCase).Where(h => !Covered(h, ingress)).ToList();
        if (uncovered.Count == 0)
        {
            return Verdict.Pass;
        }
        var names = uncovered.Select(h => h.Length == 0 ? "(any host)" : h);
        return Verdict.Fail(ingress.HasTls
            ? $"host {string.Join(", ", names)} not in spec.tls[].hosts"
            : $"no spec.tls: {string.Join(", ", names)} served over plain HTTP");
    }

    /// <summary>
    /// A host is covered when a TLS entry lists it, or lists a wildcard matching it (one label, as certificates do).
    /// A rule without a host (every host) can only be covered by a TLS entry, which then serves the default certificate.
    /// </summary>
    private static bool Covered(string host, IngressInfo ingress)
    {
        if (host.Length == 0)
        {
            return ingress.HasTls;
        }
        foreach (var tlsHost in ingress.TlsHosts)
        {
            if (string.Equals(tlsHost, host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (tlsHost.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = host.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && string.Equals(host[dot..], tlsHost[1..], StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
