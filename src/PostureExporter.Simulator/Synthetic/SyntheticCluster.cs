using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace PostureExporter.Simulator.Synthetic;

/// <summary>
/// Generates a large, realistic cluster into a <see cref="ClusterStore"/> for benchmarks: pods of ~5 KB JSON
/// each (labels, annotations with a kubectl last-applied-configuration, managedFields, env, volumes with the
/// projected ServiceAccount token, probes, resources, status with conditions and containerStatuses), most of
/// them run by Deployments through ReplicaSets, the rest by StatefulSets, DaemonSets, CronJobs through Jobs, or
/// bare; per namespace ServiceAccounts, Roles, RoleBindings and NetworkPolicies (a default deny in most), and a
/// few ClusterRoleBindings. Violations are drawn per workload from a <see cref="ViolationMix"/>, so the summary
/// can say exactly what a posture engine must count. Deterministic from the seed.
/// </summary>
/// <remarks>
/// Objects are written straight to UTF-8 with one reused buffer and loaded through
/// <see cref="ClusterStore.CreateMany"/>: no JSON tree is built, so 100k pods load in seconds.
/// </remarks>
public static class SyntheticCluster
{
    /// <summary>The posture engine's control ids whose totals the summary predicts.</summary>
    public const string RunAsRoot = "container-run-as-root";
    public const string ResourceLimits = "container-resource-limits";
    public const string MutableTag = "image-mutable-tag";
    public const string Privileged = "container-privileged";
    public const string DefaultDenyMissing = "namespace-default-deny-missing";
    public const string ClusterAdminBinding = "rbac-cluster-admin-binding";

