using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace PostureExporter.Engine.Model;

/// <summary>
/// The cluster as far as the controls care: projections by key, plus the indexes that tell which subjects
/// a change affects. Not thread-safe: one writer (the engine loop) owns it.
/// </summary>
public sealed class ClusterModel
{
    private const int MaxOwnerDepth = 8;

    // Every object, found by its key: a set of the objects themselves rather than a key -> object dictionary, so
    // that an entry is 16 bytes instead of 40 (the key is not copied beside the object that holds it).
    private readonly HashSet<ModelObject> _objects = new(ByKey.Instance);
    private readonly HashSet<ModelObject>.AlternateLookup<ObjectKey> _byKey;
    // Objects by kind and namespace, for the kinds that are looked up that way (see IndexedByNamespace).
    private readonly Dictionary<(string Kind, string Namespace), Dictionary<string, ModelObject>> _byNamespace = [];
    // An owner's key (present in the model or not) -> the objects whose controller it is. Most owners have a few
    // children, hence small reference sets rather than a HashSet of keys each.
    private readonly Dictionary<ObjectKey, RefSet<ModelObject>> _children = [];
    // Pod -> the group of its workload subject, and subject -> that group (the pods that resolve to it).
    private readonly Dictionary<PodInfo, PodGroup> _podSubject = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<ObjectKey, PodGroup> _subjectPods = [];
    private readonly Dictionary<string, HashSet<ObjectKey>> _workloadSubjectsByNamespace = [];
    private readonly Dictionary<ObjectKey, HashSet<ObjectKey>> _bindingsByRole = [];
    private readonly Dictionary<string, int> _grants = [];
    private readonly HashSet<ObjectKey> _apiServerPods = [];
    private readonly Dictionary<string, int> _kindCounts = [];
    // Identical pod specs (the replicas of a workload) are held once, with a count of their users.
    private readonly Dictionary<PodSpecInfo, (PodSpecInfo Shared, int Users)> _specs = [];
    // Every object of a namespace decodes its own copy of the namespace's name, every pod of a ReplicaSet its own
    // ownerReference: the model holds each once (what remains per pod is mostly its name).
    private readonly InternPool<string> _namespaceNames = new(StringComparer.Ordinal);
    private readonly InternPool<OwnerRef> _owners = new();
    private readonly InternPool<SecuritySettings> _securities = new();
    private readonly InternPool<string> _specStrings = new(StringComparer.Ordinal);
    private readonly InternPool<string[]> _nameLists = new(ListComparer.Instance);

    public ClusterModel() => _byKey = _objects.GetAlternateLookup<ObjectKey>();

    /// <summary>Objects are equal in <see cref="_objects"/> when their keys are, and are found by key.</summary>
    private sealed class ByKey : IEqualityComparer<ModelObject>, IAlternateEqualityComparer<ObjectKey, ModelObject>
    {
        public static readonly ByKey Instance = new();

        public bool Equals(ModelObject? x, ModelObject? y) => x?.Key == y?.Key;

        public int GetHashCode(ModelObject obj) => obj.Key.GetHashCode();

        public bool Equals(ObjectKey alternate, ModelObject other) => alternate == other.Key;

        public int GetHashCode(ObjectKey alternate) => alternate.GetHashCode();

        public ModelObject Create(ObjectKey alternate) => throw new NotSupportedException("objects are added whole, not made from a key");
    }

    /// <summary>The pods that resolve to one workload subject.</summary>
    private sealed class PodGroup(ObjectKey subject) : RefSet<PodInfo>
    {
        public ObjectKey Subject { get; } = subject;
    }

    /// <summary>
    /// Pods and workload objects are never looked up by namespace (only by key, owner or subject), and they are
    /// nearly all of the objects: keeping them out of the namespace index saves an entry per pod. Looking them up
    /// by kind or namespace anyway scans every object.
    /// </summary>
    private static bool IndexedByNamespace(string kind) => kind != Kinds.Pod && !Kinds.Workloads.Contains(kind);

    public int Count => _objects.Count;

