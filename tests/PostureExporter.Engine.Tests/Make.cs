using k8s;
using k8s.Models;
using PostureExporter.Engine.Findings;

namespace PostureExporter.Engine.Tests;

/// <summary>Builders for API objects, so tests read as the cluster they describe.</summary>
internal static class Make
{
    public const string RunAsRoot = "container-run-as-root";
    public const string Limits = "container-resource-limits";
    public const string DefaultDeny = "namespace-default-deny-missing";
    public const string ClusterAdmin = "rbac-cluster-admin-binding";

    public static V1ObjectMeta Meta(
        string? ns,
        string name,
        (string Kind, string Name)? owner = null,
        IDictionary<string, string>? annotations = null,
        IDictionary<string, string>? labels = null) => new()
        {
            Name = name,
            NamespaceProperty = ns,
            Annotations = annotations,
            Labels = labels,
            ResourceVersion = "1",
            OwnerReferences = owner is { } o
                ? [new V1OwnerReference { ApiVersion = "v1", Kind = o.Kind, Name = o.Name, Uid = $"uid-{o.Kind}-{o.Name}", Controller = true }]
                : null,
        };

    public static Dictionary<string, string> Waiver(string controls, string? reason = "accepted risk", string? until = null)
    {
        var a = new Dictionary<string, string> { [WaiverResolver.WaiveAnnotation] = controls };
        if (reason is not null)
        {
            a[WaiverResolver.ReasonAnnotation] = reason;
        }
        if (until is not null)
        {
            a[WaiverResolver.UntilAnnotation] = until;
        }
        return a;
    }

    public static V1Container Container(
        string name = "app",
        string image = "registry.example.com/team/app:1.0",
        V1SecurityContext? securityContext = null,
        bool memoryLimit = true,
        bool cpuLimit = true)
    {
        var limits = new Dictionary<string, ResourceQuantity>();
        if (memoryLimit)
        {
            limits["memory"] = new ResourceQuantity("256Mi");
        }
        if (cpuLimit)
        {
            limits["cpu"] = new ResourceQuantity("500m");
        }
        return new V1Container
        {
            Name = name,
            Image = image,
            SecurityContext = securityContext,
            Resources = limits.Count == 0 ? null : new V1ResourceRequirements { Limits = limits },
        };
    }

    /// <summary>A pod spec whose containers run as root (no securityContext anywhere).</summary>
    public static V1PodSpec RootSpec() => new() { Containers = [Container()] };