    /// <summary>Fills the store; returns what was made and the totals a correct engine reports for it.</summary>
    public static SyntheticSummary Populate(ClusterStore store, SyntheticOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Pods);
        using var generator = new Generator(options);
        store.CreateMany(generator.Objects());
        return generator.Summary();
    }

    /// <summary>
    /// One bare pod of the generator's shape (~5 KB), compliant except that it runs as root when
    /// <paramref name="runAsRoot"/> (runAsUser 0): for churn benchmarks that flip one finding per event.
    /// </summary>
    public static byte[] BarePod(string ns, string name, bool runAsRoot, int seed = 1)
    {
        using var generator = new Generator(new SyntheticOptions { Seed = seed, Violations = ViolationMix.None });
        var shape = generator.NewShape(ns, name, runAsRoot ? ViolationMix.All with { NoLimits = 0, MutableTag = 0, Privileged = 0 } : ViolationMix.None);
        shape.RootExplicit = true;
        return generator.Write(w => generator.WritePod(w, shape, name, owner: null, phase: "Running", ordinal: 0)).ToArray();
    }

    private sealed record Owner(string ApiVersion, string Kind, string Name, string Uid);

    /// <summary>What every pod of one workload runs.</summary>
    private sealed class Shape
    {
        public required string Namespace { get; init; }
        public required string App { get; init; }
        public required string Team { get; init; }
        public required string Version { get; init; }
        public required string Image { get; init; }
        public required string ImageId { get; init; }
        public bool Root { get; init; }
        public bool RootExplicit { get; set; }
        public bool NoLimits { get; init; }
        public bool Privileged { get; init; }
        public bool Sidecar { get; init; }
        public bool Init { get; init; }
        public int Port { get; init; }
        public required string Hash { get; init; }
        public required string TokenVolume { get; init; }
        public required string ConfigChecksum { get; init; }
        public bool Violates => Root || NoLimits || Privileged || MutableTagged;
        public bool MutableTagged { get; init; }
    }

    private sealed class Generator(SyntheticOptions options) : IDisposable
    {
        private static readonly DateTimeOffset Epoch = new(2025, 1, 15, 8, 0, 0, TimeSpan.Zero);
        private static readonly string[] Apps =
        [
            "api", "web", "worker", "cache", "gateway", "billing", "search", "auth", "ingest", "scheduler",
            "notifier", "reports", "frontend", "backend", "exporter", "orders", "catalog", "checkout", "payments", "events",
        ];
        private static readonly string[] Teams = ["platform", "payments", "growth", "data", "identity", "search", "mobile", "risk"];
        private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

        private readonly Random _rng = new(options.Seed);
        private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
        private readonly Utf8JsonWriter _writer = new(new ArrayBufferWriter<byte>(), new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        private readonly Dictionary<string, int> _kinds = [];
        private readonly List<string> _namespaces = [];
        private readonly Dictionary<string, (int Checked, int Violations)> _expected = new()
        {
            [RunAsRoot] = (0, 0), [ResourceLimits] = (0, 0), [MutableTag] = (0, 0), [Privileged] = (0, 0),
            [DefaultDenyMissing] = (0, 0), [ClusterAdminBinding] = (0, 0),
        };
        private int _pods;
        private long _bytes;

        public void Dispose() => _writer.Dispose();

        public SyntheticSummary Summary() => new(
            _pods,
            _namespaces,
            new Dictionary<string, int>(_kinds),
            _bytes,
            _expected.ToDictionary(kv => kv.Key, kv => new ExpectedCounts(kv.Value.Checked, kv.Value.Violations)));

        /// <summary>Writes one object into the shared buffer; the memory is valid until the next call.</summary>
        public ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> write)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            write(_writer);
            _writer.Flush();
            _bytes += _buffer.WrittenCount;
            return _buffer.WrittenMemory;
        }

        private ReadOnlyMemory<byte> Emit(string kind, Action<Utf8JsonWriter> write)
        {
            _kinds[kind] = _kinds.GetValueOrDefault(kind) + 1;
            return Write(write);
        }

        public IEnumerable<ReadOnlyMemory<byte>> Objects()
        {
            var namespaceCount = options.EffectiveNamespaces;
            var width = Math.Max(4, namespaceCount.ToString(CultureInfo.InvariantCulture).Length);
            for (var n = 0; n < namespaceCount; n++)
            {
                var ns = options.NamespacePrefix + n.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
                _namespaces.Add(ns);
                var team = Teams[_rng.Next(Teams.Length)];
                var podsHere = options.Pods / namespaceCount + (n < options.Pods % namespaceCount ? 1 : 0);
                yield return Emit("Namespace", w => WriteNamespace(w, ns, team));

                foreach (var sa in (string[])["default", "app", "deployer"])
                {
                    yield return Emit("ServiceAccount", w => WriteServiceAccount(w, ns, sa));
                }
                yield return Emit("Role", w => WriteRole(w, ns, "config-reader", ["configmaps"], ["get", "list", "watch"]));
                yield return Emit("Role", w => WriteRole(w, ns, "deployer", ["deployments", "services", "configmaps"], ["get", "list", "watch", "create", "update", "patch"]));
                yield return Emit("RoleBinding", w => WriteRoleBinding(w, ns, "config-reader", "Role", "config-reader", ns, "app"));
                yield return Emit("RoleBinding", w => WriteRoleBinding(w, ns, "deployer-edit", "ClusterRole", "edit", ns, "deployer"));
                AddExpected(ClusterAdminBinding, 2, 0);
                // About one namespace in a hundred has someone's "temporary" cluster-admin grant.
                if (_rng.NextDouble() < 0.01)
                {
                    yield return Emit("RoleBinding", w => WriteRoleBinding(w, ns, "debug-admin", "ClusterRole", "cluster-admin", ns, "deployer"));
                    AddExpected(ClusterAdminBinding, 1, 1);
                }

                var defaultDeny = _rng.NextDouble() < options.DefaultDenyShare;
                if (defaultDeny)
                {
                    yield return Emit("NetworkPolicy", w => WriteNetworkPolicy(w, ns, "default-deny-all", app: null));
                }
                yield return Emit("NetworkPolicy", w => WriteNetworkPolicy(w, ns, "allow-from-ingress", app: "web"));
                AddExpected(DefaultDenyMissing, 1, defaultDeny ? 0 : 1);

                var podsAtStart = _pods;
                var remaining = podsHere;
                for (var k = 0; remaining > 0; k++)
                {
                    var app = Apps[_rng.Next(Apps.Length)] + "-" + k.ToString(CultureInfo.InvariantCulture);
                    var shape = NewShape(ns, app, options.Violations, team);
                    CountSubject(shape);
                    var kind = options.BarePodsOnly ? 4 : _rng.NextDouble() switch
                    {
                        < 0.70 => 0,
                        < 0.82 => 1,
                        < 0.87 => 2,
                        < 0.95 => 3,
                        _ => 4,
                    };
                    IEnumerable<ReadOnlyMemory<byte>> objects = kind switch
                    {
                        0 => Deployment(shape, Math.Min(remaining, _rng.Next(1, 7))),
                        1 => StatefulSet(shape, Math.Min(remaining, _rng.Next(1, 4))),
                        2 => DaemonSet(shape, Math.Min(remaining, 3)),
                        3 => CronJob(shape, Math.Min(remaining, 2)),
                        _ => Bare(shape),
                    };
                    foreach (var o in objects)
                    {
                        yield return o;
                    }
                    remaining = podsHere - (_pods - podsAtStart);
                }
            }

            // A few cluster-wide bindings: system ones, the expected system:masters grant, and two unexpected ones.
            var crbs = new List<(string Name, string Role, string SubjectKind, string Subject, string SubjectNs, bool Violates)>
            {
                ("cluster-admin", "cluster-admin", "Group", "system:masters", "", false),
                ("system:kube-controller-manager", "system:kube-controller-manager", "User", "system:kube-controller-manager", "", false),
                ("system:kube-scheduler", "system:kube-scheduler", "User", "system:kube-scheduler", "", false),
                ("system:node-proxier", "system:node-proxier", "User", "system:kube-proxy", "", false),
                ("system:basic-user", "system:basic-user", "Group", "system:authenticated", "", false),
                ("ci-pipeline-admin", "cluster-admin", "ServiceAccount", "ci-pipeline", _namespaces[0], true),
                ("oncall-breakglass", "cluster-admin", "Group", "oncall", "", true),
            };
            for (var i = 0; i < Math.Min(100, namespaceCount / 20); i++)
            {
                crbs.Add(($"monitoring-read-{i}", "view", "ServiceAccount", "prometheus", _namespaces[i], false));
            }
            foreach (var (name, role, subjectKind, subject, subjectNs, violates) in crbs)
            {
                yield return Emit("ClusterRoleBinding", w => WriteClusterRoleBinding(w, name, role, subjectKind, subject, subjectNs));
                AddExpected(ClusterAdminBinding, 1, violates ? 1 : 0);
            }
        }

        private void AddExpected(string control, int @checked, int violations)
        {
            var (c, v) = _expected[control];
            _expected[control] = (c + @checked, v + violations);
        }

        private void CountSubject(Shape s)
        {
            AddExpected(RunAsRoot, 1, s.Root ? 1 : 0);
            AddExpected(ResourceLimits, 1, s.NoLimits ? 1 : 0);
            AddExpected(MutableTag, 1, s.MutableTagged ? 1 : 0);
            AddExpected(Privileged, 1, s.Privileged ? 1 : 0);
        }

        public Shape NewShape(string ns, string app, ViolationMix mix, string? team = null)
        {
            team ??= Teams[_rng.Next(Teams.Length)];
            var root = _rng.NextDouble() < mix.RunAsRoot;
            var noLimits = _rng.NextDouble() < mix.NoLimits;
            var mutable = _rng.NextDouble() < mix.MutableTag;
            var privileged = _rng.NextDouble() < mix.Privileged;
            var version = $"1.{_rng.Next(30)}.{_rng.Next(10)}";
            var repository = $"registry.example.com/{team}/{app[..app.LastIndexOf('-')]}";
            var digest = Hex(64);
            var image = mutable
                ? (_rng.Next(2) == 0 ? repository + ":latest" : repository)
                : _rng.Next(10) == 0 ? $"{repository}@sha256:{digest}" : $"{repository}:{version}";
            return new Shape
            {
                Namespace = ns,
                App = app,
                Team = team,
                Version = version,
                Image = image,
                ImageId = $"{repository}@sha256:{digest}",
                Root = root,
                RootExplicit = root && _rng.Next(2) == 0,
                NoLimits = noLimits,
                MutableTagged = mutable,
                Privileged = privileged,
                Sidecar = _rng.NextDouble() < 0.15,
                Init = _rng.NextDouble() < 0.1,
                Port = 8080 + _rng.Next(4),
                Hash = Suffix(10),
                TokenVolume = "kube-api-access-" + Suffix(5),
                ConfigChecksum = Hex(64),
            };
        }

        // ---- workloads ----

        private IEnumerable<ReadOnlyMemory<byte>> Deployment(Shape s, int replicas)
        {
            var deployment = new Owner("apps/v1", "Deployment", s.App, Uid());
            yield return Emit("Deployment", w => WriteWorkload(w, "apps/v1", "Deployment", s.App, s, owner: null, replicas, extraLabels: null));
            var rs = new Owner("apps/v1", "ReplicaSet", $"{s.App}-{s.Hash}", Uid());
            yield return Emit("ReplicaSet", w => WriteWorkload(w, "apps/v1", "ReplicaSet", rs.Name, s, deployment, replicas, ("pod-template-hash", s.Hash)));
            if (_rng.NextDouble() < 0.3)
            {
                // The previous rollout's ReplicaSet, scaled to zero, as Deployments keep them.
                var old = $"{s.App}-{Suffix(10)}";
                yield return Emit("ReplicaSet", w => WriteWorkload(w, "apps/v1", "ReplicaSet", old, s, deployment, 0, ("pod-template-hash", old[(s.App.Length + 1)..])));
            }
            for (var i = 0; i < replicas; i++)
            {
                var name = $"{rs.Name}-{Suffix(5)}";
                var ordinal = i;
                yield return Pod(s, name, rs, "Running", ordinal);
            }
        }

        private IEnumerable<ReadOnlyMemory<byte>> StatefulSet(Shape s, int replicas)
        {
            var sts = new Owner("apps/v1", "StatefulSet", s.App, Uid());
            yield return Emit("StatefulSet", w => WriteWorkload(w, "apps/v1", "StatefulSet", s.App, s, owner: null, replicas, extraLabels: null));
            for (var i = 0; i < replicas; i++)
            {
                yield return Pod(s, $"{s.App}-{i}", sts, "Running", i);
            }
        }

        private IEnumerable<ReadOnlyMemory<byte>> DaemonSet(Shape s, int nodes)
        {
            var ds = new Owner("apps/v1", "DaemonSet", s.App, Uid());
            yield return Emit("DaemonSet", w => WriteWorkload(w, "apps/v1", "DaemonSet", s.App, s, owner: null, nodes, extraLabels: null));
            for (var i = 0; i < nodes; i++)
            {
                yield return Pod(s, $"{s.App}-{Suffix(5)}", ds, "Running", i);
            }
        }

        private IEnumerable<ReadOnlyMemory<byte>> CronJob(Shape s, int runs)
        {
            var cronJob = new Owner("batch/v1", "CronJob", s.App, Uid());
            yield return Emit("CronJob", w => WriteWorkload(w, "batch/v1", "CronJob", s.App, s, owner: null, 1, extraLabels: null));
            for (var i = 0; i < runs; i++)
            {
                var job = new Owner("batch/v1", "Job", $"{s.App}-{29_000_000 + i * 60}", Uid());
                yield return Emit("Job", w => WriteWorkload(w, "batch/v1", "Job", job.Name, s, cronJob, 1, ("job-name", job.Name)));
                // Finished runs: not live, so the CronJob is judged on its template, which is the same spec.
                yield return Pod(s, $"{job.Name}-{Suffix(5)}", job, "Succeeded", i);
            }
        }

        private IEnumerable<ReadOnlyMemory<byte>> Bare(Shape s)
        {
            yield return Pod(s, s.App, owner: null, "Running", 0);
        }

        private ReadOnlyMemory<byte> Pod(Shape s, string name, Owner? owner, string phase, int ordinal)
        {
            _pods++;
            return Emit("Pod", w => WritePod(w, s, name, owner, phase, ordinal));
        }

        // ---- writers ----

        private static void WriteNamespace(Utf8JsonWriter w, string ns, string team)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "Namespace");
            w.WriteStartObject("metadata");
            w.WriteString("name", ns);
            w.WriteStartObject("labels");
            w.WriteString("kubernetes.io/metadata.name", ns);
            w.WriteString("team", team);
            w.WriteString("environment", "production");
            w.WriteString("pod-security.kubernetes.io/warn", "restricted");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("spec");
            w.WriteStartArray("finalizers");
            w.WriteStringValue("kubernetes");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        private static void WriteServiceAccount(Utf8JsonWriter w, string ns, string name)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "ServiceAccount");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteString("namespace", ns);
            w.WriteEndObject();
            if (name == "default")
            {
                w.WriteBoolean("automountServiceAccountToken", false);
            }
            w.WriteEndObject();
        }

        private static void WriteRole(Utf8JsonWriter w, string ns, string name, string[] resources, string[] verbs)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "rbac.authorization.k8s.io/v1");
            w.WriteString("kind", "Role");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteString("namespace", ns);
            w.WriteEndObject();
            w.WriteStartArray("rules");
            w.WriteStartObject();
            StringArray(w, "apiGroups", resources.Contains("deployments") ? ["", "apps"] : [""]);
            StringArray(w, "resources", resources);
            StringArray(w, "verbs", verbs);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void WriteRoleBinding(Utf8JsonWriter w, string ns, string name, string roleKind, string role, string saNamespace, string sa)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "rbac.authorization.k8s.io/v1");
            w.WriteString("kind", "RoleBinding");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteString("namespace", ns);
            w.WriteEndObject();
            RoleRef(w, roleKind, role);
            w.WriteStartArray("subjects");
            w.WriteStartObject();
            w.WriteString("kind", "ServiceAccount");
            w.WriteString("name", sa);
            w.WriteString("namespace", saNamespace);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void WriteClusterRoleBinding(Utf8JsonWriter w, string name, string role, string subjectKind, string subject, string subjectNs)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "rbac.authorization.k8s.io/v1");
            w.WriteString("kind", "ClusterRoleBinding");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteEndObject();
            RoleRef(w, "ClusterRole", role);
            w.WriteStartArray("subjects");
            w.WriteStartObject();
            w.WriteString("kind", subjectKind);
            w.WriteString("name", subject);
            if (subjectKind == "ServiceAccount")
            {
                w.WriteString("namespace", subjectNs);
            }
            else
            {
                w.WriteString("apiGroup", "rbac.authorization.k8s.io");
            }
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void RoleRef(Utf8JsonWriter w, string kind, string name)
        {
            w.WriteStartObject("roleRef");
            w.WriteString("apiGroup", "rbac.authorization.k8s.io");
            w.WriteString("kind", kind);
            w.WriteString("name", name);
            w.WriteEndObject();
        }

        private static void WriteNetworkPolicy(Utf8JsonWriter w, string ns, string name, string? app)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "networking.k8s.io/v1");
            w.WriteString("kind", "NetworkPolicy");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteString("namespace", ns);
            w.WriteEndObject();
            w.WriteStartObject("spec");
            w.WriteStartObject("podSelector");
            if (app is not null)
            {
                w.WriteStartObject("matchLabels");
                w.WriteString("app.kubernetes.io/component", app);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            if (app is null)
            {
                StringArray(w, "policyTypes", ["Ingress", "Egress"]);
            }
            else
            {
                StringArray(w, "policyTypes", ["Ingress"]);
                w.WriteStartArray("ingress");
                w.WriteStartObject();
                w.WriteStartArray("from");
                w.WriteStartObject();
                w.WriteStartObject("namespaceSelector");
                w.WriteStartObject("matchLabels");
                w.WriteString("kubernetes.io/metadata.name", "ingress-nginx");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartArray("ports");
                w.WriteStartObject();
                w.WriteString("protocol", "TCP");
                w.WriteNumber("port", 8080);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }

        /// <summary>Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob around the shape's pod template.</summary>
        private static void WriteWorkload(Utf8JsonWriter w, string apiVersion, string kind, string name, Shape s, Owner? owner, int replicas, (string Key, string Value)? extraLabels)
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", apiVersion);
            w.WriteString("kind", kind);
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteString("namespace", s.Namespace);
            Labels(w, s, extraLabels);
            w.WriteStartObject("annotations");
            if (owner is null)
            {
                w.WriteString("kubectl.kubernetes.io/last-applied-configuration", LastApplied(apiVersion, kind, name, s, replicas));
                w.WriteString("meta.helm.sh/release-name", s.App);
                w.WriteString("meta.helm.sh/release-namespace", s.Namespace);
            }
            else
            {
                w.WriteString("deployment.kubernetes.io/revision", "3");
            }
            w.WriteEndObject();
            if (owner is not null)
            {
                OwnerReference(w, owner);
            }
            w.WriteNumber("generation", 3);
            w.WriteEndObject();

            w.WriteStartObject("spec");
            switch (kind)
            {
                case "CronJob":
                    w.WriteString("schedule", "*/30 * * * *");
                    w.WriteString("concurrencyPolicy", "Forbid");
                    w.WriteNumber("successfulJobsHistoryLimit", 3);
                    w.WriteNumber("failedJobsHistoryLimit", 1);
                    w.WriteBoolean("suspend", false);
                    w.WriteStartObject("jobTemplate");
                    w.WriteStartObject("spec");
                    w.WriteNumber("backoffLimit", 6);
                    Template(w, s, extraLabels, restartPolicy: "OnFailure");
                    w.WriteEndObject();
                    w.WriteEndObject();
                    break;
                case "Job":
                    w.WriteNumber("parallelism", 1);
                    w.WriteNumber("completions", 1);
                    w.WriteNumber("backoffLimit", 6);
                    w.WriteString("completionMode", "NonIndexed");
                    Selector(w, s, extraLabels);
                    Template(w, s, extraLabels, restartPolicy: "OnFailure");
                    break;
                default:
                    if (kind != "DaemonSet")
                    {
                        w.WriteNumber("replicas", replicas);
                    }
                    w.WriteNumber("revisionHistoryLimit", 10);
                    Selector(w, s, extraLabels);
                    if (kind == "StatefulSet")
                    {
                        w.WriteString("serviceName", s.App);
                        w.WriteString("podManagementPolicy", "OrderedReady");
                    }
                    if (kind is "Deployment" or "DaemonSet" or "StatefulSet")
                    {
                        w.WriteStartObject(kind == "Deployment" ? "strategy" : "updateStrategy");
                        w.WriteString("type", "RollingUpdate");
                        w.WriteStartObject("rollingUpdate");
                        if (kind == "Deployment")
                        {
                            w.WriteString("maxSurge", "25%");
                        }
                        w.WriteString("maxUnavailable", kind == "StatefulSet" ? "1" : "25%");
                        w.WriteEndObject();
                        w.WriteEndObject();
                    }
                    Template(w, s, extraLabels, restartPolicy: "Always");
                    break;
            }
            w.WriteEndObject();

            w.WriteStartObject("status");
            w.WriteNumber("observedGeneration", 3);
            switch (kind)
            {
                case "CronJob":
                    w.WriteString("lastScheduleTime", Time(3600));
                    w.WriteString("lastSuccessfulTime", Time(3620));
                    break;
                case "Job":
                    w.WriteString("startTime", Time(3600));
                    w.WriteString("completionTime", Time(3620));
                    w.WriteNumber("succeeded", 1);
                    w.WriteNumber("ready", 0);
                    break;
                case "DaemonSet":
                    w.WriteNumber("currentNumberScheduled", replicas);
                    w.WriteNumber("desiredNumberScheduled", replicas);
                    w.WriteNumber("numberAvailable", replicas);
                    w.WriteNumber("numberReady", replicas);
                    w.WriteNumber("updatedNumberScheduled", replicas);
                    w.WriteNumber("numberMisscheduled", 0);
                    break;
                default:
                    w.WriteNumber("replicas", replicas);
                    w.WriteNumber("readyReplicas", replicas);
                    w.WriteNumber("availableReplicas", replicas);
                    if (kind != "ReplicaSet")
                    {
                        w.WriteNumber("updatedReplicas", replicas);
                    }
                    break;
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }

        private static void Selector(Utf8JsonWriter w, Shape s, (string Key, string Value)? extraLabels)
        {
            w.WriteStartObject("selector");
            w.WriteStartObject("matchLabels");
            w.WriteString("app.kubernetes.io/name", s.App);
            w.WriteString("app.kubernetes.io/instance", s.App);
            if (extraLabels is { } e)
            {
                w.WriteString(e.Key, e.Value);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }

        private static void Template(Utf8JsonWriter w, Shape s, (string Key, string Value)? extraLabels, string restartPolicy)
        {
            w.WriteStartObject("template");
            w.WriteStartObject("metadata");
            Labels(w, s, extraLabels);
            PodAnnotations(w, s);
            w.WriteEndObject();
            PodSpec(w, s, nodeName: null, hostname: null, restartPolicy);
            w.WriteEndObject();
        }

        private static void Labels(Utf8JsonWriter w, Shape s, (string Key, string Value)? extra)
        {
            w.WriteStartObject("labels");
            w.WriteString("app", s.App);
            w.WriteString("app.kubernetes.io/name", s.App);
            w.WriteString("app.kubernetes.io/instance", s.App);
            w.WriteString("app.kubernetes.io/version", s.Version);
            w.WriteString("app.kubernetes.io/component", s.App[..s.App.LastIndexOf('-')]);
            w.WriteString("app.kubernetes.io/part-of", s.Team);
            w.WriteString("app.kubernetes.io/managed-by", "Helm");
            w.WriteString("team", s.Team);
            if (extra is { } e)
            {
                w.WriteString(e.Key, e.Value);
            }
            w.WriteEndObject();
        }

        private static void PodAnnotations(Utf8JsonWriter w, Shape s)
        {
            w.WriteStartObject("annotations");
            w.WriteString("checksum/config", s.ConfigChecksum);
            w.WriteString("prometheus.io/scrape", "true");
            w.WriteString("prometheus.io/port", "9090");
            w.WriteString("prometheus.io/path", "/metrics");
            w.WriteString("kubectl.kubernetes.io/default-container", "app");
            w.WriteEndObject();
        }

        public void WritePod(Utf8JsonWriter w, Shape s, string name, Owner? owner, string phase, int ordinal)
        {
            var podExtra = owner?.Kind switch
            {
                "ReplicaSet" => ("pod-template-hash", s.Hash),
                "StatefulSet" => ("statefulset.kubernetes.io/pod-name", name),
                "DaemonSet" => ("controller-revision-hash", s.Hash[..8]),
                "Job" => ("job-name", owner.Name),
                _ => ((string, string)?)null,
            };
            var node = $"node-{_rng.Next(500):D3}";
            var ip = $"10.{_rng.Next(256)}.{_rng.Next(256)}.{_rng.Next(1, 255)}";
            var started = 600 + ordinal * 7;

            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "Pod");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            if (owner is not null && owner.Kind != "StatefulSet")
            {
                w.WriteString("generateName", name[..(name.LastIndexOf('-') + 1)]);
            }
            w.WriteString("namespace", s.Namespace);
            Labels(w, s, podExtra);
            w.WriteStartObject("annotations");
            w.WriteString("kubectl.kubernetes.io/last-applied-configuration", LastApplied("v1", "Pod", name, s, 1));
            w.WriteString("prometheus.io/scrape", "true");
            w.WriteEndObject();
            if (owner is not null)
            {
                OwnerReference(w, owner);
            }
            ManagedFields(w, s, owner);
            w.WriteEndObject();

            PodSpec(w, s, node, owner?.Kind == "StatefulSet" ? name : null, owner?.Kind == "Job" ? "OnFailure" : "Always");

            var running = phase == "Running";
            w.WriteStartObject("status");
            w.WriteString("phase", phase);
            w.WriteStartArray("conditions");
            foreach (var (type, status) in (ReadOnlySpan<(string, string)>)[("PodReadyToStartContainers", running ? "True" : "False"), ("Initialized", "True"), ("Ready", running ? "True" : "False"), ("ContainersReady", running ? "True" : "False"), ("PodScheduled", "True")])
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteString("status", status);
                w.WriteNull("lastProbeTime");
                w.WriteString("lastTransitionTime", Time(started));
                if (!running && type is "Ready" or "ContainersReady")
                {
                    w.WriteString("reason", "PodCompleted");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteString("hostIP", $"192.168.{_rng.Next(4)}.{_rng.Next(1, 255)}");
            w.WriteString("podIP", ip);
            w.WriteStartArray("podIPs");
            w.WriteStartObject();
            w.WriteString("ip", ip);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("startTime", Time(started));
            w.WriteStartArray("containerStatuses");
            ContainerStatus(w, "app", s.Image, s.ImageId, running, started);
            if (s.Sidecar)
            {
                ContainerStatus(w, "log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.1.4", "cr.fluentbit.io/fluent/fluent-bit@sha256:" + s.ConfigChecksum, running, started);
            }
            w.WriteEndArray();
            w.WriteString("qosClass", s.NoLimits ? "Burstable" : "Guaranteed");
            w.WriteEndObject();
            w.WriteEndObject();
        }

        private void ContainerStatus(Utf8JsonWriter w, string name, string image, string imageId, bool running, int started)
        {
            var id = "containerd://" + Hex(64);
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteStartObject("state");
            if (running)
            {
                w.WriteStartObject("running");
                w.WriteString("startedAt", Time(started + 2));
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject("terminated");
                w.WriteNumber("exitCode", 0);
                w.WriteString("reason", "Completed");
                w.WriteString("startedAt", Time(started + 2));
                w.WriteString("finishedAt", Time(started + 20));
                w.WriteString("containerID", id);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteBoolean("ready", running);
            w.WriteNumber("restartCount", 0);
            w.WriteString("image", image);
            w.WriteString("imageID", imageId);
            w.WriteString("containerID", id);
            w.WriteBoolean("started", running);
            w.WriteEndObject();
        }

        private static void OwnerReference(Utf8JsonWriter w, Owner owner)
        {
            w.WriteStartArray("ownerReferences");
            w.WriteStartObject();
            w.WriteString("apiVersion", owner.ApiVersion);
            w.WriteString("kind", owner.Kind);
            w.WriteString("name", owner.Name);
            w.WriteString("uid", owner.Uid);
            w.WriteBoolean("controller", true);
            w.WriteBoolean("blockOwnerDeletion", true);
            w.WriteEndObject();
            w.WriteEndArray();
        }

        private static void ManagedFields(Utf8JsonWriter w, Shape s, Owner? owner)
        {
            w.WriteStartArray("managedFields");
            w.WriteStartObject();
            w.WriteString("manager", owner is null ? "kubectl-client-side-apply" : "kube-controller-manager");
            w.WriteString("operation", "Update");
            w.WriteString("apiVersion", "v1");
            w.WriteString("time", Time(0));
            w.WriteString("fieldsType", "FieldsV1");
            w.WriteStartObject("fieldsV1");
            w.WriteStartObject("f:metadata");
            w.WriteStartObject("f:labels");
            w.WriteEndObject();
            if (owner is not null)
            {
                w.WriteStartObject("f:ownerReferences");
                w.WriteStartObject($"k:{{\"uid\":\"{owner.Uid}\"}}");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartObject("f:spec");
            w.WriteStartObject("f:containers");
            w.WriteStartObject("k:{\"name\":\"app\"}");
            foreach (var f in (string[])[".", "f:env", "f:image", "f:name", "f:ports", "f:resources", "f:securityContext"])
            {
                w.WriteStartObject(f);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            foreach (var f in (string[])["f:securityContext", "f:serviceAccountName", "f:volumes"])
            {
                w.WriteStartObject(f);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject();
            w.WriteString("manager", "kubelet");
            w.WriteString("operation", "Update");
            w.WriteString("apiVersion", "v1");
            w.WriteString("time", Time(630));
            w.WriteString("fieldsType", "FieldsV1");
            w.WriteStartObject("fieldsV1");
            w.WriteStartObject("f:status");
            foreach (var f in (string[])["f:conditions", "f:containerStatuses", "f:hostIP", "f:hostIPs", "f:phase", "f:podIP", "f:podIPs", "f:startTime"])
            {
                w.WriteStartObject(f);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("subresource", "status");
            w.WriteEndObject();
            w.WriteEndArray();
            _ = s;
        }

        private static void PodSpec(Utf8JsonWriter w, Shape s, string? nodeName, string? hostname, string restartPolicy)
        {
            w.WriteStartObject("spec");
            w.WriteStartArray("volumes");
            w.WriteStartObject();
            w.WriteString("name", "config");
            w.WriteStartObject("configMap");
            w.WriteString("name", s.App + "-config");
            w.WriteNumber("defaultMode", 420);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("name", "tmp");
            w.WriteStartObject("emptyDir");
            w.WriteString("sizeLimit", "256Mi");
            w.WriteEndObject();
            w.WriteEndObject();
            if (nodeName is not null)
            {
                // Admission adds the projected token volume to pods, not to templates.
                w.WriteStartObject();
                w.WriteString("name", s.TokenVolume);
                w.WriteStartObject("projected");
                w.WriteStartArray("sources");
                w.WriteStartObject();
                w.WriteStartObject("serviceAccountToken");
                w.WriteNumber("expirationSeconds", 3607);
                w.WriteString("path", "token");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteStartObject("configMap");
                w.WriteString("name", "kube-root-ca.crt");
                w.WriteStartArray("items");
                w.WriteStartObject();
                w.WriteString("key", "ca.crt");
                w.WriteString("path", "ca.crt");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteStartObject("downwardAPI");
                w.WriteStartArray("items");
                w.WriteStartObject();
                w.WriteStartObject("fieldRef");
                w.WriteString("apiVersion", "v1");
                w.WriteString("fieldPath", "metadata.namespace");
                w.WriteEndObject();
                w.WriteString("path", "namespace");
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteNumber("defaultMode", 420);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();

            if (s.Init)
            {
                w.WriteStartArray("initContainers");
                w.WriteStartObject();
                w.WriteString("name", "wait-for-db");
                w.WriteString("image", "docker.io/library/busybox:1.36.1");
                w.WriteStartArray("command");
                w.WriteStringValue("sh");
                w.WriteStringValue("-c");
                w.WriteStringValue("until nc -z db 5432; do sleep 1; done");
                w.WriteEndArray();
                Resources(w, limits: !s.NoLimits, cpu: "50m", memory: "32Mi");
                ContainerSecurity(w, s, runAsUser: null, privileged: false);
                w.WriteString("terminationMessagePath", "/dev/termination-log");
                w.WriteString("terminationMessagePolicy", "File");
                w.WriteString("imagePullPolicy", "IfNotPresent");
                w.WriteEndObject();
                w.WriteEndArray();
            }

            w.WriteStartArray("containers");
            w.WriteStartObject();
            w.WriteString("name", "app");
            w.WriteString("image", s.Image);
            w.WriteStartArray("ports");
            foreach (var (name, port) in (ReadOnlySpan<(string, int)>)[("http", s.Port), ("metrics", 9090)])
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteNumber("containerPort", port);
                w.WriteString("protocol", "TCP");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("env");
            foreach (var (name, value) in (ReadOnlySpan<(string, string)>)[("LOG_LEVEL", "info"), ("PORT", s.Port.ToString(CultureInfo.InvariantCulture))])
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("value", value);
                w.WriteEndObject();
            }
            foreach (var (name, path) in (ReadOnlySpan<(string, string)>)[("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")])
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteStartObject("valueFrom");
                w.WriteStartObject("fieldRef");
                w.WriteString("apiVersion", "v1");
                w.WriteString("fieldPath", path);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteStartObject();
            w.WriteString("name", "DB_PASSWORD");
            w.WriteStartObject("valueFrom");
            w.WriteStartObject("secretKeyRef");
            w.WriteString("name", s.App + "-db");
            w.WriteString("key", "password");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            Resources(w, limits: !s.NoLimits, cpu: "250m", memory: "256Mi");
            Probe(w, "livenessProbe", "/healthz", s.Port, 10);
            w.WriteStartArray("volumeMounts");
            Mount(w, "config", "/etc/app", readOnly: true);
            Mount(w, "tmp", "/tmp", readOnly: false);
            if (nodeName is not null)
            {
                Mount(w, s.TokenVolume, "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true);
            }
            w.WriteEndArray();
            w.WriteString("terminationMessagePath", "/dev/termination-log");
            w.WriteString("imagePullPolicy", "IfNotPresent");
            ContainerSecurity(w, s, runAsUser: s.Root && s.RootExplicit ? 0 : null, privileged: s.Privileged);
            w.WriteEndObject();

            if (s.Sidecar)
            {
                w.WriteStartObject();
                w.WriteString("name", "log-shipper");
                w.WriteString("image", "cr.fluentbit.io/fluent/fluent-bit:3.1.4");
                Resources(w, limits: !s.NoLimits, cpu: "50m", memory: "64Mi");
                w.WriteStartArray("volumeMounts");
                Mount(w, "tmp", "/var/log/app", readOnly: true);
                w.WriteEndArray();
                w.WriteString("terminationMessagePath", "/dev/termination-log");
                w.WriteString("terminationMessagePolicy", "File");
                w.WriteString("imagePullPolicy", "IfNotPresent");
                w.WriteStartObject("securityContext");
                w.WriteNumber("runAsUser", 1337);
                w.WriteBoolean("runAsNonRoot", true);
                w.WriteBoolean("allowPrivilegeEscalation", false);
                w.WriteBoolean("readOnlyRootFilesystem", true);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteString("restartPolicy", restartPolicy);
            w.WriteNumber("terminationGracePeriodSeconds", 30);
            w.WriteString("dnsPolicy", "ClusterFirst");
            w.WriteString("serviceAccountName", "app");
            w.WriteString("serviceAccount", "app");
            if (nodeName is not null)
            {
                w.WriteString("nodeName", nodeName);
            }
            if (hostname is not null)
            {
                w.WriteString("hostname", hostname);
                w.WriteString("subdomain", s.App);
            }
            w.WriteStartObject("securityContext");
            if (!s.Root)
            {
                w.WriteBoolean("runAsNonRoot", true);
                w.WriteNumber("runAsUser", 10001);
                w.WriteNumber("runAsGroup", 10001);
            }
            w.WriteNumber("fsGroup", 10001);
            w.WriteStartObject("seccompProfile");
            w.WriteString("type", "RuntimeDefault");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("schedulerName", "default-scheduler");
            w.WriteStartArray("tolerations");
            foreach (var key in (string[])["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"])
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                w.WriteString("operator", "Exists");
                w.WriteString("effect", "NoExecute");
                w.WriteNumber("tolerationSeconds", 300);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (nodeName is not null)
            {
                w.WriteNumber("priority", 0);
            }
            w.WriteBoolean("enableServiceLinks", true);
            w.WriteString("preemptionPolicy", "PreemptLowerPriority");
            w.WriteEndObject();
        }

        private static void ContainerSecurity(Utf8JsonWriter w, Shape s, long? runAsUser, bool privileged)
        {
            w.WriteStartObject("securityContext");
            if (runAsUser is { } uid)
            {
                w.WriteNumber("runAsUser", uid);
            }
            if (privileged)
            {
                w.WriteBoolean("privileged", true);
            }
            else
            {
                w.WriteBoolean("allowPrivilegeEscalation", false);
                w.WriteBoolean("readOnlyRootFilesystem", true);
                w.WriteStartObject("capabilities");
                StringArray(w, "drop", ["ALL"]);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            _ = s;
        }

        private static void Resources(Utf8JsonWriter w, bool limits, string cpu, string memory)
        {
            w.WriteStartObject("resources");
            w.WriteStartObject("requests");
            w.WriteString("cpu", cpu);
            w.WriteString("memory", memory);
            w.WriteEndObject();
            if (limits)
            {
                w.WriteStartObject("limits");
                w.WriteString("cpu", cpu);
                w.WriteString("memory", memory);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }

        private static void Probe(Utf8JsonWriter w, string name, string path, int port, int period)
        {
            w.WriteStartObject(name);
            w.WriteStartObject("httpGet");
            w.WriteString("path", path);
            w.WriteNumber("port", port);
            w.WriteString("scheme", "HTTP");
            w.WriteEndObject();
            w.WriteNumber("initialDelaySeconds", 5);
            w.WriteNumber("timeoutSeconds", 1);
            w.WriteNumber("periodSeconds", period);
            w.WriteNumber("successThreshold", 1);
            w.WriteNumber("failureThreshold", 3);
            w.WriteEndObject();
        }

        private static void Mount(Utf8JsonWriter w, string name, string path, bool readOnly)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("mountPath", path);
            if (readOnly)
            {
                w.WriteBoolean("readOnly", true);
            }
            w.WriteEndObject();
        }

        private static void StringArray(Utf8JsonWriter w, string name, string[] values)
        {
            w.WriteStartArray(name);
            foreach (var v in values)
            {
                w.WriteStringValue(v);
            }
            w.WriteEndArray();
        }

        /// <summary>What `kubectl apply` leaves behind: the applied manifest, compact, as one string.</summary>
        private static string LastApplied(string apiVersion, string kind, string name, Shape s, int replicas)
        {
            var limits = s.NoLimits ? "" : ",\"limits\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"}";
            var container = $"{{\"image\":\"{s.Image}\",\"name\":\"app\",\"resources\":{{{limits.TrimStart(',')}}}}}";
            var podSpec = $"{{\"serviceAccountName\":\"app\",\"containers\":[{container}]}}";
            var labels = $"{{\"app\":\"{s.App}\",\"team\":\"{s.Team}\"}}";
            var spec = kind == "Pod"
                ? podSpec
                : $"{{\"replicas\":{replicas},\"selector\":{{\"matchLabels\":{{\"app.kubernetes.io/name\":\"{s.App}\"}}}},\"template\":{{\"metadata\":{{\"labels\":{labels}}},\"spec\":{podSpec}}}}}";
            return $"{{\"apiVersion\":\"{apiVersion}\",\"kind\":\"{kind}\",\"metadata\":{{\"annotations\":{{}},\"labels\":{labels},\"name\":\"{name}\",\"namespace\":\"{s.Namespace}\"}},\"spec\":{spec}}}\n";
        }

        private static string Time(int secondsAfterEpoch) =>
            Epoch.AddSeconds(secondsAfterEpoch).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        private string Uid()
        {
            Span<byte> bytes = stackalloc byte[16];
            _rng.NextBytes(bytes);
            return new Guid(bytes).ToString();
        }

        private string Suffix(int length) => string.Create(length, _rng, static (span, rng) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[rng.Next(Alphabet.Length)];
            }
        });

        private string Hex(int length) => string.Create(length, _rng, static (span, rng) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = "0123456789abcdef"[rng.Next(16)];
            }
        });
    }
}