    /// <summary>Objects of one kind in the model.</summary>
    public int CountOf(string kind) => _kindCounts.GetValueOrDefault(kind);

    /// <summary>Keys of every object of one kind (for reconciling after a relist).</summary>
    public IEnumerable<ObjectKey> KeysOf(string kind) => IndexedByNamespace(kind)
        ? _byNamespace.Where(kv => kv.Key.Kind == kind).SelectMany(kv => kv.Value.Values.Select(o => o.Key))
        : _objects.Where(o => o.Key.Kind == kind).Select(o => o.Key);

    public IEnumerable<ModelObject> Objects => _objects;

    public ModelObject? Get(ObjectKey key) => _byKey.TryGetValue(key, out var obj) ? obj : null;

    public IEnumerable<T> InNamespace<T>(string kind, string ns) where T : ModelObject =>
        IndexedByNamespace(kind)
            ? _byNamespace.TryGetValue((kind, ns), out var d) ? d.Values.Cast<T>() : []
            : _objects.Where(o => o.Key.Kind == kind && o.Key.Namespace == ns).Cast<T>();

    public IEnumerable<T> OfKind<T>(string kind) where T : ModelObject => IndexedByNamespace(kind)
        ? _byNamespace.Where(kv => kv.Key.Kind == kind).SelectMany(kv => kv.Value.Values).Cast<T>()
        : _objects.Where(o => o.Key.Kind == kind).Cast<T>();

    public NamespaceInfo? Namespace(string name) => Get(new ObjectKey(Kinds.Namespace, "", name)) as NamespaceInfo;

    public IReadOnlyCollection<ObjectKey> ApiServerPods => _apiServerPods;

    public IEnumerable<BindingInfo> BindingsOf(ObjectKey role) =>
        _bindingsByRole.TryGetValue(role, out var keys) ? keys.Select(k => (BindingInfo)Get(k)!) : [];

    /// <summary>
    /// Whether any RoleBinding or ClusterRoleBinding names this ServiceAccount (as a ServiceAccount subject or as the
    /// user system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;), or the groups system:serviceaccounts or
    /// system:serviceaccounts:&lt;namespace&gt;.
    /// </summary>
    public bool IsServiceAccountBound(string ns, string name) =>
        _grants.GetValueOrDefault(SaGrantKey(ns, name)) > 0
        || _grants.GetValueOrDefault("group:system:serviceaccounts") > 0
        || _grants.GetValueOrDefault("group:system:serviceaccounts:" + ns) > 0;

    /// <summary>Adds or replaces an object and returns the subjects whose verdicts may have changed.</summary>
    public HashSet<SubjectRef> Upsert(ModelObject obj)
    {
        _mutations++;
        obj = Share(obj);
        var dirty = new HashSet<SubjectRef>();
        var old = Get(obj.Key);
        if (old is not null)
        {
            Unindex(old, dirty);
            _objects.Remove(old);
        }
        else
        {
            _kindCounts[obj.Key.Kind] = _kindCounts.GetValueOrDefault(obj.Key.Kind) + 1;
        }
        _objects.Add(obj);
        Index(obj, dirty);
        return dirty;
    }

    /// <summary>Removes an object (a no-op when absent) and returns the subjects whose verdicts may have changed.</summary>
    public HashSet<SubjectRef> Delete(ObjectKey key)
    {
        _mutations++;
        var dirty = new HashSet<SubjectRef>();
        if (Get(key) is { } old)
        {
            _objects.Remove(old);
            _kindCounts[key.Kind]--;
            Unindex(old, dirty);
            AfterRemove(old, dirty);
        }
        return dirty;
    }

