using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.Rbac;

public sealed class ClusterAdminBindingControl : BindingControl
{
    public const string ClusterAdmin = "cluster-admin";

    public override ControlMetadata Metadata { get; } = new(
        "rbac-cluster-admin-binding",
        "Unexpected cluster-admin bindings",
        "1",
        "lateral-movement",
        Severity.Critical,
        "a ClusterRoleBinding or RoleBinding binds ClusterRole `cluster-admin` to a subject outside `expectedClusterAdminSubjects` (default Group `system:masters`)",
        "cluster-admin can do anything to every object, Secrets included: whoever holds a token of a subject bound "
        + "to it owns the cluster. Application and CI identities must never have it.",
        "Delete the binding, or bind a role that grants only what the subject needs; list expected cluster-admin "
        + "subjects in expectedClusterAdminSubjects.",
        ["CIS Kubernetes 5.1.1", "NSA/CISA Kubernetes Hardening: least privilege"]);

    /// <summary>Whether a binding grants cluster-admin (a RoleBinding may reference the ClusterRole too).</summary>
    public static bool GrantsClusterAdmin(BindingInfo b) => b.RoleKind == Kinds.ClusterRole && b.RoleName == ClusterAdmin;

    public static bool IsExpected(RbacSubject s, PostureSettings settings) =>
        settings.ExpectedClusterAdminSubjects.Any(e => e.Kind == s.Kind && e.Name == s.Name
            && (e.Kind != "ServiceAccount" || e.Namespace == s.Namespace));

    protected override Verdict Evaluate(BindingInfo b, EvaluationContext context)
    {
        if (!GrantsClusterAdmin(b))
        {
            return Verdict.Pass;
        }
        var unexpected = b.Subjects.Where(s => !IsExpected(s, context.Settings)).ToList();
        return Verdict.FailIf(unexpected.Count > 0,
            () => $"binds cluster-admin to {string.Join(", ", unexpected)}");
    }
}
