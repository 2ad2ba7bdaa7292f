using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests;

/// <summary>
/// The engine's central invariant (SPEC, findings index): after any sequence of upserts and deletes, the
/// incrementally kept index equals a from-scratch evaluation of the same objects, and an observer that replays
/// the index's events (as the metrics do) ends in the same state. Random sequences over a small universe of
/// objects, so that owners, policies and bindings keep colliding.
/// </summary>
public sealed class IncrementalInvariantTests
{
    private const int Steps = 200;
    private static readonly DateTimeOffset Start = ControlFixtureTests.Now;

    public static TheoryData<int, string> Runs()
    {
        var data = new TheoryData<int, string>();
        foreach (var variant in new[] { "default", "central-waivers", "no-annotation-waivers" })
        {
            foreach (var seed in new[] { 1, 2, 3, 5, 8, 13, 21, 34 })
            {
                data.Add(seed, variant);
            }
        }
        return data;
    }

    private static PostureSettings SettingsFor(string variant) => variant switch
    {
        "central-waivers" => PostureSettings.Default with
        {
            RequireCpuLimits = false,
            UnwaivableControls = ImmutableHashSet.Create(Make.ClusterAdmin),
            Waivers =
            [
                new CentralWaiver(Make.Limits, "team-*", "Deployment", "d*", "legacy sizing", "sre", "T-1", new DateOnly(2025, 6, 4)),
                new CentralWaiver(Make.RunAsRoot, "*", null, "p?", "root pods under review", null, null, new DateOnly(2025, 6, 9)),
                new CentralWaiver(Make.DefaultDeny, "", null, "team-b", "mesh policies", null, null, null),
                new CentralWaiver(Make.ClusterAdmin, "*", null, "crb*", "break glass", null, null, null),
            ],
        },
        "no-annotation-waivers" => PostureSettings.Default with { AllowAnnotationWaivers = false },
        _ => PostureSettings.Default,
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void FindingsIndex_RandomChangeSequence_AlwaysEqualsFromScratchEvaluation(int seed, string variant)
    {
        // Arrange
        var settings = SettingsFor(variant);
        var random = new Random(seed);
        var universe = new Universe(random);
        var observer = new ReplayingObserver();
        var index = new FindingsIndex(new ClusterModel(), settings, observer);
        var current = new Dictionary<ObjectKey, IKubernetesObject<V1ObjectMeta>>();
        var history = new List<string>();
        var now = Start;

        for (var step = 0; step < Steps; step++)
        {
            // Act
            var roll = random.NextDouble();
            if (roll < 0.07)
            {
                now = now.AddHours(random.Next(1, 60));
                index.RefreshExpiredWaivers(now);
                history.Add($"{step}: time -> {now:yyyy-MM-ddTHH:mm}Z");
            }
            else
            {
                var slot = universe.RandomSlot();
                if (roll < 0.32)
                {
                    current.Remove(slot);
                    index.Delete(slot, now);
                    history.Add($"{step}: delete {slot}");
                }
                else
                {
                    var obj = universe.Build(slot);
                    current[slot] = obj;
                    index.Upsert(Projector.Project(obj)!, now);
                    history.Add($"{step}: upsert {Describe(obj)}");
                }
            }

            // Assert
            var scratch = Evaluation.FromObjects(current.Values, settings, now);
            var problem = Compare(index, scratch, observer);
            if (problem is not null)
            {
                Assert.Fail($"seed {seed}, variant {variant}, step {step}: {problem}\nrecent steps:\n  {string.Join("\n  ", history.TakeLast(12))}");
            }
        }
    }

    public static TheoryData<int> Seeds() => new(1, 2, 3, 5, 8, 13, 21, 34);

    /// <summary>
    /// The model's half of the invariant, independent of which controls exist today: the incremental model holds
    /// the same subjects with the same inputs as one built from scratch, and every subject whose inputs
    /// changed (what any control of its scope may read: a workload's pod specs or template with LimitRange
    /// defaults, its owner's annotations, its ServiceAccount and grants; a namespace's labels and policies; a
    /// role and the bindings of it; …) must be in the dirty set the change returns, or the index would keep a
    /// stale verdict.
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void ClusterModel_RandomChangeSequence_DirtySubjectsCoverEveryChangedInput(int seed)
    {
        // Arrange
        var random = new Random(seed);
        var universe = new Universe(random);
        var model = new ClusterModel();
        var current = new Dictionary<ObjectKey, ModelObject>();
        var before = Inputs(model);
        var history = new List<string>();

        for (var step = 0; step < Steps; step++)
        {
            // Act
            var slot = universe.RandomSlot();
            HashSet<SubjectRef> dirty;
            if (random.NextDouble() < 0.3)
            {
                current.Remove(slot);
                dirty = model.Delete(slot);
                history.Add($"{step}: delete {slot}");
            }
            else
            {
                var obj = universe.Build(slot);
                var projected = Projector.Project(obj)!;
                current[slot] = projected;
                dirty = model.Upsert(projected);
                history.Add($"{step}: upsert {Describe(obj)}");
            }
            var after = Inputs(model);
            var scratch = new ClusterModel();
            foreach (var o in current.Values)
            {
                scratch.Upsert(o);
            }

            // Assert
            var stale = Diff("subjects and their inputs (incremental model vs from scratch)",
                after.Select(kv => $"{kv.Key} {kv.Value}").Order(StringComparer.Ordinal).ToList(),
                Inputs(scratch).Select(kv => $"{kv.Key} {kv.Value}").Order(StringComparer.Ordinal).ToList());
            if (stale is not null)
            {
                Assert.Fail($"seed {seed}, step {step}: {stale}\nrecent steps:\n  {string.Join("\n  ", history.TakeLast(12))}");
            }
            var missed = before.Keys.Union(after.Keys)
                .Where(s => before.GetValueOrDefault(s) != after.GetValueOrDefault(s) && !dirty.Contains(s))
                .Select(s => $"{s}\n    before: {before.GetValueOrDefault(s) ?? "(no subject)"}\n    after:  {after.GetValueOrDefault(s) ?? "(no subject)"}")
                .ToList();
            if (missed.Count > 0)
            {
                Assert.Fail($"seed {seed}, step {step}: changed but not dirty:\n  {string.Join("\n  ", missed)}\n"
                    + $"dirty: {string.Join(", ", dirty)}\nrecent steps:\n  {string.Join("\n  ", history.TakeLast(12))}");
            }
            before = after;
        }
    }

    private static Dictionary<SubjectRef, string> Inputs(ClusterModel model) =>
        model.AllSubjects().Distinct().ToDictionary(s => s, s => InputsOf(model, s));

    private static string InputsOf(ClusterModel model, SubjectRef subject)
    {
        var key = subject.Key;
        switch (subject.Scope)
        {
            case SubjectScope.Workload:
                var w = model.Workload(key)!;
                var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"owner={Render(w.Owner)} fromTemplate={w.FromTemplate}");
                foreach (var spec in w.Specs)
                {
                    var sa = spec.EffectiveServiceAccount;
                    var account = model.Get(new ObjectKey(Kinds.ServiceAccount, key.Namespace, sa)) as ServiceAccountInfo;
                    sb.Append(CultureInfo.InvariantCulture, $" spec={Render(spec)} saBound={model.IsServiceAccountBound(key.Namespace, sa)} sa={Render(account)}");
                }
                return sb.ToString();
            case SubjectScope.Namespace:
                var policies = model.InNamespace<NetworkPolicyInfo>(Kinds.NetworkPolicy, key.Name).OrderBy(p => p.Key.Name, StringComparer.Ordinal);
                return $"{Render(model.Get(key))} policies={Render(policies)}";
            case SubjectScope.Role:
                var bindings = model.BindingsOf(key).OrderBy(b => b.Key.ToString(), StringComparer.Ordinal);
                return $"{Render(model.Get(key))} bindings={Render(bindings)}";
            default:
                return Render(model.Get(key));
        }
    }

