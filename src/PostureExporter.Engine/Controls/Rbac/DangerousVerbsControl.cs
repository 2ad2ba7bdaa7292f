using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Rbac;

public sealed class DangerousVerbsControl : RoleControl
{
    /// <summary>Exec, attach and the kubelet proxy are reached with get (the WebSocket upgrade, proxy GET) or create (POST).</summary>
    private static readonly string[] ConnectVerbs = ["get", "create"];

    /// <summary>What is dangerous, as (name in the message, verbs, API group, resource) checked the way the authorizer would.</summary>
    private static readonly (string Name, string[] Verbs, string Group, string Resource)[] Dangerous =
    [
        ("escalate on roles", ["escalate"], RbacRules.RbacGroup, "roles"),
        ("escalate on clusterroles", ["escalate"], RbacRules.RbacGroup, "clusterroles"),
        ("bind on roles", ["bind"], RbacRules.RbacGroup, "roles"),
        ("bind on clusterroles", ["bind"], RbacRules.RbacGroup, "clusterroles"),
        ("impersonate users", ["impersonate"], RbacRules.CoreGroup, "users"),
        ("impersonate groups", ["impersonate"], RbacRules.CoreGroup, "groups"),
        ("impersonate serviceaccounts", ["impersonate"], RbacRules.CoreGroup, "serviceaccounts"),
        ("impersonate uids", ["impersonate"], "authentication.k8s.io", "uids"),
        ("pods/exec", ConnectVerbs, RbacRules.CoreGroup, "pods/exec"),
        ("pods/attach", ConnectVerbs, RbacRules.CoreGroup, "pods/attach"),
        ("nodes/proxy", ConnectVerbs, RbacRules.CoreGroup, "nodes/proxy"),
    ];

    public override ControlMetadata Metadata { get; } = new(
        "rbac-dangerous-verbs",
        "Roles with escalation verbs, bound to people or applications",
        "1",
        "lateral-movement",
        Severity.High,
        "a role bound to a non-system subject grants escalate, bind or impersonate, or `pods/exec`, `pods/attach` or `nodes/proxy`",
        "escalate and bind let a subject grant itself any permission; impersonate lets it act as any user, group or "
        + "ServiceAccount; pods/exec and pods/attach run commands inside other workloads (and read their mounted "
        + "secrets); nodes/proxy reaches the kubelet API, which can exec into every pod on the node. Each is a path "
        + "to cluster-admin.",
        "Remove these permissions from roles bound to users, groups and application ServiceAccounts; give break-glass "
        + "exec access through a separate, audited role bound only when needed.",
        ["CIS Kubernetes 5.1.8", "CIS Kubernetes 5.1.10", "NSA/CISA Kubernetes Hardening: least privilege (RBAC)"]);

    protected override Verdict Evaluate(RoleInfo role, EvaluationContext context)
    {
        var grants = Dangerous
            .Where(d => RbacRules.Allows(role, d.Verbs, d.Group, d.Resource))
            .Select(d => d.Name)
            .ToList();
        return RbacRules.FailIfBound(role, grants, context);
    }
}