    private void Index(ModelObject obj, HashSet<SubjectRef> dirty)
    {
        var k = obj.Key;
        if (IndexedByNamespace(k.Kind))
        {
            var bucketKey = (k.Kind, k.Namespace);
            if (!_byNamespace.TryGetValue(bucketKey, out var bucket))
            {
                _byNamespace[bucketKey] = bucket = [];
            }
            bucket[k.Name] = obj;
        }

        switch (obj)
        {
            case PodInfo pod:
                AddChild(pod);
                if (pod.IsApiServer)
                {
                    _apiServerPods.Add(k);
                    dirty.Add(new SubjectRef(SubjectScope.ApiServer, k));
                }
                ResolvePod(pod, dirty);
                break;
            case WorkloadInfo w:
                AddChild(w);
                RefreshWorkloadSubject(k, dirty);
                ResolveDescendants(k, dirty, 0);
                break;
            case BindingInfo b:
                dirty.Add(new SubjectRef(SubjectScope.Binding, k));
                dirty.Add(new SubjectRef(SubjectScope.Role, b.RoleKey));
                Add(_bindingsByRole, b.RoleKey, k);
                ChangeGrants(b, +1, dirty);
                break;
            default:
                DirtyPlain(obj, dirty);
                break;
        }
    }

    /// <summary>Kinds whose add, change and removal touch the same subjects, whatever the object holds.</summary>
    private void DirtyPlain(ModelObject obj, HashSet<SubjectRef> dirty)
    {
        var k = obj.Key;
        switch (obj)
        {
            case NamespaceInfo:
                dirty.Add(new SubjectRef(SubjectScope.Namespace, k));
                break;
            case NetworkPolicyInfo:
                dirty.Add(new SubjectRef(SubjectScope.Namespace, new ObjectKey(Kinds.Namespace, "", k.Namespace)));
                break;
            case LimitRangeInfo or ServiceAccountInfo:
                DirtyWorkloadsIn(k.Namespace, dirty);
                break;
            case RoleInfo:
                dirty.Add(new SubjectRef(SubjectScope.Role, k));
                break;
            case IngressInfo:
                dirty.Add(new SubjectRef(SubjectScope.Ingress, k));
                break;
            case NodeInfo:
                dirty.Add(new SubjectRef(SubjectScope.Node, k));
                break;
        }
    }

    /// <summary>
    /// The object as the model holds it: with the shared instances of its namespace's name, its ownerReference and
    /// its pod spec. Each is counted, and released by <see cref="Unindex"/> when the object is replaced or removed.
    /// </summary>
    private ModelObject Share(ModelObject obj)
    {
        var ns = obj.Key.Namespace.Length == 0 ? obj.Key.Namespace : _namespaceNames.Acquire(obj.Key.Namespace);
        var owner = obj.Controller is { } c ? _owners.Acquire(c) : null;
        if (!ReferenceEquals(ns, obj.Key.Namespace) || !ReferenceEquals(owner, obj.Controller))
        {
            obj = obj with { Key = obj.Key with { Namespace = ns }, Controller = owner };
        }
        return obj switch
        {
            PodInfo p => p with { Spec = Acquire(p.Spec) },
            WorkloadInfo { Template: { } t } w => w with { Template = Acquire(t) },
            _ => obj,
        };
    }

    private PodSpecInfo Acquire(PodSpecInfo spec)
    {
        if (_specs.TryGetValue(spec, out var entry))
        {
            _specs[spec] = (entry.Shared, entry.Users + 1);
            return entry.Shared;
        }
        spec = ShareParts(spec);
        _specs[spec] = (spec, 1);
        return spec;
    }

    private void Release(PodSpecInfo? spec)
    {
        if (spec is not null && _specs.TryGetValue(spec, out var entry))
        {
            if (entry.Users <= 1)
            {
                _specs.Remove(spec);
                ReleaseParts(entry.Shared);
            }
            else
            {
                _specs[spec] = (entry.Shared, entry.Users - 1);
            }
        }
    }

    /// <summary>
    /// Distinct specs (about one per workload: they differ in images) still mostly have the same parts: the same
    /// few securityContexts, container names, ServiceAccount names and lists of literal env names. A new distinct
    /// spec takes the shared instances of those, given back by <see cref="ReleaseParts"/> when the spec goes.
    /// </summary>
    private PodSpecInfo ShareParts(PodSpecInfo spec)
    {
        var containers = spec.Containers.IsDefault ? spec.Containers : spec.Containers.Select(c => c with
        {
            Name = _specStrings.Acquire(c.Name),
            Security = _securities.Acquire(c.Security),
            LiteralEnvNames = ShareList(c.LiteralEnvNames),
        }).ToImmutableArray();
        return spec with
        {
            ServiceAccountName = _specStrings.Acquire(spec.ServiceAccountName),
            PodSecurity = _securities.Acquire(spec.PodSecurity),
            Containers = containers,
        };
    }