    /// <summary>A deep, order-stable rendering of a projection (records hold ImmutableArrays, which compare by reference).</summary>
    private static string Render(object? value)
    {
        switch (value)
        {
            case null:
                return "null";
            case string text:
                return $"\"{text}\"";
            case bool or int or long or Enum:
                return Convert.ToString(value, CultureInfo.InvariantCulture)!;
            case ObjectKey k:
                return k.ToString();
            case System.Collections.IDictionary dictionary:
                return "{" + string.Join(", ", dictionary.Keys.Cast<object>().Select(k => $"{k}={Render(dictionary[k])}").Order(StringComparer.Ordinal)) + "}";
        }
        var type = value.GetType();
        if (type.GetProperty("IsDefault") is { } isDefault && (bool)isDefault.GetValue(value)!)
        {
            return "default";
        }
        if (value is System.Collections.IEnumerable items)
        {
            return "[" + string.Join(", ", items.Cast<object?>().Select(Render)) + "]";
        }
        var properties = type.GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name is not ("EqualityContract" or "ResourceVersion"))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={Render(p.GetValue(value))}");
        return $"{type.Name}{{{string.Join(" ", properties)}}}";
    }

    /// <summary>Null when the incremental index, the from-scratch one and the observer's replay agree.</summary>
    private static string? Compare(FindingsIndex incremental, FindingsIndex scratch, ReplayingObserver observer)
    {
        var diff = Diff("findings (incremental vs from scratch)", Findings(incremental.All), Findings(scratch.All))
            ?? Diff("counts (incremental vs from scratch)", Counts(incremental.Counts), Counts(scratch.Counts))
            ?? Diff("waiver problems (incremental vs from scratch)", Problems(incremental.WaiverProblems), Problems(scratch.WaiverProblems))
            ?? Diff("counts (observer replay vs index)", Counts(observer.Counts), Counts(incremental.Counts))
            ?? Diff("findings (observer replay vs index)", Findings(observer.Findings.Values), Findings(incremental.All))
            ?? Diff("waiver problems (observer replay vs index)", Problems(observer.WaiverProblems), Problems(incremental.WaiverProblems));
        if (diff is not null)
        {
            return diff;
        }
        // FirstSeen is kept across re-evaluations, so it is compared only for presence.
        var missingFirstSeen = incremental.All.Where(f => (f.Status == FindingStatus.Violation) != (f.FirstSeen is not null)).ToList();
        return missingFirstSeen.Count == 0 ? null : $"FirstSeen set wrongly on {string.Join(", ", missingFirstSeen.Select(f => f.Subject))}";
    }

    private static List<string> Findings(IEnumerable<Finding> findings) =>
        findings.Select(f => $"{f.Control.Id} {f.Subject} {f.Status} [{f.Severity}] {f.Message} {f.Waiver}").Order(StringComparer.Ordinal).ToList();

    private static List<string> Counts(IEnumerable<KeyValuePair<(string Control, string Namespace), FindingCounts>> counts) =>
        counts.Select(kv => $"{kv.Key.Control} ns={kv.Key.Namespace} {kv.Value}").Order(StringComparer.Ordinal).ToList();

    private static List<string> Problems(IEnumerable<KeyValuePair<ObjectKey, string>> problems) =>
        problems.Select(kv => $"{kv.Key}: {kv.Value}").Order(StringComparer.Ordinal).ToList();

    private static string? Diff(string what, List<string> actual, List<string> expected)
    {
        if (actual.SequenceEqual(expected))
        {
            return null;
        }
        var sb = new StringBuilder(what).Append(" differ");
        foreach (var extra in actual.Except(expected))
        {
            sb.Append("\n  only in first:  ").Append(extra);
        }
        foreach (var missing in expected.Except(actual))
        {
            sb.Append("\n  only in second: ").Append(missing);
        }
        return sb.ToString();
    }

    private static string Describe(IKubernetesObject<V1ObjectMeta> obj)
    {
        var m = obj.Metadata;
        var owner = m.OwnerReferences is [var o, ..] ? $" owner={o.Kind}/{o.Name}" : "";
        var waiver = m.Annotations is { Count: > 0 } a ? " annotations={" + string.Join(", ", a.Select(kv => $"{kv.Key}={kv.Value}")) + "}" : "";
        return $"{obj.Kind}/{m.NamespaceProperty}/{m.Name}{owner}{waiver}";
    }

    /// <summary>Keeps what the observer has been told, the way the metrics surface would.</summary>
    private sealed class ReplayingObserver : IFindingsObserver
    {
        public Dictionary<(string Control, string Namespace), FindingCounts> Counts { get; } = [];

        public Dictionary<(string Control, SubjectRef Subject), Finding> Findings { get; } = [];

        public Dictionary<ObjectKey, string> WaiverProblems { get; } = [];

        public void CountsChanged(Control control, string ns, FindingCounts counts)
        {
            if (counts.IsEmpty)
            {
                Counts.Remove((control.Id, ns));
            }
            else
            {
                Counts[(control.Id, ns)] = counts;
            }
        }

        public void FindingChanged(Finding? before, Finding? after)
        {
            if (before is not null)
            {
                Findings.Remove((before.Control.Id, before.Subject));
            }
            if (after is not null)
            {
                Findings[(after.Control.Id, after.Subject)] = after;
            }
        }

        public void WaiverProblemChanged(ObjectKey source, string? problem)
        {
            if (problem is null)
            {
                WaiverProblems.Remove(source);
            }
            else
            {
                WaiverProblems[source] = problem;
            }
        }
    }

    /// <summary>A small universe of object slots (kind, namespace, name) and random objects to fill them.</summary>
    private sealed class Universe(Random random)
    {
        private static readonly string[] NamespaceNames = ["team-a", "team-b", "kube-system"];

        private static readonly (string Kind, string[] Names)[] NamespacedSlots =
        [
            ("Pod", ["p0", "p1", "p2", "p3", "p4"]),
            ("ReplicaSet", ["rs0", "rs1"]),
            ("Deployment", ["d0", "d1"]),
            ("Job", ["j0", "j1"]),
            ("CronJob", ["cj0"]),
            ("StatefulSet", ["ss0"]),
            ("LimitRange", ["lr0", "lr1"]),
            ("ServiceAccount", ["default", "sa1"]),
            ("NetworkPolicy", ["np0", "np1", "np2"]),
            ("Role", ["r0"]),
            ("RoleBinding", ["rb0", "rb1"]),
        ];

        private static readonly (string Kind, string[] Names)[] ClusterSlots =
        [
            ("Namespace", NamespaceNames),
            ("ClusterRole", ["cluster-admin", "view"]),
            ("ClusterRoleBinding", ["crb0", "crb1", "crb2"]),
            ("Node", ["node-1"]),
        ];

        private static readonly string[] Images =
            ["nginx", "nginx:latest", "nginx:1.27", "registry:5000/app", "registry:5000/app:1.2", "nginx@sha256:abc", "nginx:latest@sha256:abc", "ghcr.io/x/y:v1"];

        private static readonly string[] WaivedControls =
        [
            Make.RunAsRoot, Make.Limits, "image-mutable-tag", $"container-privileged,{Make.RunAsRoot}", Make.DefaultDeny, Make.ClusterAdmin,
            "no-such-control", $"{Make.Limits},no-such-control",
        ];

        private static readonly string?[] Untils = [null, null, "2025-06-02", "2025-05-01", "2025-06-05", "not-a-date", "2025-07-01"];

        private readonly List<ObjectKey> _slots = BuildSlots();

        private static List<ObjectKey> BuildSlots()
        {
            var slots = new List<ObjectKey>();
            foreach (var ns in NamespaceNames)
            {
                foreach (var (kind, names) in NamespacedSlots)
                {
                    slots.AddRange(names.Select(n => new ObjectKey(kind, ns, n)));
                }
            }
            foreach (var (kind, names) in ClusterSlots)
            {
                slots.AddRange(names.Select(n => new ObjectKey(kind, "", n)));
            }
            return slots;
        }

        public ObjectKey RandomSlot() => _slots[random.Next(_slots.Count)];

        private T Pick<T>(params T[] options) => options[random.Next(options.Length)];

        private bool Chance(double p) => random.NextDouble() < p;

        public IKubernetesObject<V1ObjectMeta> Build(ObjectKey slot)
        {
            var ns = slot.Namespace;
            var name = slot.Name;
            return slot.Kind switch
            {
                "Pod" when ns == "kube-system" && Chance(0.3) => ApiServerPod(name),
                "Pod" => Make.Pod(ns, name, PodSpec(),
                    Pick<(string, string)?>(null, ("ReplicaSet", "rs0"), ("ReplicaSet", "rs1"), ("Job", "j0"), ("Job", "j1"), ("Node", "node-1"),
                        ("StatefulSet", "ss0"), ("DaemonSet", "ds-missing")),
                    Pick<string?>("Running", "Running", "Pending", "Succeeded", "Failed", null),
                    Annotations()),
                "ReplicaSet" => Make.ReplicaSet(ns, name, Pick<string?>(null, "d0", "d1", "d1"), Chance(0.8) ? PodSpec() : null, Annotations()),
                "Deployment" => Make.Deployment(ns, name, PodSpec(), Annotations()),
                "Job" => Make.Job(ns, name, Pick<string?>(null, "cj0", "cj0", "cj-missing"), PodSpec(), Annotations()),
                "CronJob" => Make.CronJob(ns, name, PodSpec(), Annotations()),
                "StatefulSet" => Make.StatefulSet(ns, name, PodSpec(), Annotations()),
                "LimitRange" => Make.LimitRange(ns, name, Chance(0.6), Chance(0.6), Pick("Container", "Container", "Pod")),
                "ServiceAccount" => new V1ServiceAccount
                {
                    ApiVersion = "v1",
                    Kind = "ServiceAccount",
                    Metadata = Make.Meta(ns, name),
                    AutomountServiceAccountToken = Pick<bool?>(null, true, false),
                },
                "NetworkPolicy" => NetworkPolicy(ns, name),
                "Role" => new V1Role { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "Role", Metadata = Make.Meta(ns, name, annotations: Annotations()), Rules = Rules() },
                "RoleBinding" => Make.RoleBinding(ns, name,
                    Pick("ClusterRole", "ClusterRole", "Role"), Pick("cluster-admin", "view", "r0"), Subjects(), Annotations()),
                "Namespace" => Make.Namespace(name,
                    Chance(0.5) ? new Dictionary<string, string> { ["environment"] = Pick("prod", "dev") } : null,
                    Annotations()),
                "ClusterRole" => new V1ClusterRole
                {
                    ApiVersion = "rbac.authorization.k8s.io/v1",
                    Kind = "ClusterRole",
                    Metadata = Make.Meta(null, name, annotations: Annotations(),
                        labels: Chance(0.5) ? new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" } : null),
                    Rules = Rules(),
                },
                "ClusterRoleBinding" => Make.ClusterRoleBinding(name, Pick("cluster-admin", "cluster-admin", "view"), Subjects(), Annotations()),
                "Node" => new V1Node
                {
                    ApiVersion = "v1",
                    Kind = "Node",
                    Metadata = Make.Meta(null, name),
                    Status = new V1NodeStatus { NodeInfo = new V1NodeSystemInfo { KubeletVersion = Pick("v1.31.2", "v1.29.0") } },
                },
                _ => throw new InvalidOperationException(slot.Kind),
            };
        }

        /// <summary>A static kube-apiserver pod (owned by its Node), as kubeadm writes it.</summary>
        private V1Pod ApiServerPod(string name)
        {
            var container = Make.Container("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.31.2");
            container.Command = ["kube-apiserver", Pick("--anonymous-auth=false", "--anonymous-auth", "--tls-min-version=VersionTLS11"),
                Pick("--audit-log-path=/var/log/audit.log", "--encryption-provider-config", "/etc/enc.yaml")];
            var pod = Make.Pod("kube-system", name, new V1PodSpec { Containers = [container] }, ("Node", "node-1"), annotations: Annotations());
            pod.Metadata.Labels = new Dictionary<string, string> { ["component"] = "kube-apiserver" };
            return pod;
        }

        private Dictionary<string, string>? Annotations()
        {
            if (!Chance(0.3))
            {
                return Chance(0.2) ? new Dictionary<string, string> { ["kubectl.kubernetes.io/last-applied-configuration"] = "{}" } : null;
            }
            return Make.Waiver(Pick(WaivedControls), Pick<string?>("accepted", "accepted", "accepted", null, ""), Pick(Untils));
        }

        private V1PodSpec PodSpec()
        {
            var spec = new V1PodSpec
            {
                SecurityContext = Chance(0.3) ? null : new V1PodSecurityContext
                {
                    RunAsNonRoot = Pick<bool?>(null, true, true, false),
                    RunAsUser = Pick<long?>(null, null, 0, 1000),
                },
                Containers = Enumerable.Range(0, random.Next(1, 3)).Select(i => Container($"c{i}")).ToList(),
                InitContainers = Chance(0.25) ? [Container("init")] : null,
                EphemeralContainers = Chance(0.15)
                    ? [new V1EphemeralContainer { Name = "debug", Image = Pick(Images), SecurityContext = SecurityContext() }]
                    : null,
            };
            return spec;
        }

        private V1Container Container(string name) =>
            Make.Container(name, Pick(Images), SecurityContext(), memoryLimit: Chance(0.7), cpuLimit: Chance(0.6));

        private V1SecurityContext? SecurityContext() => Chance(0.4) ? null : new V1SecurityContext
        {
            RunAsNonRoot = Pick<bool?>(null, null, true, false),
            RunAsUser = Pick<long?>(null, null, 0, 1000),
            Privileged = Pick<bool?>(null, null, false, true),
        };

        private V1NetworkPolicy NetworkPolicy(string ns, string name)
        {
            var types = Pick<List<string>?>(null, null, [], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"]);
            var policy = Make.NetworkPolicy(ns, name, types, Pick(0, 0, 1, 2), Pick(0, 0, 1, 2), Chance(0.25) ? "web" : null);
            if (Chance(0.1))
            {
                policy.Spec.PodSelector = null;
            }
            else if (Chance(0.1))
            {
                policy.Spec.PodSelector = new V1LabelSelector
                {
                    MatchExpressions = [new V1LabelSelectorRequirement { Key = "app", OperatorProperty = "Exists" }],
                };
            }
            return policy;
        }

        private List<V1PolicyRule> Rules() =>
            Enumerable.Range(0, random.Next(0, 3))
                .Select(_ => new V1PolicyRule
                {
                    ApiGroups = [""],
                    Resources = [Pick("pods", "secrets", "*")],
                    Verbs = [Pick("get", "list", "*", "escalate")],
                })
                .ToList();

        private List<Rbacv1Subject> Subjects() =>
            Enumerable.Range(0, random.Next(0, 3))
                .Select(_ => Pick(
                    () => Make.Subject("Group", "system:masters"),
                    () => Make.Subject("User", "alice"),
                    () => Make.Subject("ServiceAccount", "default"),
                    () => Make.Subject("ServiceAccount", "sa1", "team-a"),
                    () => Make.Subject("Group", "system:serviceaccounts"),
                    () => Make.Subject("Group", "system:serviceaccounts:team-b"))())
                .ToList();
    }
}
