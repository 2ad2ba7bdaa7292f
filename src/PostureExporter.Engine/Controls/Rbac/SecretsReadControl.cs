using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Rbac;

public sealed class SecretsReadControl : RoleControl
{
    private static readonly string[] ReadVerbs = ["get", "list", "watch"];

    public override ControlMetadata Metadata { get; } = new(
        "rbac-secrets-read",
        "Roles that read Secrets, bound to people or applications",
        "1",
        "credential-theft",
        Severity.High,
        "a role bound to a non-system subject grants get, list or watch on `secrets`",
        "Secrets hold ServiceAccount tokens, TLS keys and database passwords: whoever can read them can become "
        + "every identity whose credential they hold. list and watch return every Secret's content, not just names.",
        "Grant Secret access only to the workload that needs it, with resourceNames for the Secrets it uses; mount "
        + "Secrets as files instead of reading them through the API; remove get/list/watch on secrets from roles bound "
        + "to users, groups and application ServiceAccounts.",
        ["CIS Kubernetes 5.1.2", "NSA/CISA Kubernetes Hardening: least privilege (RBAC), Secrets"]);

    protected override Verdict Evaluate(RoleInfo role, EvaluationContext context)
    {
        var verbs = ReadVerbs.Where(v => RbacRules.Allows(role, [v], RbacRules.CoreGroup, "secrets")).ToList();
        return RbacRules.FailIfBound(role, verbs.Count == 0 ? [] : [$"{string.Join("/", verbs)} on secrets"], context);
    }
}
