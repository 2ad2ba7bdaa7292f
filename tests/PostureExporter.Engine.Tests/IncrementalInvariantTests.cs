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
            foreach (var seed in SequenceSeeds)
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
            AllowedRegistries = ["docker.io", "registry.example.com"],
            ApiServerVersion = "v1.31.0",
            KubeletMaxMinorSkew = 1,
            UnwaivableControls = ImmutableHashSet.Create(Make.ClusterAdmin),
            Waivers =
            [
                new CentralWaiver(Make.Limits, "team-*", "Deployment", "d*", "legacy sizing", "sre", "T-1", new DateOnly(2025, 6, 4)),
                new CentralWaiver(Make.RunAsRoot, "*", null, "p?", "root pods under review", null, null, new DateOnly(2025, 6, 9)),
                new CentralWaiver(Make.DefaultDeny, "", null, "team-b", "mesh policies", null, null, null),
                new CentralWaiver(Make.ClusterAdmin, "*", null, "crb*", "break glass", null, null, null),
                new CentralWaiver("image-registry-untrusted", "team-a", null, "*", "mirror pending", null, null, new DateOnly(2025, 6, 6)),
                new CentralWaiver("rbac-secrets-read", "", "ClusterRole", "view", "reviewed", null, null, null),
                new CentralWaiver("namespace-psa-weak", "team-b", null, "*", "legacy", null, null, null),
            ],
        },
        "no-annotation-waivers" => PostureSettings.Default with
        {
            AllowAnnotationWaivers = false,
            ApiServerVersion = "v1.30.2",
            KubeletMaxMinorSkew = 0,
            SystemNamespaces = ["kube-system", "team-b"],
        },
        _ => PostureSettings.Default,
    };

    private static readonly int[] SequenceSeeds = [1, 2, 3, 5, 8, 13, 21, 34];

    /// <summary>One step of a random sequence: time moves on, or a slot is deleted (Object null) or upserted.</summary>
    private sealed record Change(ObjectKey Slot, IKubernetesObject<V1ObjectMeta>? Object, int AdvanceHours);

    /// <summary>The random change sequence of a seed; the same for every test that replays it.</summary>
    private static IEnumerable<Change> Changes(int seed)
    {
        var random = new Random(seed);
        var universe = new Universe(random);
        for (var step = 0; step < Steps; step++)
        {
            var roll = random.NextDouble();
            if (roll < 0.07)
            {
                yield return new Change(default, null, random.Next(1, 60));
                continue;
            }
            var slot = universe.RandomSlot();
            yield return roll < 0.32 ? new Change(slot, null, 0) : new Change(slot, universe.Build(slot), 0);
        }
    }

    /// <summary>Applies a change to the index (and to the set of current projections) and says what it did.</summary>
    private static string Apply(Change change, FindingsIndex index, Dictionary<ObjectKey, ModelObject> current, ref DateTimeOffset now)
    {
        if (change.AdvanceHours > 0)
        {
            now = now.AddHours(change.AdvanceHours);
            index.RefreshExpiredWaivers(now);
            return $"time -> {now:yyyy-MM-ddTHH:mm}Z";
        }
        if (change.Object is null)
        {
            current.Remove(change.Slot);
            index.Delete(change.Slot, now);
            return $"delete {change.Slot}";
        }
        var projected = Projector.Project(change.Object)!;
        current[change.Slot] = projected;
        index.Upsert(projected, now);
        return $"upsert {Describe(change.Object)}";
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void FindingsIndex_RandomChangeSequence_AlwaysEqualsFromScratchEvaluation(int seed, string variant)
    {
        // Arrange
        var settings = SettingsFor(variant);
        var observer = new ReplayingObserver();
        var index = new FindingsIndex(new ClusterModel(), settings, observer);
        var current = new Dictionary<ObjectKey, ModelObject>();
        var history = new List<string>();
        var now = Start;
        var step = 0;

        foreach (var change in Changes(seed))
        {
            // Act
            history.Add($"{step}: {Apply(change, index, current, ref now)}");

            // Assert: from scratch is a new model and index over the same projections (projection is a pure function).
            var scratchModel = new ClusterModel();
            foreach (var o in current.Values)
            {
                scratchModel.Upsert(o);
            }
            var scratch = new FindingsIndex(scratchModel, settings);
            scratch.EvaluateAll(now);
            var problem = Compare(index, scratch, observer);
            if (problem is not null)
            {
                Assert.Fail($"seed {seed}, variant {variant}, step {step}: {problem}\nrecent steps:\n  {string.Join("\n  ", history.TakeLast(12))}");
            }
            step++;
        }
    }

    public static TheoryData<string> Variants() => new("default", "central-waivers", "no-annotation-waivers");

    /// <summary>
    /// The sequences the invariant replays must exercise every control that applies both ways (a pass and a
    /// violation, waived counting as one), or the invariant would say little about that control.
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void RandomChangeSequences_TogetherExerciseEveryApplicableControlBothWays(string variant)
    {
        // Arrange
        var settings = SettingsFor(variant);
        var seen = new HashSet<(string Control, FindingStatus Status)>();
        var applicable = new HashSet<string>();

        // Act
        foreach (var seed in SequenceSeeds)
        {
            var index = new FindingsIndex(new ClusterModel(), settings);
            var current = new Dictionary<ObjectKey, ModelObject>();
            var now = Start;
            foreach (var change in Changes(seed))
            {
                Apply(change, index, current, ref now);
                seen.UnionWith(index.All.Select(f => (f.Control.Id, f.Status == FindingStatus.Waived ? FindingStatus.Violation : f.Status)));
                applicable.UnionWith(index.Controls.Where(index.IsApplicable).Select(c => c.Id));
            }
        }

        // Assert
        var unexercised = applicable
            .Where(id => !seen.Contains((id, FindingStatus.Pass)) || !seen.Contains((id, FindingStatus.Violation)))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(unexercised.Count == 0, $"variant {variant}: never both passed and violated: {string.Join(", ", unexercised)}");
        // Only the controls that need configuration this variant lacks may stay not applicable throughout.
        var expectedNotApplicable = new List<string>();
        if (settings.AllowedRegistries.IsDefaultOrEmpty)
        {
            expectedNotApplicable.Add("image-registry-untrusted");
        }
        if (settings.ApiServerVersion is null)
        {
            expectedNotApplicable.Add("node-kubelet-outdated");
        }
        var notApplicable = ControlCatalog.All.Select(c => c.Id).Except(applicable).Order(StringComparer.Ordinal);
        Assert.Equal(expectedNotApplicable.Order(StringComparer.Ordinal), notApplicable);
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
    /// <summary>
    /// Compares by value first (cheap, every step) and renders the sorted text diff only when something differs.
    /// </summary>
    private static string? Compare(FindingsIndex incremental, FindingsIndex scratch, ReplayingObserver observer)
    {
        string? diff = null;
        if (!Same(incremental.All.Select(FindingKey), scratch.All.Select(FindingKey)))
        {
            diff = Diff("findings (incremental vs from scratch)", Findings(incremental.All), Findings(scratch.All));
        }
        else if (!Same(incremental.Counts, scratch.Counts))
        {
            diff = Diff("counts (incremental vs from scratch)", Counts(incremental.Counts), Counts(scratch.Counts));
        }
        else if (!Same(incremental.WaiverProblems, scratch.WaiverProblems))
        {
            diff = Diff("waiver problems (incremental vs from scratch)", Problems(incremental.WaiverProblems), Problems(scratch.WaiverProblems));
        }
        else if (!Same(observer.Counts, incremental.Counts))
        {
            diff = Diff("counts (observer replay vs index)", Counts(observer.Counts), Counts(incremental.Counts));
        }
        else if (!Same(observer.Findings.Values.Select(FindingKey), incremental.All.Where(f => f.Status != FindingStatus.Pass).Select(FindingKey)))
        {
            // The observer is told of every finding but passes (which only count).
            diff = Diff("findings (observer replay vs index)", Findings(observer.Findings.Values), Findings(incremental.All.Where(f => f.Status != FindingStatus.Pass)));
        }
        else if (!Same(observer.WaiverProblems, incremental.WaiverProblems))
        {
            diff = Diff("waiver problems (observer replay vs index)", Problems(observer.WaiverProblems), Problems(incremental.WaiverProblems));
        }
        if (diff is not null)
        {
            return diff;
        }
        // FirstSeen is kept across re-evaluations, so it is compared only for presence.
        var missingFirstSeen = incremental.All.Where(f => (f.Status == FindingStatus.Violation) != (f.FirstSeen is not null)).ToList();
        return missingFirstSeen.Count == 0 ? null : $"FirstSeen set wrongly on {string.Join(", ", missingFirstSeen.Select(f => f.Subject))}";
    }

    private static (string Control, SubjectRef Subject, FindingStatus Status, Severity Severity, string Message, Waiver? Waiver) FindingKey(Finding f) =>
        (f.Control.Id, f.Subject, f.Status, f.Severity, f.Message, f.Waiver);

    private static bool Same<T>(IEnumerable<T> first, IEnumerable<T> second)
    {
        var a = first.ToHashSet();
        var b = second.ToList();
        return a.Count == b.Count && a.SetEquals(b);
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
            Assert.False(before?.Status == FindingStatus.Pass || after?.Status == FindingStatus.Pass, "a pass was told");
            Assert.True(before is not null || after is not null, "a change of nothing was told");
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
            ("Ingress", ["ing0", "ing1"]),
        ];

        private static readonly (string Kind, string[] Names)[] ClusterSlots =
        [
            ("Namespace", NamespaceNames),
            ("ClusterRole", ["cluster-admin", "view", "edit"]),
            ("ClusterRoleBinding", ["crb0", "crb1", "crb2"]),
            ("Node", ["node-1", "node-2"]),
        ];

        private static readonly string[] Images =
            ["nginx", "nginx:latest", "nginx:1.27", "registry:5000/app", "registry:5000/app:1.2", "nginx@sha256:abc", "nginx:latest@sha256:abc", "ghcr.io/x/y:v1",
             "nginx:1.27@sha256:0a6f3cbd8ffe4c0c4e6a9cfb0b1b8e0d3f5e1d5e2b1a8c2d7f4e6b9c0d1e2f3a", "Registry.Example.com/team/app:2.0", "index.docker.io/library/busybox"];

        private static readonly string[] WaivedControls =
        [
            Make.RunAsRoot, Make.Limits, "image-mutable-tag", $"container-privileged,{Make.RunAsRoot}", Make.DefaultDeny, Make.ClusterAdmin,
            "no-such-control", $"{Make.Limits},no-such-control",
            "sa-token-automount,container-seccomp", "rbac-wildcard,rbac-dangerous-verbs", "namespace-psa-missing,namespace-dns-egress-missing",
            "ingress-tls-missing", "node-kubelet-outdated", "apiserver-anonymous-auth,apiserver-audit-log-disabled",
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

        /// <summary>
        /// Half the time any slot, half the time a slot of a random kind: pods stay frequent, and the kinds with few
        /// slots (nodes, roles, ingresses) still change often enough to exercise their controls both ways.
        /// </summary>
        public ObjectKey RandomSlot()
        {
            if (Chance(0.5))
            {
                return _slots[random.Next(_slots.Count)];
            }
            var kinds = _slots.Select(s => s.Kind).Distinct().ToList();
            var kind = kinds[random.Next(kinds.Count)];
            var ofKind = _slots.Where(s => s.Kind == kind).ToList();
            return ofKind[random.Next(ofKind.Count)];
        }

        private T Pick<T>(params T[] options) => options[random.Next(options.Length)];

        private bool Chance(double p) => random.NextDouble() < p;

        public IKubernetesObject<V1ObjectMeta> Build(ObjectKey slot)
        {
            var ns = slot.Namespace;
            var name = slot.Name;
            return slot.Kind switch
            {
                "Pod" when ns == "kube-system" && Chance(0.5) => ApiServerPod(name),
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
                "Ingress" => Ingress(ns, name),
                "Role" => new V1Role { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "Role", Metadata = Make.Meta(ns, name, annotations: Annotations()), Rules = Rules() },
                "RoleBinding" => Make.RoleBinding(ns, name,
                    Pick("ClusterRole", "ClusterRole", "Role"), Pick("cluster-admin", "view", "r0"), Subjects(), Annotations()),
                "Namespace" => Make.Namespace(name, NamespaceLabels(), Annotations()),
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
                    Status = Chance(0.1) ? null : new V1NodeStatus
                    {
                        NodeInfo = new V1NodeSystemInfo { KubeletVersion = Pick("v1.31.2", "v1.29.0", "v1.30.4-eks-1", "v1.28.3+k3s1", "") },
                    },
                },
                _ => throw new InvalidOperationException(slot.Kind),
            };
        }

        /// <summary>A static kube-apiserver pod (owned by its Node), as kubeadm writes it.</summary>
        private V1Pod ApiServerPod(string name)
        {
            var container = Make.Container("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.31.2");
            // Each flag absent or in one of its forms, the command and args split as kubeadm and RKE2 write them.
            var flags = new List<string>();
            flags.AddRange(Pick<string[]>([], ["--anonymous-auth=false"], ["--anonymous-auth"], ["--anonymous-auth=0"], ["--anonymous-auth=true"]));
            flags.AddRange(Pick<string[]>([], ["--tls-min-version=VersionTLS11"], ["--tls-min-version", "VersionTLS10"], ["--tls-min-version=VersionTLS13"]));
            flags.AddRange(Pick<string[]>([], ["--audit-log-path=/var/log/audit.log"], ["--audit-webhook-config-file", "/etc/wh.yaml"], ["--audit-log-path="]));
            flags.AddRange(Pick<string[]>([], ["--encryption-provider-config", "/etc/enc.yaml"], ["--encryption-provider-config=/etc/enc.yaml"]));
            var split = random.Next(flags.Count + 1);
            container.Command = ["kube-apiserver", .. flags.Take(split)];
            container.Args = [.. flags.Skip(split)];
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
                    SeccompProfile = Seccomp(),
                },
                ServiceAccountName = Pick<string?>(null, null, "default", "sa1", "ghost"),
                AutomountServiceAccountToken = Pick<bool?>(null, null, true, false),
                HostPID = Pick<bool?>(null, null, false, true),
                HostIPC = Pick<bool?>(null, null, null, true),
                HostNetwork = Pick<bool?>(null, null, false, true),
                Volumes = Chance(0.5) ? null :
                [
                    Pick(
                        new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() },
                        new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = "/var/run" } }),
                ],
                Containers = Enumerable.Range(0, random.Next(1, 3)).Select(i => Container($"c{i}")).ToList(),
                InitContainers = Chance(0.25) ? [Container("init")] : null,
                EphemeralContainers = Chance(0.15)
                    ? [new V1EphemeralContainer { Name = "debug", Image = Pick(Images), SecurityContext = SecurityContext() }]
                    : null,
            };
            return spec;
        }

        private V1Container Container(string name)
        {
            var container = Make.Container(name, Pick(Images), SecurityContext(), memoryLimit: Chance(0.7), cpuLimit: Chance(0.6));
            container.Ports = Chance(0.6) ? null : [new V1ContainerPort { ContainerPort = 8080, HostPort = Pick<int?>(null, 0, 8080) }];
            container.Env = Chance(0.5) ? null :
            [
                Pick(
                    new V1EnvVar { Name = "LOG_LEVEL", Value = "debug" },
                    new V1EnvVar { Name = "DB_PASSWORD", Value = "hunter2" },
                    new V1EnvVar { Name = "api_key", Value = "" },
                    new V1EnvVar { Name = "API_TOKEN", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "s", Key = "k" } } }),
            ];
            return container;
        }

        private V1SecurityContext? SecurityContext() => Chance(0.25) ? null : new V1SecurityContext
        {
            RunAsNonRoot = Pick<bool?>(null, null, true, false),
            RunAsUser = Pick<long?>(null, null, 0, 1000),
            Privileged = Pick<bool?>(null, null, false, true),
            AllowPrivilegeEscalation = Pick<bool?>(null, false, false, true),
            ReadOnlyRootFilesystem = Pick<bool?>(null, true, true, false),
            SeccompProfile = Seccomp(),
            Capabilities = Chance(0.2) ? null : new V1Capabilities
            {
                Drop = Pick<List<string>?>(null, ["ALL"], ["all"], ["ALL"], ["NET_RAW"], ["CAP_ALL"]),
                Add = Pick<List<string>?>(null, null, ["NET_BIND_SERVICE"], ["sys_admin"], ["CAP_NET_RAW"], ["ALL"]),
            },
        };

        private V1SeccompProfile? Seccomp() =>
            Pick<V1SeccompProfile?>(null, null, new V1SeccompProfile { Type = "RuntimeDefault" }, new V1SeccompProfile { Type = "Unconfined" },
                new V1SeccompProfile { Type = "Localhost", LocalhostProfile = "p.json" });

        private V1NetworkPolicy NetworkPolicy(string ns, string name)
        {
            if (Chance(0.3))
            {
                // A default deny for both directions, or for egress only.
                return Make.NetworkPolicy(ns, name, Pick<List<string>>(["Ingress", "Egress"], ["Egress"], ["Ingress", "Egress"]));
            }
            if (Chance(0.2))
            {
                var dns = Make.NetworkPolicy(ns, name, ["Egress"], egressRules: 1);
                dns.Spec.Egress[0].Ports = Pick<IList<V1NetworkPolicyPort>>(
                    [new V1NetworkPolicyPort { Protocol = "UDP", Port = (IntOrString)"53" }, new V1NetworkPolicyPort { Protocol = "TCP", Port = (IntOrString)"53" }],
                    [new V1NetworkPolicyPort { Protocol = "UDP", Port = (IntOrString)"53" }]);
                return dns;
            }
            var types = Pick<List<string>?>(null, null, [], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"]);
            var policy = Make.NetworkPolicy(ns, name, types, Pick(0, 0, 1, 2), Pick(0, 0, 1, 2), Chance(0.25) ? "web" : null);
            foreach (var rule in policy.Spec.Egress ?? [])
            {
                rule.Ports = Pick<IList<V1NetworkPolicyPort>?>(
                    rule.Ports,
                    null,
                    [new V1NetworkPolicyPort { Protocol = "TCP", Port = (IntOrString)"53" }],
                    [new V1NetworkPolicyPort { Port = (IntOrString)"53" }, new V1NetworkPolicyPort { Protocol = "UDP", Port = (IntOrString)"53" }],
                    [new V1NetworkPolicyPort { Protocol = "TCP", Port = (IntOrString)"1", EndPort = 1024 }],
                    [new V1NetworkPolicyPort { Protocol = "UDP", Port = (IntOrString)"dns" }],
                    [new V1NetworkPolicyPort { Protocol = "UDP" }]);
            }
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

        private Dictionary<string, string>? NamespaceLabels()
        {
            var labels = new Dictionary<string, string>();
            if (Chance(0.5))
            {
                labels["environment"] = Pick("prod", "dev");
            }
            if (Chance(0.6))
            {
                labels["pod-security.kubernetes.io/enforce"] = Pick("privileged", "baseline", "restricted", "Baseline");
            }
            return labels.Count == 0 ? null : labels;
        }

        private V1Ingress Ingress(string ns, string name)
        {
            var hosts = Pick<string?[]>([null], ["a.example.com"], ["a.example.com", "b.example.org"]);
            return new V1Ingress
            {
                ApiVersion = "networking.k8s.io/v1",
                Kind = "Ingress",
                Metadata = Make.Meta(ns, name, annotations: Chance(0.5) ? Annotations()
                    : new Dictionary<string, string> { ["nginx.ingress.kubernetes.io/ssl-redirect"] = Pick("false", "true", "0") }),
                Spec = new V1IngressSpec
                {
                    Rules = Chance(0.1) ? null : hosts.Select(h => new V1IngressRule { Host = h }).ToList(),
                    DefaultBackend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = "web", Port = new V1ServiceBackendPort { Number = 80 } } },
                    Tls = Pick<List<V1IngressTLS>?>(null, [new V1IngressTLS { Hosts = ["a.example.com"] }], [new V1IngressTLS { Hosts = ["*.example.com", "b.example.org"] }],
                        [new V1IngressTLS()]),
                },
            };
        }

        /// <summary>Rules from a list of telling ones (dangerous, harmless, and near misses), or random combinations.</summary>
        private List<V1PolicyRule> Rules() =>
            Enumerable.Range(0, random.Next(0, 3))
                .Select(_ => Chance(0.6)
                    ? Pick(
                        () => Rule("", "secrets", "get"),
                        () => Rule("", "pods/exec", "create"),
                        () => Rule("*", "*", "*"),
                        () => Rule("rbac.authorization.k8s.io", "clusterroles", "escalate"),
                        () => Rule("", "users", "impersonate"),
                        () => Rule("", "pods", "list"),
                        () => Rule("", "pods/*", "create"),
                        () => Rule("apps", "secrets", "get"),
                        () => Rule("", "*/attach", "get"),
                        () => Rule("", "nodes/proxy", "get"),
                        () => Rule("", "configmaps", "watch"))()
                    : Rule(
                        Pick("", "", "*", "rbac.authorization.k8s.io", "apps"),
                        Pick("pods", "secrets", "*", "pods/exec", "*/attach", "pods/*", "nodes/proxy", "users", "clusterroles"),
                        Pick("get", "list", "*", "escalate", "create", "impersonate", "bind", "watch")))
                .ToList();

        private static V1PolicyRule Rule(string group, string resource, string verb) =>
            new() { ApiGroups = [group], Resources = [resource], Verbs = [verb] };

        private List<Rbacv1Subject> Subjects() =>
            Enumerable.Range(0, random.Next(0, 3))
                .Select(_ => Pick(
                    () => Make.Subject("Group", "system:masters"),
                    () => Make.Subject("User", "alice"),
                    () => Make.Subject("ServiceAccount", "default"),
                    () => Make.Subject("ServiceAccount", "sa1", "team-a"),
                    () => Make.Subject("Group", "system:serviceaccounts"),
                    () => Make.Subject("Group", "system:serviceaccounts:team-b"),
                    () => Make.Subject("User", "system:serviceaccount:team-a:sa1"),
                    () => Make.Subject("User", "system:kube-controller-manager"),
                    () => Make.Subject("Group", "system:authenticated"),
                    () => Make.Subject("ServiceAccount", "sa1", "kube-system"))())
                .ToList();
    }
}