    private void ReleaseParts(PodSpecInfo spec)
    {
        _specStrings.Release(spec.ServiceAccountName);
        _securities.Release(spec.PodSecurity);
        foreach (var c in spec.Containers.IsDefault ? [] : spec.Containers)
        {
            _specStrings.Release(c.Name);
            _securities.Release(c.Security);
            if (!c.LiteralEnvNames.IsDefaultOrEmpty)
            {
                _nameLists.Release(ImmutableCollectionsMarshal.AsArray(c.LiteralEnvNames)!);
            }
        }
    }

    /// <summary>The shared array of an equal list (an ImmutableArray's array is never written, so it can be shared).</summary>
    private ImmutableArray<string> ShareList(ImmutableArray<string> list) => list.IsDefaultOrEmpty
        ? list
        : ImmutableCollectionsMarshal.AsImmutableArray(_nameLists.Acquire(ImmutableCollectionsMarshal.AsArray(list)!));

    /// <summary>String arrays equal by their items, in order.</summary>
    private sealed class ListComparer : IEqualityComparer<string[]>
    {
        public static readonly ListComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x.AsSpan().SequenceEqual(y.AsSpan());

        public int GetHashCode(string[] list)
        {
            var h = new HashCode();
            foreach (var item in list)
            {
                h.Add(item, StringComparer.Ordinal);
            }
            return h.ToHashCode();
        }
    }

    /// <summary>
    /// Gives back the spare capacity of the model's tables. Worth it once, after the initial lists: the tables grew
    /// by doubling while they filled, and up to half of each is empty then (at 100k pods several MB). Under churn at
    /// a steady size the tables reuse their freed entries and stay trimmed; a cluster that grows regains the slack.
    /// </summary>
    public void TrimExcess()
    {
        _objects.TrimExcess();
        _children.TrimExcess();
        _podSubject.TrimExcess();
        _subjectPods.TrimExcess();
        _workloadSubjectsByNamespace.TrimExcess();
        foreach (var subjects in _workloadSubjectsByNamespace.Values)
        {
            subjects.TrimExcess();
        }
        _specs.TrimExcess();
        _namespaceNames.TrimExcess();
        _owners.TrimExcess();
        _securities.TrimExcess();
        _specStrings.TrimExcess();
        _nameLists.TrimExcess();
    }

    /// <summary>Distinct pod specs held (for tests and diagnostics).</summary>
    public int DistinctSpecs => _specs.Count;

    /// <summary>Distinct namespace names and ownerReferences held (for tests and diagnostics).</summary>
    internal (int NamespaceNames, int Owners, int SpecParts) Pooled =>
        (_namespaceNames.Count, _owners.Count, _securities.Count + _specStrings.Count + _nameLists.Count);

    private void Unindex(ModelObject obj, HashSet<SubjectRef> dirty)
    {
        var k = obj.Key;
        Release(obj switch
        {
            PodInfo p => p.Spec,
            WorkloadInfo w => w.Template,
            _ => null,
        });
        if (k.Namespace.Length > 0)
        {
            _namespaceNames.Release(k.Namespace);
        }
        if (obj.Controller is { } owner)
        {
            _owners.Release(owner);
        }
        if (IndexedByNamespace(k.Kind) && _byNamespace.TryGetValue((k.Kind, k.Namespace), out var bucket))
        {
            bucket.Remove(k.Name);
            if (bucket.Count == 0)
            {
                _byNamespace.Remove((k.Kind, k.Namespace));
            }
        }
        switch (obj)
        {
            case PodInfo pod:
                RemoveChild(pod);
                if (_apiServerPods.Remove(k))
                {
                    dirty.Add(new SubjectRef(SubjectScope.ApiServer, k));
                }
                if (_podSubject.Remove(pod, out var group))
                {
                    Leave(group, pod);
                    RefreshWorkloadSubject(group.Subject, dirty);
                }
                break;
            case WorkloadInfo w:
                RemoveChild(w);
                break;
            case BindingInfo b:
                dirty.Add(new SubjectRef(SubjectScope.Binding, k));
                dirty.Add(new SubjectRef(SubjectScope.Role, b.RoleKey));
                Remove(_bindingsByRole, b.RoleKey, k);
                ChangeGrants(b, -1, dirty);
                break;
            default:
                DirtyPlain(obj, dirty);
                break;
        }
    }

