using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Rbac;

public sealed class WildcardControl : RoleControl
{
    public override ControlMetadata Metadata { get; } = new(
        "rbac-wildcard",
        "Roles with wildcard verbs or resources",
        "1",
        "lateral-movement",
        Severity.High,
        "a Role or ClusterRole rule has `*` in verbs or in resources (built-in roles labelled `kubernetes.io/bootstrapping=rbac-defaults` are exempt)",
        "A wildcard grants every verb or every resource, including the ones added later (new CRDs, new subresources): "
        + "the role quietly grows into secrets access, exec, escalate and impersonate, and least privilege is lost.",
        "List the verbs and resources the role needs explicitly; replace `*` even where it looks convenient.",
        ["CIS Kubernetes 5.1.3", "NSA/CISA Kubernetes Hardening: least privilege (RBAC)"]);

    protected override Verdict Evaluate(RoleInfo role, EvaluationContext context)
    {
        if (role.BuiltIn)
        {
            // The API server's own roles (cluster-admin, system:*) are exempt: they are recreated at start-up anyway.
            return Verdict.Skip;
        }
        var wild = new List<string>(2);
        if (role.Rules.Any(r => r.Verbs.Contains(RbacRules.All)))
        {
            wild.Add("verbs");
        }
        if (role.Rules.Any(r => r.Resources.Contains(RbacRules.All)))
        {
            wild.Add("resources");
        }
        return Verdict.FailIf(wild.Count > 0, () => $"a rule has * in {string.Join(" and ", wild)}");
    }
}
