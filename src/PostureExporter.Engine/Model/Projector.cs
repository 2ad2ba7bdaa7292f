using System.Collections.Immutable;
using k8s;
using k8s.Models;

namespace PostureExporter.Engine.Model;

/// <summary>
/// Turns API objects into the small projections the controls read. Nothing else of an object is kept,
/// which is what keeps the model small at 100k pods.
/// </summary>
public static class Projector
{
    public const string AnnotationPrefix = "posture-exporter.io/";

    /// <summary>The one foreign annotation a control reads (ingress-https-only).</summary>
    public const string IngressSslRedirect = "nginx.ingress.kubernetes.io/ssl-redirect";

    /// <summary>Whether any projection reads this annotation; the others (last-applied-configuration …) need not be decoded.</summary>
    public static bool ReadsAnnotation(string key) =>
        key.StartsWith(AnnotationPrefix, StringComparison.Ordinal) || key == IngressSslRedirect;

    /// <inheritdoc cref="ReadsAnnotation(string)"/>
    public static bool ReadsAnnotation(ReadOnlySpan<byte> utf8Key) =>
        utf8Key.StartsWith("posture-exporter.io/"u8) || utf8Key.SequenceEqual("nginx.ingress.kubernetes.io/ssl-redirect"u8);

    /// <summary>
    /// Whether a projection reads this label of an object other than a namespace (a namespace's labels are all
    /// read): a kube-system pod's <c>component</c> (the API server's flags), a role's <c>kubernetes.io/bootstrapping</c>.
    /// </summary>
    public static bool ReadsLabel(string key) => key is ComponentLabel or BootstrappingLabel;

    /// <inheritdoc cref="ReadsLabel(string)"/>
    public static bool ReadsLabel(ReadOnlySpan<byte> utf8Key) =>
        utf8Key.SequenceEqual("component"u8) || utf8Key.SequenceEqual("kubernetes.io/bootstrapping"u8);

    internal const string ComponentLabel = "component";
    private const string BootstrappingLabel = "kubernetes.io/bootstrapping";

    /// <summary>Projects an object, or returns null for a kind the model does not hold.</summary>
    public static ModelObject? Project(IKubernetesObject<V1ObjectMeta> obj) => obj switch
    {
        ProjectedPod p => p.Projection,
        V1Pod p => Pod(p),
        V1Namespace n => new NamespaceInfo(KeyOf(n, Kinds.Namespace), Labels(n.Metadata)) { Annotations = Ours(n.Metadata), ResourceVersion = Rv(n) },
        V1ServiceAccount s => new ServiceAccountInfo(KeyOf(s, Kinds.ServiceAccount), s.AutomountServiceAccountToken) { Annotations = Ours(s.Metadata), ResourceVersion = Rv(s) },
        V1LimitRange l => LimitRange(l),
        V1Node n => new NodeInfo(KeyOf(n, Kinds.Node), n.Status?.NodeInfo?.KubeletVersion ?? "") { Annotations = Ours(n.Metadata), ResourceVersion = Rv(n) },
        V1Role r => Role(KeyOf(r, Kinds.Role), r.Metadata, r.Rules, aggregated: false) with { ResourceVersion = Rv(r) },
        V1ClusterRole r => Role(KeyOf(r, Kinds.ClusterRole), r.Metadata, r.Rules, r.AggregationRule != null) with { ResourceVersion = Rv(r) },
        V1RoleBinding b => Binding(KeyOf(b, Kinds.RoleBinding), b.Metadata, b.RoleRef, b.Subjects) with { ResourceVersion = Rv(b) },
        V1ClusterRoleBinding b => Binding(KeyOf(b, Kinds.ClusterRoleBinding), b.Metadata, b.RoleRef, b.Subjects) with { ResourceVersion = Rv(b) },
        V1NetworkPolicy np => NetworkPolicy(np),
        V1Ingress i => Ingress(i),
        V1Deployment d => Workload(d, Kinds.Deployment, d.Spec?.Template?.Spec),
        V1StatefulSet s => Workload(s, Kinds.StatefulSet, s.Spec?.Template?.Spec),
        V1DaemonSet d => Workload(d, Kinds.DaemonSet, d.Spec?.Template?.Spec),
        V1ReplicaSet r => Workload(r, Kinds.ReplicaSet, r.Spec?.Template?.Spec),
        V1ReplicationController r => Workload(r, Kinds.ReplicationController, r.Spec?.Template?.Spec),
        V1Job j => Workload(j, Kinds.Job, j.Spec?.Template?.Spec),
        V1CronJob c => Workload(c, Kinds.CronJob, c.Spec?.JobTemplate?.Spec?.Template?.Spec),
        _ => null,
    };