    /// <summary>A pod spec that passes the six controls' container checks.</summary>
    public static V1PodSpec NonRootSpec() => new()
    {
        SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, RunAsUser = 10001 },
        Containers = [Container()],
    };

    public static V1Pod Pod(string ns, string name, V1PodSpec spec, (string Kind, string Name)? owner = null,
        string? phase = "Running", IDictionary<string, string>? annotations = null) => new()
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = Meta(ns, name, owner, annotations),
            Spec = spec,
            Status = phase is null ? null : new V1PodStatus { Phase = phase },
        };

    private static V1PodTemplateSpec Template(V1PodSpec spec) => new() { Spec = spec };

    public static V1Deployment Deployment(string ns, string name, V1PodSpec template, IDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = Meta(ns, name, annotations: annotations),
        Spec = new V1DeploymentSpec { Selector = new V1LabelSelector(), Template = Template(template) },
    };

    public static V1ReplicaSet ReplicaSet(string ns, string name, string? deployment, V1PodSpec? template = null,
        IDictionary<string, string>? annotations = null) => new()
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = Meta(ns, name, deployment is null ? null : ("Deployment", deployment), annotations),
            Spec = new V1ReplicaSetSpec { Selector = new V1LabelSelector(), Template = template is null ? null : Template(template) },
        };

    public static V1StatefulSet StatefulSet(string ns, string name, V1PodSpec template, IDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = Meta(ns, name, annotations: annotations),
        Spec = new V1StatefulSetSpec { Selector = new V1LabelSelector(), Template = Template(template) },
    };

    public static V1Job Job(string ns, string name, string? cronJob, V1PodSpec? template = null, IDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = Meta(ns, name, cronJob is null ? null : ("CronJob", cronJob), annotations),
        Spec = new V1JobSpec { Template = Template(template ?? new V1PodSpec { Containers = [] }) },
    };

    public static V1CronJob CronJob(string ns, string name, V1PodSpec template, IDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "CronJob",
        Metadata = Meta(ns, name, annotations: annotations),
        Spec = new V1CronJobSpec
        {
            Schedule = "0 3 * * *",
            JobTemplate = new V1JobTemplateSpec { Spec = new V1JobSpec { Template = Template(template) } },
        },
    };

    public static V1Namespace Namespace(string name, IDictionary<string, string>? labels = null, IDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = Meta(null, name, annotations: annotations, labels: labels),
    };

    public static V1LimitRange LimitRange(string ns, string name, bool memory, bool cpu, string type = "Container")
    {
        var defaults = new Dictionary<string, ResourceQuantity>();
        if (memory)
        {
            defaults["memory"] = new ResourceQuantity("512Mi");
        }
        if (cpu)
        {
            defaults["cpu"] = new ResourceQuantity("1");
        }
        return new V1LimitRange
        {
            ApiVersion = "v1",
            Kind = "LimitRange",
            Metadata = Meta(ns, name),
            Spec = new V1LimitRangeSpec { Limits = [new V1LimitRangeItem { Type = type, DefaultProperty = defaults }] },
        };
    }

    /// <summary>A NetworkPolicy; podSelectorApp null means podSelector {} (every pod).</summary>
    public static V1NetworkPolicy NetworkPolicy(string ns, string name, IList<string>? policyTypes, int ingressRules = 0, int egressRules = 0,
        string? podSelectorApp = null) => new()
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = Meta(ns, name),
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = podSelectorApp is null
                    ? new V1LabelSelector()
                    : new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = podSelectorApp } },
                PolicyTypes = policyTypes,
                Ingress = ingressRules == 0 ? null : Enumerable.Range(0, ingressRules).Select(_ => new V1NetworkPolicyIngressRule()).ToList(),
                Egress = egressRules == 0 ? null : Enumerable.Range(0, egressRules)
                    .Select(_ => new V1NetworkPolicyEgressRule { Ports = [new V1NetworkPolicyPort { Protocol = "UDP", Port = (IntOrString)"53" }] })
                    .ToList(),
            },
        };

    public static Rbacv1Subject Subject(string kind, string name, string? ns = null) => new()
    {
        Kind = kind,
        Name = name,
        NamespaceProperty = ns,
        ApiGroup = kind == "ServiceAccount" ? "" : "rbac.authorization.k8s.io",
    };

    public static V1ClusterRoleBinding ClusterRoleBinding(string name, string roleName, IList<Rbacv1Subject> subjects,
        IDictionary<string, string>? annotations = null) => new()
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRoleBinding",
            Metadata = Meta(null, name, annotations: annotations),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = roleName },
            Subjects = subjects,
        };

    public static V1RoleBinding RoleBinding(string ns, string name, string roleKind, string roleName, IList<Rbacv1Subject> subjects,
        IDictionary<string, string>? annotations = null) => new()
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "RoleBinding",
            Metadata = Meta(ns, name, annotations: annotations),
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = roleKind, Name = roleName },
            Subjects = subjects,
        };

    /// <summary>Evaluates objects from scratch at <see cref="ControlFixtureTests.Now"/>.</summary>
    public static FindingsIndex Evaluate(PostureSettings? settings, params IKubernetesObject<V1ObjectMeta>[] objects) =>
        Evaluation.FromObjects(objects, settings ?? PostureSettings.Default, ControlFixtureTests.Now);

    public static Finding[] Of(this FindingsIndex index, string controlId) =>
        index.All.Where(f => f.Control.Id == controlId).OrderBy(f => f.Subject.ToString(), StringComparer.Ordinal).ToArray();
}