    /// <summary>Work that needs the object gone from the map (a replaced object is re-indexed instead).</summary>
    private void AfterRemove(ModelObject old, HashSet<SubjectRef> dirty)
    {
        if (old is WorkloadInfo)
        {
            RefreshWorkloadSubject(old.Key, dirty);
            ResolveDescendants(old.Key, dirty, 0);
        }
    }

    private static ObjectKey OwnerKey(ModelObject child) =>
        new(child.Controller!.Kind, child.Key.Namespace, child.Controller.Name);

    private void AddChild(ModelObject child)
    {
        if (child.Controller is not null)
        {
            var owner = OwnerKey(child);
            if (!_children.TryGetValue(owner, out var children))
            {
                _children[owner] = children = new RefSet<ModelObject>();
            }
            children.Add(child);
        }
    }

    private void RemoveChild(ModelObject child)
    {
        if (child.Controller is not null)
        {
            var owner = OwnerKey(child);
            if (_children.TryGetValue(owner, out var children) && children.Remove(child) && children.Count == 0)
            {
                _children.Remove(owner);
            }
        }
    }

    /// <summary>
    /// Follows controller ownerReferences up to the object a person fixes. A pod owned by a Node (a static or
    /// mirror pod) is its own subject; an owner missing from the model is the subject as referenced.
    /// </summary>
    public ObjectKey TopOwner(ModelObject obj)
    {
        var current = obj;
        for (var depth = 0; depth < MaxOwnerDepth; depth++)
        {
            var owner = current.Controller;
            if (!Projector.HasWorkloadController(current))
            {
                // No owner, a Node (static/mirror pod), or an owner of a kind the model does not watch (an
                // operator's custom resource): the object itself is what a person fixes and annotates.
                return current.Key;
            }
            var ownerKey = new ObjectKey(owner!.Kind, current.Key.Namespace, owner.Name);
            if (!_byKey.TryGetValue(ownerKey, out var next))
            {
                return ownerKey;
            }
            current = next;
        }
        return current.Key;
    }

    /// <summary>(Re)resolves a pod held by the model to its workload subject.</summary>
    private void ResolvePod(PodInfo pod, HashSet<SubjectRef> dirty)
    {
        if (_podSubject.Remove(pod, out var previous))
        {
            Leave(previous, pod);
            RefreshWorkloadSubject(previous.Subject, dirty);
        }
        if (ReferenceEquals(Get(pod.Key), pod))
        {
            var subject = TopOwner(pod);
            if (!_subjectPods.TryGetValue(subject, out var group))
            {
                _subjectPods[subject] = group = new PodGroup(subject);
            }
            group.Add(pod);
            _podSubject[pod] = group;
            RefreshWorkloadSubject(subject, dirty);
        }
    }

    private void Leave(PodGroup group, PodInfo pod)
    {
        if (group.Remove(pod) && group.Count == 0)
        {
            _subjectPods.Remove(group.Subject);
        }
    }

    private void ResolveDescendants(ObjectKey owner, HashSet<SubjectRef> dirty, int depth)
    {
        if (depth >= MaxOwnerDepth || !_children.TryGetValue(owner, out var children))
        {
            return;
        }
        foreach (var child in children.ToList())
        {
            if (child is PodInfo pod)
            {
                ResolvePod(pod, dirty);
            }
            else
            {
                RefreshWorkloadSubject(child.Key, dirty);
                ResolveDescendants(child.Key, dirty, depth + 1);
            }
        }
    }