    public static ObjectKey KeyOf(IKubernetesObject<V1ObjectMeta> obj, string kind) =>
        new(kind, Kinds.ClusterScoped.Contains(kind) ? "" : obj.Metadata?.NamespaceProperty ?? "", obj.Metadata?.Name ?? "");

    private static string Rv(IKubernetesObject<V1ObjectMeta> obj) => obj.Metadata?.ResourceVersion ?? "";

    private static ImmutableDictionary<string, string> Labels(V1ObjectMeta? meta) =>
        meta?.Labels is { Count: > 0 } l ? l.ToImmutableDictionary(StringComparer.Ordinal) : ImmutableDictionary<string, string>.Empty;

    /// <summary>Only the waiver annotations are kept; other annotations can be large (last-applied-configuration).</summary>
    private static ImmutableDictionary<string, string> Ours(V1ObjectMeta? meta) => Ours(meta?.Annotations);

    /// <summary>
    /// Of annotations (as decoded, or as a reader found them, a later duplicate last), the waivers
    /// (<see cref="AnnotationPrefix"/>), a null value read as "".
    /// </summary>
    internal static ImmutableDictionary<string, string> Ours(IEnumerable<KeyValuePair<string, string>>? annotations)
    {
        ImmutableDictionary<string, string>.Builder? b = null;
        foreach (var (k, v) in annotations ?? [])
        {
            if (k.StartsWith(AnnotationPrefix, StringComparison.Ordinal))
            {
                b ??= ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                b[k] = v ?? "";
            }
        }
        // Most objects carry annotations but none of ours: they share the one empty dictionary (a builder with an
        // explicit comparer would make a new empty instance, with its comparers, for each of them).
        return b is null ? ImmutableDictionary<string, string>.Empty : b.ToImmutable();
    }

    /// <summary>The annotations a control reads that are not ours (e.g. an ingress controller's).</summary>
    private static ImmutableDictionary<string, string> Selected(V1ObjectMeta? meta, params string[] names)
    {
        var result = Ours(meta);
        if (meta?.Annotations is null)
        {
            return result;
        }
        foreach (var n in names)
        {
            if (meta.Annotations.TryGetValue(n, out var v))
            {
                result = result.SetItem(n, v ?? "");
            }
        }
        return result;
    }

    private static OwnerRef? ControllerOf(V1ObjectMeta? meta)
    {
        var owner = meta?.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        return owner is null ? null : Owner(owner.Kind, owner.Name);
    }

    /// <summary>A controller ownerReference as the model holds it.</summary>
    internal static OwnerRef Owner(string? kind, string? name) => new(Kinds.Canonical(kind ?? ""), name ?? "");

    /// <summary>Whether a pod in this phase runs, or will: neither Succeeded nor Failed.</summary>
    internal static bool IsLive(string? phase) => phase is not ("Succeeded" or "Failed");

    /// <summary>A static kube-apiserver pod, whose command line the API server controls read.</summary>
    internal static bool IsApiServerPod(string ns, string? componentLabel) => ns == "kube-system" && componentLabel == "kube-apiserver";

    /// <summary>A regular container's name and command line.</summary>
    internal sealed record CommandLine(string? Name, IList<string?>? Command, IList<string?>? Args);

    /// <summary>The API server's command line: the command and args of its container (named kube-apiserver, or the first).</summary>
    internal static ImmutableArray<string> ApiServerCommand(IReadOnlyList<CommandLine> regularContainers)
    {
        var c = regularContainers.FirstOrDefault(x => x.Name == "kube-apiserver") ?? (regularContainers.Count > 0 ? regularContainers[0] : null);
        return (c?.Command ?? []).Concat(c?.Args ?? []).ToImmutableArray()!;
    }

    private static PodInfo Pod(V1Pod p)
    {
        var key = KeyOf(p, Kinds.Pod);
        var info = new PodInfo(key, Spec(p.Spec), IsLive(p.Status?.Phase))
        {
            Annotations = Ours(p.Metadata),
            Controller = ControllerOf(p.Metadata),
            ResourceVersion = Rv(p),
        };
        var component = p.Metadata?.Labels is { } labels && labels.TryGetValue(ComponentLabel, out var c) ? c : null;
        return IsApiServerPod(key.Namespace, component)
            ? info with { ApiServerCommand = ApiServerCommand((p.Spec?.Containers ?? []).Select(x => new CommandLine(x.Name, x.Command!, x.Args!)).ToList()) }
            : info;
    }

