using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.ServiceAccounts;

public sealed class TokenAutomountControl : WorkloadControl
{
    public override ControlMetadata Metadata { get; } = new(
        "sa-token-automount",
        "API tokens mounted where no permission needs them",
        "1",
        "credential-theft",
        Severity.Medium,
        "a workload's pods get an API token (effective automount: pod field, else the ServiceAccount's field, else true) "
        + "although no RoleBinding or ClusterRoleBinding grants its ServiceAccount anything (by name, or through the groups "
        + "`system:serviceaccounts` / `system:serviceaccounts:<namespace>`)",
        "A mounted token is a credential for the API server in every container's file system. When the ServiceAccount "
        + "has no permissions the workload does not need it, but an attacker who gets a shell still uses it to probe "
        + "the API, and it becomes dangerous the day someone binds a role to that account.",
        "Set automountServiceAccountToken: false on the pod spec (or on the ServiceAccount); mount a projected token "
        + "explicitly where a workload really talks to the API.",
        ["CIS Kubernetes 5.1.6", "NSA/CISA Kubernetes Hardening: protecting Pod service account tokens"]);

    /// <summary>Besides the workload kinds, the ServiceAccount (its automount field) and the bindings (what it is granted).</summary>
    public override IReadOnlyList<string> Reads { get; } =
        [.. ScopeReads(SubjectScope.Workload), Kinds.ServiceAccount, Kinds.RoleBinding, Kinds.ClusterRoleBinding];

    protected override Verdict Evaluate(WorkloadSubject workload, EvaluationContext context)
    {
        if (ServiceAccountFacts.IsStaticPod(workload))
        {
            return Verdict.Skip;
        }
        var ns = workload.Key.Namespace;
        foreach (var spec in workload.Specs)
        {
            var sa = spec.EffectiveServiceAccount;
            var account = context.Model.Get(new ObjectKey(Kinds.ServiceAccount, ns, sa)) as ServiceAccountInfo;
            var automount = spec.AutomountServiceAccountToken ?? account?.AutomountServiceAccountToken ?? true;
            if (automount && !context.Model.IsServiceAccountBound(ns, sa))
            {
                var why = spec.AutomountServiceAccountToken is not null ? "the pod spec sets automountServiceAccountToken: true"
                    : account?.AutomountServiceAccountToken is not null ? $"ServiceAccount {sa} sets automountServiceAccountToken: true"
                    : "automountServiceAccountToken is unset (default true)";
                return Verdict.Fail($"mounts a token for ServiceAccount {sa}, which no binding grants anything ({why})");
            }
        }
        return Verdict.Pass;
    }
}