    /// <summary>A workload subject exists while a pod resolves to it or it is a top-level workload object.</summary>
    private void RefreshWorkloadSubject(ObjectKey key, HashSet<SubjectRef> dirty)
    {
        dirty.Add(new SubjectRef(SubjectScope.Workload, key));
        var exists = _subjectPods.ContainsKey(key)
            || (Get(key) is WorkloadInfo o && !Projector.HasWorkloadController(o));
        if (exists)
        {
            Add(_workloadSubjectsByNamespace, key.Namespace, key);
        }
        else
        {
            Remove(_workloadSubjectsByNamespace, key.Namespace, key);
        }
    }

    private void DirtyWorkloadsIn(string ns, HashSet<SubjectRef> dirty)
    {
        if (_workloadSubjectsByNamespace.TryGetValue(ns, out var keys))
        {
            foreach (var k in keys)
            {
                dirty.Add(new SubjectRef(SubjectScope.Workload, k));
            }
        }
    }

    private static string SaGrantKey(string ns, string name) => $"sa:{ns}/{name}";

    /// <summary>The ServiceAccount a <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c> username stands for, or null.</summary>
    public static (string Namespace, string Name)? ServiceAccountUser(string user)
    {
        const string Prefix = "system:serviceaccount:";
        if (!user.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = user[Prefix.Length..].Split(':');
        return parts is [{ Length: > 0 } ns, { Length: > 0 } name] ? (ns, name) : null;
    }

    private void ChangeGrants(BindingInfo b, int delta, HashSet<SubjectRef> dirty)
    {
        foreach (var s in b.Subjects)
        {
            string key;
            if (s.Kind == "ServiceAccount")
            {
                key = SaGrantKey(s.Namespace, s.Name);
                DirtyWorkloadsIn(s.Namespace, dirty);
            }
            else if (s.Kind == "User" && ServiceAccountUser(s.Name) is ({ } saNamespace, { } saName))
            {
                // A ServiceAccount's username (system:serviceaccount:<ns>:<name>) names it as well as a ServiceAccount subject.
                key = SaGrantKey(saNamespace, saName);
                DirtyWorkloadsIn(saNamespace, dirty);
            }
            else if (s.Kind == "Group" && s.Name == "system:serviceaccounts")
            {
                key = "group:" + s.Name;
                foreach (var ns in _workloadSubjectsByNamespace.Keys)
                {
                    DirtyWorkloadsIn(ns, dirty);
                }
            }
            else if (s.Kind == "Group" && s.Name.StartsWith("system:serviceaccounts:", StringComparison.Ordinal))
            {
                key = "group:" + s.Name;
                DirtyWorkloadsIn(s.Name["system:serviceaccounts:".Length..], dirty);
            }
            else
            {
                continue;
            }
            var n = _grants.GetValueOrDefault(key) + delta;
            if (n <= 0)
            {
                _grants.Remove(key);
            }
            else
            {
                _grants[key] = n;
            }
        }
    }

    /// <summary>Every subject of every scope that exists now.</summary>
    public IEnumerable<SubjectRef> AllSubjects()
    {
        foreach (var keys in _workloadSubjectsByNamespace.Values)
        {
            foreach (var k in keys)
            {
                yield return new SubjectRef(SubjectScope.Workload, k);
            }
        }
        foreach (var o in _objects)
        {
            var scope = ScopeOf(o);
            if (scope is not null)
            {
                yield return new SubjectRef(scope.Value, o.Key);
            }
        }
        foreach (var k in _apiServerPods)
        {
            yield return new SubjectRef(SubjectScope.ApiServer, k);
        }
    }

    private static SubjectScope? ScopeOf(ModelObject o) => o switch
    {
        NamespaceInfo => SubjectScope.Namespace,
        RoleInfo => SubjectScope.Role,
        BindingInfo => SubjectScope.Binding,
        IngressInfo => SubjectScope.Ingress,
        NodeInfo => SubjectScope.Node,
        _ => null,
    };

    /// <summary>Whether a subject exists now.</summary>
    public bool Exists(SubjectRef s) => s.Scope switch
    {
        SubjectScope.Workload => _workloadSubjectsByNamespace.TryGetValue(s.Key.Namespace, out var keys) && keys.Contains(s.Key),
        SubjectScope.ApiServer => _apiServerPods.Contains(s.Key),
        _ => Get(s.Key) is { } o && ScopeOf(o) == s.Scope,
    };

    /// <summary>The object whose annotations carry a subject's waivers (its top-level owner for workloads).</summary>
    public ModelObject? WaiverSource(SubjectRef s) => Get(s.Key);

    /// <summary>
    /// A workload subject as controls see it, or null when it does not exist. Every workload control of a subject
    /// asks in turn, so the last answer is kept until the model changes.
    /// </summary>
    public WorkloadSubject? Workload(ObjectKey key)
    {
        if (_lastWorkload is { } last && last.Key == key && last.At == _mutations)
        {
            return last.Subject;
        }
        var subject = BuildWorkload(key);
        _lastWorkload = (key, _mutations, subject);
        return subject;
    }

    private long _mutations;
    private (ObjectKey Key, long At, WorkloadSubject? Subject)? _lastWorkload;

    private WorkloadSubject? BuildWorkload(ObjectKey key)
    {
        if (!(_workloadSubjectsByNamespace.TryGetValue(key.Namespace, out var keys) && keys.Contains(key)))
        {
            return null;
        }
        var owner = Get(key);
        var specs = new List<PodSpecInfo>();
        if (_subjectPods.TryGetValue(key, out var pods))
        {
            // Specs are shared, so replicas collapse by reference. Sorted by pod name so that the first violating
            // pod (and so the message) does not depend on hash order.
            var seen = new HashSet<PodSpecInfo>(ReferenceEqualityComparer.Instance);
            foreach (var pod in pods.Count == 1 ? (IEnumerable<PodInfo>)pods : pods.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
            {
                if (pod.Live && seen.Add(pod.Spec))
                {
                    specs.Add(pod.Spec);
                }
            }
        }
        if (specs.Count > 0)
        {
            return new WorkloadSubject(key, owner, specs, FromTemplate: false);
        }
        var template = owner switch
        {
            WorkloadInfo w => w.Template,
            // A bare pod that is no longer live: what it ran is still its spec.
            PodInfo p when !Projector.HasWorkloadController(p) => p.Spec,
            _ => null,
        };
        return template is null
            ? new WorkloadSubject(key, owner, [], FromTemplate: true)
            : new WorkloadSubject(key, owner, [ApplyLimitRangeDefaults(key.Namespace, template)], FromTemplate: true);
    }

    /// <summary>Admission fills missing limits from the namespace's Container LimitRange defaults.</summary>
    private PodSpecInfo ApplyLimitRangeDefaults(string ns, PodSpecInfo spec)
    {
        var ranges = InNamespace<LimitRangeInfo>(Kinds.LimitRange, ns).ToList();
        var memory = ranges.Any(r => r.DefaultsMemoryLimit);
        var cpu = ranges.Any(r => r.DefaultsCpuLimit);
        if (!memory && !cpu)
        {
            return spec;
        }
        return spec with
        {
            Containers = spec.Containers.Select(c => c.Type == ContainerType.Ephemeral ? c : c with
            {
                HasMemoryLimit = c.HasMemoryLimit || memory,
                HasCpuLimit = c.HasCpuLimit || cpu,
            }).ToImmutableArray(),
        };
    }

    private static void Add<TKey>(Dictionary<TKey, HashSet<ObjectKey>> d, TKey key, ObjectKey value) where TKey : notnull
    {
        if (!d.TryGetValue(key, out var set))
        {
            d[key] = set = [];
        }
        set.Add(value);
    }

    private static void Remove<TKey>(Dictionary<TKey, HashSet<ObjectKey>> d, TKey key, ObjectKey value) where TKey : notnull
    {
        if (d.TryGetValue(key, out var set) && set.Remove(value) && set.Count == 0)
        {
            d.Remove(key);
        }
    }
}