    /// <summary>
    /// Whether an object is run by a workload controller the model watches (a Deployment's ReplicaSet, a
    /// CronJob's Job, a ReplicaSet's Pod). Such an object is never a subject of its own.
    /// </summary>
    public static bool HasWorkloadController(ModelObject obj) =>
        obj.Controller is { } c && Kinds.Workloads.Contains(c.Kind);

    /// <summary>
    /// A workload run by a workload controller (a ReplicaSet or Job, usually) is never a subject of its own, so its
    /// template is not kept (nor decoded: <see cref="ProjectionJson"/>); one run by an operator's custom resource is
    /// its own subject and keeps it.
    /// </summary>
    public static bool KeepsTemplate(V1ObjectMeta? meta) =>
        ControllerOf(meta) is not { } controller || !Kinds.Workloads.Contains(controller.Kind);

    private static WorkloadInfo Workload(IKubernetesObject<V1ObjectMeta> obj, string kind, V1PodSpec? template)
    {
        var controller = ControllerOf(obj.Metadata);
        return new WorkloadInfo(KeyOf(obj, kind), template is not null && KeepsTemplate(obj.Metadata) ? Spec(template) : null)
        {
            Annotations = Ours(obj.Metadata),
            Controller = controller,
            ResourceVersion = Rv(obj),
        };
    }

    public static PodSpecInfo Spec(V1PodSpec? spec)
    {
        if (spec is null)
        {
            return new PodSpecInfo("", null, false, false, false, [], SecuritySettings.None, []);
        }
        if (spec is ProjectedPodSpec projected)
        {
            return projected.Projection;
        }
        var psc = spec.SecurityContext;
        return PodSpec(
            spec.ServiceAccountName,
            spec.ServiceAccount,
            spec.AutomountServiceAccountToken,
            spec.HostPID,
            spec.HostIPC,
            spec.HostNetwork,
            (spec.Volumes ?? []).Where(v => v.HostPath is not null).Select(v => v.Name ?? "").ToImmutableArray(),
            psc is null ? SecuritySettings.None : new SecuritySettings(
                RunAsUser: psc.RunAsUser,
                RunAsNonRoot: psc.RunAsNonRoot,
                SeccompProfileType: psc.SeccompProfile?.Type),
            (spec.InitContainers ?? []).Select(c => Container(c.Name, ContainerType.Init, c.Image, c.SecurityContext, c.Resources, c.Ports, c.Env)),
            (spec.Containers ?? []).Select(c => Container(c.Name, ContainerType.Regular, c.Image, c.SecurityContext, c.Resources, c.Ports, c.Env)),
            (spec.EphemeralContainers ?? []).Select(c => Container(c.Name, ContainerType.Ephemeral, c.Image, c.SecurityContext, c.Resources, c.Ports, c.Env)));
    }

    /// <summary>
    /// A spec's projection from its parts, however they were read (<see cref="Spec(V1PodSpec?)"/>, <see cref="PodJson"/>):
    /// the ServiceAccount named by serviceAccountName, else by the deprecated serviceAccount; the host namespaces
    /// shared only when set to true; the containers in the order init, regular, ephemeral, whatever the order of the
    /// lists in the object.
    /// </summary>
    internal static PodSpecInfo PodSpec(
        string? serviceAccountName, string? serviceAccount, bool? automount, bool? hostPid, bool? hostIpc, bool? hostNetwork,
        ImmutableArray<string> hostPathVolumes, SecuritySettings podSecurity,
        IEnumerable<ContainerSpec>? init, IEnumerable<ContainerSpec>? regular, IEnumerable<ContainerSpec>? ephemeral) =>
        new(serviceAccountName ?? serviceAccount ?? "", automount, hostPid == true, hostIpc == true, hostNetwork == true,
            hostPathVolumes, podSecurity, [.. init ?? [], .. regular ?? [], .. ephemeral ?? []]);

    private static ContainerSpec Container(
        string? name, ContainerType type, string? image, V1SecurityContext? sc,
        V1ResourceRequirements? resources, IList<V1ContainerPort>? ports, IList<V1EnvVar>? env)
    {
        var limits = resources?.Limits;
        return new ContainerSpec(
            name ?? "",
            type,
            image ?? "",
            sc is null ? SecuritySettings.None : new SecuritySettings(
                sc.RunAsUser,
                sc.RunAsNonRoot,
                sc.Privileged,
                sc.AllowPrivilegeEscalation,
                sc.ReadOnlyRootFilesystem,
                (sc.Capabilities?.Add ?? []).ToImmutableArray(),
                (sc.Capabilities?.Drop ?? []).ToImmutableArray(),
                sc.SeccompProfile?.Type),
            limits is not null && limits.ContainsKey("memory"),
            limits is not null && limits.ContainsKey("cpu"),
            (ports ?? []).Where(p => p.HostPort is > 0).Select(p => p.HostPort!.Value).ToImmutableArray(),
            (env ?? []).Where(e => !string.IsNullOrEmpty(e.Value)).Select(e => e.Name ?? "").ToImmutableArray());
    }

