using System.Collections.Immutable;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls;

public enum Severity
{
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

public static class SeverityNames
{
    public static string Label(this Severity s) => s switch
    {
        Severity.Critical => "critical",
        Severity.High => "high",
        Severity.Medium => "medium",
        _ => "low",
    };

    /// <summary>The posture score weight (SPEC: 10/5/2/1 for critical/high/medium/low).</summary>
    public static int Weight(this Severity s) => s switch
    {
        Severity.Critical => 10,
        Severity.High => 5,
        Severity.Medium => 2,
        _ => 1,
    };

    public static bool TryParse(string text, out Severity severity)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "critical": severity = Severity.Critical; return true;
            case "high": severity = Severity.High; return true;
            case "medium": severity = Severity.Medium; return true;
            case "low": severity = Severity.Low; return true;
            default: severity = default; return false;
        }
    }
}

/// <summary>
/// A control's user-facing description: what it checks (<paramref name="Title"/>, and <paramref name="Violation"/>:
/// one line saying when a subject violates), why (<paramref name="Rationale"/>), and how to fix it.
/// </summary>
public sealed record ControlMetadata(
    string Id,
    string Title,
    string Section,
    string Category,
    Severity Severity,
    string Violation,
    string Rationale,
    string Remediation,
    ImmutableArray<string> References);

public enum VerdictKind
{
    /// <summary>The subject is not one this control judges (e.g. a system namespace).</summary>
    Skip,
    Pass,
    Fail,
}

public readonly record struct Verdict(VerdictKind Kind, string Message)
{
    public static readonly Verdict Pass = new(VerdictKind.Pass, "");
    public static readonly Verdict Skip = new(VerdictKind.Skip, "");
    public static Verdict Fail(string message) => new(VerdictKind.Fail, message);
    public static Verdict FailIf(bool failed, Func<string> message) => failed ? Fail(message()) : Pass;
}

/// <summary>What a control may read: the model and the settings. Never a client, a cache or a metric.</summary>
public sealed record EvaluationContext(ClusterModel Model, PostureSettings Settings);

/// <summary>
/// One hardening control. Subclasses are discovered by <see cref="ControlCatalog"/>; adding a control is one
/// sealed class plus its fixtures.
/// </summary>
public abstract class Control
{
    public abstract ControlMetadata Metadata { get; }

    public string Id => Metadata.Id;

    public abstract SubjectScope Scope { get; }

    /// <summary>The API kinds this control reads; the informers watch the union over enabled controls.</summary>
    public virtual IReadOnlyList<string> Reads => ScopeReads(Scope);

    public static IReadOnlyList<string> ScopeReads(SubjectScope scope) => scope switch
    {
        SubjectScope.Workload =>
        [
            Kinds.Pod, Kinds.Deployment, Kinds.ReplicaSet, Kinds.StatefulSet, Kinds.DaemonSet, Kinds.Job,
            Kinds.CronJob, Kinds.ReplicationController, Kinds.LimitRange,
        ],
        SubjectScope.Namespace => [Kinds.Namespace, Kinds.NetworkPolicy],
        SubjectScope.Role => [Kinds.Role, Kinds.ClusterRole, Kinds.RoleBinding, Kinds.ClusterRoleBinding],
        SubjectScope.Binding => [Kinds.RoleBinding, Kinds.ClusterRoleBinding],
        SubjectScope.Ingress => [Kinds.Ingress],
        SubjectScope.Node => [Kinds.Node],
        SubjectScope.ApiServer => [Kinds.Pod],
        _ => [],
    };

    /// <summary>
    /// False when the control cannot judge this cluster at all (no API server pod visible, no registries
    /// configured); such a control is reported as not applicable, never as passing.
    /// </summary>
    public virtual bool IsApplicable(EvaluationContext context) => true;

    public abstract Verdict Evaluate(SubjectRef subject, EvaluationContext context);
}

public abstract class WorkloadControl : Control
{
    public sealed override SubjectScope Scope => SubjectScope.Workload;

    public sealed override Verdict Evaluate(SubjectRef subject, EvaluationContext context)
    {
        var w = context.Model.Workload(subject.Key);
        return w is null || w.Specs.Count == 0 ? Verdict.Skip : Evaluate(w, context);
    }

    protected abstract Verdict Evaluate(WorkloadSubject workload, EvaluationContext context);
}

/// <summary>A workload control judged container by container: the workload fails when any container does.</summary>
public abstract class ContainerControl : WorkloadControl
{
    /// <summary>Which containers the control reads; all of them unless overridden.</summary>
    protected virtual bool Applies(ContainerSpec c) => true;

    /// <summary>Returns why the container violates, or null when it passes.</summary>
    protected abstract string? Check(ContainerSpec c, PodSpecInfo pod, EvaluationContext context);

