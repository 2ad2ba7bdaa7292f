using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Rbac;

/// <summary>
/// RBAC rule matching as the Kubernetes RBAC authorizer does it, so that a control says "grants" only when the API
/// server would allow the request: a verb, API group or resource matches when the rule lists it or <c>*</c>, and a
/// subresource (<c>pods/exec</c>) also matches <c>*/exec</c>. There is no <c>pods/*</c> wildcard in RBAC.
/// </summary>
public static class RbacRules
{
    public const string CoreGroup = "";
    public const string RbacGroup = "rbac.authorization.k8s.io";
    public const string All = "*";

    /// <summary>Whether the rule allows <paramref name="verb"/> on <paramref name="resource"/> (e.g. "pods/exec") in the group.</summary>
    public static bool Allows(PolicyRule rule, string verb, string apiGroup, string resource) =>
        Lists(rule.Verbs, verb) && Lists(rule.ApiGroups, apiGroup) && ResourceMatches(rule.Resources, resource);

    /// <summary>Whether any rule of the role allows any of the verbs on the resource.</summary>
    public static bool Allows(RoleInfo role, IEnumerable<string> verbs, string apiGroup, string resource) =>
        verbs.Any(v => role.Rules.Any(r => Allows(r, v, apiGroup, resource)));

    private static bool Lists(IEnumerable<string> values, string wanted) =>
        values.Any(v => v == All || v == wanted);

    private static bool ResourceMatches(IEnumerable<string> ruleResources, string resource)
    {
        var slash = resource.IndexOf('/', StringComparison.Ordinal);
        var subresource = slash >= 0 ? resource[(slash + 1)..] : null;
        return ruleResources.Any(r => r == All || r == resource || (subresource is not null && r == "*/" + subresource));
    }

    /// <summary>
    /// Whether a binding subject is one of the cluster's own identities rather than a person's or an application's:
    /// users and groups named <c>system:…</c> (control-plane components, nodes, system:masters) and ServiceAccounts
    /// in system namespaces, written as a ServiceAccount subject, a <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>
    /// user or a <c>system:serviceaccounts:&lt;ns&gt;</c> group. The catch-all groups <c>system:authenticated</c>,
    /// <c>system:unauthenticated</c> and <c>system:serviceaccounts</c>, and the user <c>system:anonymous</c>, are not
    /// system subjects: they contain ordinary (or anonymous) identities, and a grant to them is the worst case.
    /// </summary>
    public static bool IsSystemSubject(RbacSubject subject, PostureSettings settings)
    {
        const string SaGroup = "system:serviceaccounts:";
        switch (subject.Kind)
        {
            case "ServiceAccount":
                return settings.IsSystemNamespace(subject.Namespace);
            case "User" when ClusterModel.ServiceAccountUser(subject.Name) is ({ } ns, _):
                return settings.IsSystemNamespace(ns);
            case "User":
                return subject.Name != "system:anonymous" && subject.Name.StartsWith("system:", StringComparison.Ordinal);
            case "Group" when subject.Name.StartsWith(SaGroup, StringComparison.Ordinal):
                return settings.IsSystemNamespace(subject.Name[SaGroup.Length..]);
            case "Group":
                return subject.Name is not ("system:authenticated" or "system:unauthenticated" or "system:serviceaccounts")
                    && subject.Name.StartsWith("system:", StringComparison.Ordinal);
            default:
                return false;
        }
    }

    /// <summary>
    /// The non-system subjects a role is granted to, each with the binding that grants it, in a stable order.
    /// The model marks a role dirty whenever a binding to it changes, so reading the bindings here stays incremental.
    /// </summary>
    public static List<string> NonSystemGrantees(RoleInfo role, EvaluationContext context) =>
        context.Model.BindingsOf(role.Key)
            .SelectMany(b => b.Subjects
                .Where(s => !IsSystemSubject(s, context.Settings))
                .Select(s => $"{s} ({b.Key})"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>A role that grants something dangerous fails only when it is bound to someone who is not the cluster itself.</summary>
    public static Verdict FailIfBound(RoleInfo role, IReadOnlyCollection<string> grants, EvaluationContext context)
    {
        if (grants.Count == 0)
        {
            return Verdict.Pass;
        }
        var grantees = NonSystemGrantees(role, context);
        return Verdict.FailIf(grantees.Count > 0,
            () => $"grants {string.Join(", ", grants)} to {string.Join(", ", grantees)}");
    }
}