    private static LimitRangeInfo LimitRange(V1LimitRange l)
    {
        var items = (l.Spec?.Limits ?? []).Where(i => i.Type == "Container").ToList();
        return new LimitRangeInfo(
            KeyOf(l, Kinds.LimitRange),
            items.Any(i => i.DefaultProperty?.ContainsKey("memory") == true),
            items.Any(i => i.DefaultProperty?.ContainsKey("cpu") == true))
        {
            Annotations = Ours(l.Metadata),
            ResourceVersion = Rv(l),
        };
    }

    private static RoleInfo Role(ObjectKey key, V1ObjectMeta? meta, IList<V1PolicyRule>? rules, bool aggregated)
    {
        var builtIn = meta?.Labels is { } labels
            && labels.TryGetValue(BootstrappingLabel, out var v) && v == "rbac-defaults";
        return new RoleInfo(
            key,
            (rules ?? []).Select(r => new PolicyRule(
                (r.Verbs ?? []).ToImmutableArray(),
                (r.Resources ?? []).ToImmutableArray(),
                (r.ApiGroups ?? []).ToImmutableArray())).ToImmutableArray(),
            builtIn,
            aggregated)
        {
            Annotations = Ours(meta),
        };
    }

    private static BindingInfo Binding(ObjectKey key, V1ObjectMeta? meta, V1RoleRef? roleRef, IList<Rbacv1Subject>? subjects) =>
        new(key,
            roleRef?.Kind ?? "",
            roleRef?.Name ?? "",
            (subjects ?? []).Select(s => new RbacSubject(
                s.Kind ?? "",
                s.Name ?? "",
                // A ServiceAccount subject without a namespace means the binding's own namespace.
                s.Kind == "ServiceAccount" ? (string.IsNullOrEmpty(s.NamespaceProperty) ? key.Namespace : s.NamespaceProperty) : "")).ToImmutableArray())
        {
            Annotations = Ours(meta),
        };

    private static NetworkPolicyInfo NetworkPolicy(V1NetworkPolicy np)
    {
        var spec = np.Spec;
        var selector = spec?.PodSelector;
        var selectsAll = selector is null
            || ((selector.MatchLabels is null || selector.MatchLabels.Count == 0)
                && (selector.MatchExpressions is null || selector.MatchExpressions.Count == 0));
        var ingress = spec?.Ingress ?? [];
        var egress = spec?.Egress ?? [];
        // policyTypes defaults: Ingress always; Egress only when the policy has egress rules.
        var types = spec?.PolicyTypes;
        bool affectsIngress, affectsEgress;
        if (types is { Count: > 0 })
        {
            affectsIngress = types.Contains("Ingress");
            affectsEgress = types.Contains("Egress");
        }
        else
        {
            affectsIngress = true;
            affectsEgress = egress.Count > 0;
        }
        var ports = ImmutableArray.CreateBuilder<PolicyPort>();
        var allPorts = false;
        foreach (var rule in egress)
        {
            if (rule.Ports is null || rule.Ports.Count == 0)
            {
                allPorts = true;
                continue;
            }
            foreach (var p in rule.Ports)
            {
                var protocol = p.Protocol ?? "TCP";
                var value = p.Port?.Value;
                int? number = int.TryParse(value, out var n) ? n : null;
                ports.Add(new PolicyPort(protocol, number, number is null ? value : null, number is null ? null : p.EndPort));
            }
        }
        return new NetworkPolicyInfo(KeyOf(np, Kinds.NetworkPolicy), selectsAll, affectsIngress, affectsEgress,
            ingress.Count, egress.Count, ports.ToImmutable(), allPorts)
        {
            Annotations = Ours(np.Metadata),
            ResourceVersion = Rv(np),
        };
    }

    private static IngressInfo Ingress(V1Ingress i)
    {
        var tls = i.Spec?.Tls ?? [];
        return new IngressInfo(
            KeyOf(i, Kinds.Ingress),
            (i.Spec?.Rules ?? []).Select(r => r.Host ?? "").ToImmutableArray(),
            tls.SelectMany(t => t.Hosts ?? []).ToImmutableArray(),
            tls.Count > 0)
        {
            Annotations = Selected(i.Metadata, IngressSslRedirect),
            ResourceVersion = Rv(i),
        };
    }
}