    protected sealed override Verdict Evaluate(WorkloadSubject workload, EvaluationContext context)
    {
        var failures = new List<string>();
        var checkedAny = false;
        foreach (var spec in workload.Specs)
        {
            foreach (var c in spec.Containers)
            {
                if (!Applies(c))
                {
                    continue;
                }
                checkedAny = true;
                var reason = Check(c, spec, context);
                var line = reason is null ? null : $"container {c.Name}: {reason}";
                if (line is not null && !failures.Contains(line))
                {
                    failures.Add(line);
                }
            }
        }
        if (!checkedAny)
        {
            return Verdict.Skip;
        }
        return failures.Count == 0 ? Verdict.Pass : Verdict.Fail(string.Join("; ", failures));
    }
}

/// <summary>A control judged per pod spec (pod-level fields): the workload fails when any spec does.</summary>
public abstract class PodSpecControl : WorkloadControl
{
    /// <summary>Returns why the pod spec violates, or null when it passes.</summary>
    protected abstract string? Check(WorkloadSubject workload, PodSpecInfo pod, EvaluationContext context);

    protected sealed override Verdict Evaluate(WorkloadSubject workload, EvaluationContext context)
    {
        foreach (var spec in workload.Specs)
        {
            var reason = Check(workload, spec, context);
            if (reason is not null)
            {
                return Verdict.Fail(reason);
            }
        }
        return Verdict.Pass;
    }
}

/// <summary>A control on a subject that is one object of the model (a Namespace, Role, binding, Ingress, Node).</summary>
public abstract class ObjectControl<T> : Control where T : ModelObject
{
    public sealed override Verdict Evaluate(SubjectRef subject, EvaluationContext context) =>
        context.Model.Get(subject.Key) is T obj ? Evaluate(obj, context) : Verdict.Skip;

    protected abstract Verdict Evaluate(T obj, EvaluationContext context);
}

/// <summary>Namespace controls judge non-system namespaces only.</summary>
public abstract class NamespaceControl : ObjectControl<NamespaceInfo>
{
    public sealed override SubjectScope Scope => SubjectScope.Namespace;

    protected sealed override Verdict Evaluate(NamespaceInfo ns, EvaluationContext context) =>
        context.Settings.IsSystemNamespace(ns.Key.Name) ? Verdict.Skip : EvaluateNamespace(ns, context);

    protected abstract Verdict EvaluateNamespace(NamespaceInfo ns, EvaluationContext context);
}

public abstract class RoleControl : ObjectControl<RoleInfo>
{
    public sealed override SubjectScope Scope => SubjectScope.Role;
}

public abstract class BindingControl : ObjectControl<BindingInfo>
{
    public sealed override SubjectScope Scope => SubjectScope.Binding;
}

public abstract class IngressControl : ObjectControl<IngressInfo>
{
    public sealed override SubjectScope Scope => SubjectScope.Ingress;
}

public abstract class NodeControl : ObjectControl<NodeInfo>
{
    public sealed override SubjectScope Scope => SubjectScope.Node;
}

/// <summary>
/// Controls on the kube-apiserver's flags, read from its static pod. On managed clusters no such pod is
/// visible and the control is not applicable.
/// </summary>
public abstract class ApiServerControl : Control
{
    public sealed override SubjectScope Scope => SubjectScope.ApiServer;

    public sealed override bool IsApplicable(EvaluationContext context) => context.Model.ApiServerPods.Count > 0;

    public sealed override Verdict Evaluate(SubjectRef subject, EvaluationContext context) =>
        context.Model.Get(subject.Key) is PodInfo { IsApiServer: true } pod
            ? Evaluate(new ApiServerFlags(pod.ApiServerCommand), context)
            : Verdict.Skip;

    protected abstract Verdict Evaluate(ApiServerFlags flags, EvaluationContext context);
}

/// <summary>
/// kube-apiserver flags from a command line, in both <c>--flag=value</c> and <c>--flag value</c> forms. As in pflag,
/// a boolean flag never takes the next argument as its value: bare, it means true.
/// </summary>
public sealed class ApiServerFlags
{
    /// <summary>kube-apiserver's boolean flags that a control reads or that commonly precede a value-taking one.</summary>
    private static readonly HashSet<string> BooleanFlags = new(StringComparer.Ordinal)
    {
        "anonymous-auth", "allow-privileged", "profiling", "enable-bootstrap-token-auth", "service-account-lookup",
        "audit-log-compress", "enable-aggregator-routing", "enable-priority-and-fairness", "contention-profiling",
        "enable-garbage-collector", "watch-cache", "logtostderr",
    };

    private readonly Dictionary<string, string> _flags = new(StringComparer.Ordinal);

    public ApiServerFlags(IEnumerable<string> command)
    {
        var args = command.ToList();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                _flags[a[2..eq]] = a[(eq + 1)..];
            }
            else if (!BooleanFlags.Contains(a[2..]) && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                _flags[a[2..]] = args[++i];
            }
            else
            {
                _flags[a[2..]] = "true";
            }
        }
    }

    public string? this[string name] => _flags.GetValueOrDefault(name);

    public bool Has(string name) => _flags.ContainsKey(name);
}
