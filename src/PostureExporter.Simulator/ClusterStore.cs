using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator;

/// <summary>
/// The cluster state: every served kind as JSON objects, one shared monotonically increasing resourceVersion
/// (like etcd's revision) and a bounded history of changes for resuming watches and paging lists.
/// </summary>
/// <remarks>
/// One lock guards everything: a mutation bumps the revision, stores the object, appends the history event and
/// hands the event to every watcher (non-blocking) before the lock is released, so every watcher sees the same
/// order the revisions were assigned in. Objects are kept as immutable <see cref="StoredObject"/>s; callers
/// only ever get their own copies as <see cref="JsonObject"/>.
/// </remarks>
public sealed class ClusterStore
{
    internal const int DefaultWatchBuffer = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<ResourceKind, ResourceTable> _tables = ResourceCatalog.All.ToDictionary(k => k, _ => new ResourceTable());
    private readonly EventHistory _history;
    private readonly List<WatchSubscription> _watchers = [];
    private readonly int _watchBuffer;
    private readonly TimeProvider _time;
    private long _rv = 1;

    // A watch or a continued list can start from any revision >= this one: all later events are retained.
    private long _oldestRv = 1;
    private bool _closed;

    internal ClusterStore(int historyLimit = 100_000, int watchBufferCapacity = DefaultWatchBuffer, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historyLimit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(watchBufferCapacity);
        _history = new EventHistory(historyLimit);
        _watchBuffer = watchBufferCapacity;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The kinds this simulator serves.</summary>
    public static IReadOnlyList<ResourceKind> Kinds => ResourceCatalog.ReadOnlyAll;

    /// <summary>The revision of the latest change.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _rv;
            }
        }
    }

    /// <summary>
    /// Creates an object; kind and apiVersion come from the object. A namespaced object without a namespace goes
    /// to "default". Namespaces need not exist first (the real server would say 404; the demo and tests are
    /// simpler without that ordering).
    /// </summary>
    public JsonObject Create(JsonObject obj)
    {
        var (kind, draft) = Prepare(obj);
        StoredObject stored;
        lock (_gate)
        {
            stored = CreateLocked(kind, draft);
        }

        return stored.ToJsonObject();
    }

    /// <summary>Creates the object, or replaces it unconditionally (any resourceVersion in it is ignored).</summary>
    public JsonObject Upsert(JsonObject obj)
    {
        var (kind, draft) = Prepare(obj);
        StoredObject stored;
        lock (_gate)
        {
            var key = KeyOf(kind, draft);
            stored = key is { } existingKey && _tables[kind].Items.TryGetValue(existingKey, out var existing)
                ? UpdateLocked(kind, existingKey, existing, draft)
                : CreateLocked(kind, draft);
        }

        return stored.ToJsonObject();
    }

    /// <summary>
    /// Replaces an existing object (404 if missing). A metadata.resourceVersion in the object is a precondition,
    /// as on the real server: a stale one throws <see cref="StoreConflictException"/>.
    /// </summary>
    public JsonObject Replace(JsonObject obj)
    {
        var (kind, draft) = Prepare(obj);
        StoredObject stored;
        lock (_gate)
        {
            stored = ReplaceLocked(kind, draft);
        }

        return stored.ToJsonObject();
    }

    /// <summary>
    /// Bulk load for large synthetic clusters: creates objects given as UTF-8 JSON text, stamping resourceVersion,
    /// uid and creationTimestamp as <see cref="Create"/> does, without ever building a <see cref="JsonObject"/>
    /// tree (a pod's tree costs ~30 KB and three serializations; this path parses the text once and writes the
    /// stored copy once). Each item is copied before the next is requested, so a producer may reuse one buffer.
    /// Every object needs kind, apiVersion and metadata.name (no generateName). Returns how many were created.
    /// </summary>
    public int CreateMany(IEnumerable<ReadOnlyMemory<byte>> utf8Objects)
    {
        ArgumentNullException.ThrowIfNull(utf8Objects);
        var created = 0;
        foreach (var json in utf8Objects)
        {
            var (kind, key, document) = PrepareUtf8(json);
            using (document)
            {
                var now = JsonTools.FormatTime(_time.GetUtcNow());
                lock (_gate)
                {
                    var table = _tables[kind];
                    if (table.Items.ContainsKey(key))
                    {
                        throw new StoreConflictException("AlreadyExists", $"{QualifiedResource(kind)} \"{key.Name}\" already exists")
                        {
                            ResourcePlural = kind.Plural,
                            Group = kind.Group,
                            Name = key.Name,
                        };
                    }

                    var rv = ++_rv;
                    var stored = StoredObject.Stamp(document.RootElement, kind, key.Namespace, JsonTools.FormatRv(rv), Guid.NewGuid().ToString(), now);
                    table.Add(key, stored);
                    Record(new StoredEvent(rv, kind, key, ChangeType.Added, stored, null));
                    created++;
                }
            }
        }

        return created;
    }

    /// <summary>
    /// Creates or unconditionally replaces an object given as UTF-8 JSON text (the fast path of <see cref="Upsert"/>
    /// for load generators: no tree is built). The text is copied; the caller may reuse its buffer.
    /// </summary>
    public void UpsertUtf8(ReadOnlyMemory<byte> json)
    {
        var (kind, key, document) = PrepareUtf8(json);
        using (document)
        {
            lock (_gate)
            {
                var rv = ++_rv;
                var table = _tables[kind];
                if (table.Items.TryGetValue(key, out var existing))
                {
                    var created = JsonTools.StringProperty(existing.Metadata, "creationTimestamp") ?? JsonTools.FormatTime(_time.GetUtcNow());
                    var stored = StoredObject.Stamp(document.RootElement, kind, key.Namespace, JsonTools.FormatRv(rv), existing.Uid, created);
                    table.Items[key] = stored;
                    Record(new StoredEvent(rv, kind, key, ChangeType.Modified, stored, existing));
                }
                else
                {
                    var stored = StoredObject.Stamp(document.RootElement, kind, key.Namespace, JsonTools.FormatRv(rv), Guid.NewGuid().ToString(), JsonTools.FormatTime(_time.GetUtcNow()));
                    table.Add(key, stored);
                    Record(new StoredEvent(rv, kind, key, ChangeType.Added, stored, null));
                }
            }
        }
    }

    /// <summary>Reads kind and key from UTF-8 JSON and checks them as <see cref="Prepare"/> does; the document views <paramref name="json"/>.</summary>
    private static (ResourceKind Kind, ObjectKey Key, JsonDocument Document) PrepareUtf8(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new StoreException(400, "BadRequest", $"invalid JSON: {e.Message}");
        }

        try
        {
            var root = document.RootElement;
            var apiVersion = JsonTools.StringProperty(root, "apiVersion");
            var kindName = JsonTools.StringProperty(root, "kind");
            if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kindName))
            {
                throw new StoreException(400, "BadRequest", "Object 'Kind' or 'apiVersion' is missing");
            }

            var kind = ResourceCatalog.FindKind(apiVersion, kindName)
                ?? throw new StoreException(400, "BadRequest", $"no kind \"{kindName}\" is registered for version \"{apiVersion}\"");
            var metadata = JsonTools.Property(root, "metadata");
            var name = JsonTools.StringProperty(metadata, "name");
            if (string.IsNullOrEmpty(name))
            {
                throw new StoreException(400, "BadRequest", "resource name may not be empty (bulk writes need metadata.name)") { ResourcePlural = kind.Plural, Group = kind.Group };
            }

            ValidateName(kind, name, "metadata.name");
            var ns = "";
            if (kind.Namespaced)
            {
                ns = JsonTools.StringProperty(metadata, "namespace") is { Length: > 0 } given ? given : "default";
                ValidateName(kind, ns, "metadata.namespace");
            }

            return (kind, new ObjectKey(ns, name), document);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    /// <summary>Gets an object by plural resource name; <paramref name="ns"/> is ignored for cluster-scoped kinds.</summary>
    public JsonObject? Get(string resource, string? ns, string name)
    {
        var kind = KindOf(resource);
        var key = KeyOf(kind, ns, name);
        StoredObject? stored;
        lock (_gate)
        {
            stored = _tables[kind].Items.GetValueOrDefault(key);
        }

        return stored?.ToJsonObject();
    }

    /// <summary>
    /// Deletes an object; false if it did not exist. Deleting a namespace first deletes every namespaced object in
    /// it, each with its own DELETED event (the real server does this asynchronously; here it is immediate).
    /// </summary>
    public bool Delete(string resource, string? ns, string name)
    {
        var kind = KindOf(resource);
        var key = KeyOf(kind, ns, name);
        lock (_gate)
        {
            return DeleteLocked(kind, key) is not null;
        }
    }

    /// <summary>All objects of a resource, sorted by namespace then name; <paramref name="ns"/> null means every namespace.</summary>
    public IReadOnlyList<JsonObject> List(string resource, string? ns = null)
    {
        var kind = KindOf(resource);
        var filter = ObjectFilter.Everything with { Namespace = kind.Namespaced ? ns : null };
        List<StoredObject> stored;
        lock (_gate)
        {
            stored = [.. Scan(kind, filter.Namespace, after: null, overlay: null).Select(entry => entry.Object)];
        }

        return stored.ConvertAll(o => o.ToJsonObject());
    }

    // ---- API server entry points: these deal in immutable stored objects ----

    internal static ResourceKind KindOf(string resource) =>
        ResourceCatalog.FindPlural(resource)
        ?? throw new StoreException(404, "NotFound", $"the server could not find the requested resource \"{resource}\"");

    internal StoredObject? GetStored(ResourceKind kind, ObjectKey key)
    {
        lock (_gate)
        {
            return _tables[kind].Items.GetValueOrDefault(key);
        }
    }

    internal StoredObject CreateStored(JsonObject obj)
    {
        var (kind, draft) = Prepare(obj);
        lock (_gate)
        {
            return CreateLocked(kind, draft);
        }
    }

    internal StoredObject ReplaceStored(JsonObject obj)
    {
        var (kind, draft) = Prepare(obj);
        lock (_gate)
        {
            return ReplaceLocked(kind, draft);
        }
    }

    /// <summary>
    /// Read-modify-write under the lock, so concurrent patches never lose each other's changes. <paramref name="apply"/>
    /// gets a private copy and returns the new object; a resourceVersion it sets is a precondition.
    /// </summary>
    internal StoredObject PatchStored(ResourceKind kind, ObjectKey key, Func<JsonObject, JsonObject> apply)
    {
        lock (_gate)
        {
            var existing = _tables[kind].Items.GetValueOrDefault(key) ?? throw NotFound(kind, key.Name);
            var patched = apply(existing.ToJsonObject());
            if (JsonTools.GetString(patched, "kind") != kind.Kind || JsonTools.GetString(patched, "apiVersion") != kind.ApiVersion)
            {
                throw new StoreException(400, "BadRequest", "a patch may not change kind or apiVersion") { ResourcePlural = kind.Plural, Group = kind.Group, Name = key.Name };
            }

            var (_, draft) = Prepare(patched, copy: false);
            if (KeyOf(kind, draft) != key)
            {
                throw new StoreException(400, "BadRequest", "a patch may not change metadata.name or metadata.namespace") { ResourcePlural = kind.Plural, Group = kind.Group, Name = key.Name };
            }

            CheckPrecondition(kind, key, existing, draft);
            return UpdateLocked(kind, key, existing, draft);
        }
    }

    internal StoredObject? DeleteStored(ResourceKind kind, ObjectKey key)
    {
        lock (_gate)
        {
            return DeleteLocked(kind, key);
        }
    }

    internal List<StoredObject> DeleteCollection(ResourceKind kind, ObjectFilter filter)
    {
        lock (_gate)
        {
            var victims = Scan(kind, filter.Namespace, after: null, overlay: null)
                .Where(entry => filter.Matches(entry.Object, entry.Key))
                .Select(entry => entry.Key)
                .ToList();
            var deleted = new List<StoredObject>(victims.Count);
            foreach (var key in victims)
            {
                if (DeleteLocked(kind, key) is { } gone)
                {
                    deleted.Add(gone);
                }
            }

            return deleted;
        }
    }

    /// <summary>
    /// One page of a list. Without a continue token the snapshot is the current revision (or <paramref name="exactRv"/>);
    /// with one it is the token's revision, rebuilt by undoing the retained history newer than it.
    /// </summary>
    internal ListPage ListStored(ResourceKind kind, ObjectFilter filter, int limit, ContinueToken? token, long? exactRv)
    {
        lock (_gate)
        {
            var snapshotRv = token?.Rv ?? exactRv ?? _rv;
            if (snapshotRv < _oldestRv)
            {
                throw token is null
                    ? new StoreException(410, "Expired", $"too old resource version: {snapshotRv} ({_oldestRv})")
                    : new StoreException(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            }

            if (snapshotRv > _rv)
            {
                throw new StoreException(504, "Timeout", $"Too large resource version: {snapshotRv}, current: {_rv}");
            }

            var overlay = snapshotRv < _rv ? Overlay(kind, snapshotRv) : null;
            var items = new List<StoredObject>();
            ObjectKey? last = null;
            var more = false;
            foreach (var (key, obj) in Scan(kind, filter.Namespace, token?.After, overlay))
            {
                if (!filter.Matches(obj, key))
                {
                    continue;
                }

                if (limit > 0 && items.Count == limit)
                {
                    more = true;
                    break;
                }

                items.Add(obj);
                last = key;
            }

            return new ListPage(snapshotRv, items, more && last is { } after ? new ContinueToken(snapshotRv, after) : null);
        }
    }

    /// <summary>
    /// Registers a watcher atomically with its starting point. With <paramref name="sendInitial"/> the current
    /// matching objects come first as ADDED; otherwise every retained event after <paramref name="fromRv"/>.
    /// </summary>
    internal WatchStart Watch(ResourceKind kind, ObjectFilter filter, long fromRv, bool sendInitial)
    {
        lock (_gate)
        {
            if (!sendInitial && fromRv < _oldestRv)
            {
                return new WatchStart(null, [], _rv, $"too old resource version: {fromRv} ({_oldestRv})");
            }

            var subscription = new WatchSubscription(kind, filter, _watchBuffer);
            var initial = new List<WatchItem>();
            if (sendInitial)
            {
                foreach (var (key, obj) in Scan(kind, filter.Namespace, after: null, overlay: null))
                {
                    if (filter.Matches(obj, key))
                    {
                        initial.Add(new WatchItem("ADDED", obj));
                    }
                }
            }
            else
            {
                for (var i = _history.FirstAfter(fromRv); i < _history.Count; i++)
                {
                    var change = _history[i];
                    if (change.Kind == kind && WatchSubscription.Classify(change, filter) is { } item)
                    {
                        initial.Add(item);
                    }
                }
            }

            if (_closed)
            {
                subscription.Complete();
            }
            else
            {
                _watchers.Add(subscription);
            }

            return new WatchStart(subscription, initial, _rv, null);
        }
    }

    /// <summary>
    /// Queues a BOOKMARK at the current revision. It goes through the same channel under the same lock as the
    /// events, so every event up to that revision is already ahead of it: a client resuming from it misses nothing.
    /// </summary>
    internal void Bookmark(WatchSubscription subscription, JsonObject? annotations = null)
    {
        lock (_gate)
        {
            // A hung watch gets no heartbeat either (TryPublish swallows it; checked here to skip the allocation).
            if (subscription.Fault == WatchFault.None)
            {
                subscription.TryPublish(new WatchItem("BOOKMARK", BookmarkObject(subscription.Kind, _rv, annotations)));
            }
        }
    }

    internal static StoredObject BookmarkObject(ResourceKind kind, long rv, JsonObject? annotations = null)
    {
        var metadata = new JsonObject { ["resourceVersion"] = JsonTools.FormatRv(rv) };
        if (annotations is not null)
        {
            metadata["annotations"] = annotations;
        }

        return StoredObject.From(new JsonObject { ["kind"] = kind.Kind, ["apiVersion"] = kind.ApiVersion, ["metadata"] = metadata });
    }

    internal void Unwatch(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _watchers.Remove(subscription);
            subscription.Complete();
        }
    }

    /// <summary>Ends every watch; later watches end at once. The state stays readable and writable in-process.</summary>
    internal void Close()
    {
        lock (_gate)
        {
            _closed = true;
            foreach (var watcher in _watchers)
            {
                watcher.Complete();
            }

            _watchers.Clear();
        }
    }

    // ---- fault injection (see ClusterFaults) ----

    /// <summary>
    /// Hangs or drops every open watch; returns how many were affected. Hanging skips watches already hung or
    /// dropped; dropping includes hung ones (their connections are still open).
    /// </summary>
    internal int InterruptWatches(WatchFault fault)
    {
        List<WatchSubscription> affected = [];
        lock (_gate)
        {
            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                var watcher = _watchers[i];
                if (watcher.Fault >= fault)
                {
                    continue;
                }

                watcher.MarkFault(fault);
                affected.Add(watcher);
                if (fault == WatchFault.Dropped)
                {
                    _watchers.RemoveAt(i);
                }
            }
        }

        foreach (var watcher in affected)
        {
            watcher.SignalFault();
        }

        return affected.Count;
    }

    /// <summary>Forgets the whole watch history: only watches and continue tokens at the current revision remain valid.</summary>
    internal CompactionResult Compact()
    {
        lock (_gate)
        {
            var forgotten = _history.Clear();
            _oldestRv = _rv;
            return new CompactionResult(_rv, forgotten);
        }
    }

    /// <summary>
    /// Queues one line, built at the current revision, on every open (not hung) watch of <paramref name="kind"/>,
    /// in order with the real events; nothing is stored. Returns how many watches got it.
    /// </summary>
    internal int Inject(ResourceKind kind, Func<long, WatchItem> line)
    {
        lock (_gate)
        {
            var item = line(_rv);
            var reached = 0;
            for (var i = _watchers.Count - 1; i >= 0; i--)
            {
                var watcher = _watchers[i];
                if (watcher.Kind != kind || watcher.Fault != WatchFault.None)
                {
                    continue;
                }

                if (watcher.TryPublish(item))
                {
                    reached++;
                }
                else
                {
                    _watchers.RemoveAt(i);
                }
            }

            return reached;
        }
    }

    internal int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    // ---- internals; *Locked methods require _gate ----

    private static (ResourceKind Kind, JsonObject Draft) Prepare(JsonObject obj, bool copy = true)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var apiVersion = JsonTools.GetString(obj, "apiVersion");
        var kindName = JsonTools.GetString(obj, "kind");
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kindName))
        {
            throw new StoreException(400, "BadRequest", "Object 'Kind' or 'apiVersion' is missing");
        }

        var kind = ResourceCatalog.FindKind(apiVersion, kindName)
            ?? throw new StoreException(400, "BadRequest", $"no kind \"{kindName}\" is registered for version \"{apiVersion}\"");
        var draft = copy ? StoredObject.Copy(obj) : obj;
        if (!draft.TryGetPropertyValue("metadata", out var metadataNode) || metadataNode is null)
        {
            draft["metadata"] = new JsonObject();
        }
        else if (metadataNode is not JsonObject)
        {
            throw new StoreException(400, "BadRequest", "metadata must be an object");
        }

        var metadata = JsonTools.Metadata(draft)!;
        if (kind.Namespaced)
        {
            var ns = JsonTools.GetString(metadata, "namespace");
            if (string.IsNullOrEmpty(ns))
            {
                metadata["namespace"] = "default";
            }
            else
            {
                ValidateName(kind, ns, "metadata.namespace");
            }
        }
        else
        {
            metadata.Remove("namespace");
        }

        var name = JsonTools.GetString(metadata, "name");
        if (!string.IsNullOrEmpty(name))
        {
            ValidateName(kind, name, "metadata.name");
        }
        else if (string.IsNullOrEmpty(JsonTools.GetString(metadata, "generateName")))
        {
            throw new StoreException(400, "BadRequest", "resource name may not be empty") { ResourcePlural = kind.Plural, Group = kind.Group };
        }

        return (kind, draft);
    }

    private static void ValidateName(ResourceKind kind, string name, string field)
    {
        // Names end up in URL paths; the real server enforces DNS names, here only what would break routing.
        if (name.AsSpan().IndexOfAny("/%?#") >= 0 || name is "." or "..")
        {
            throw new StoreException(422, "Invalid", $"{QualifiedResource(kind)} \"{name}\" is invalid: {field}: Invalid value: \"{name}\"")
            {
                ResourcePlural = kind.Plural,
                Group = kind.Group,
                Name = name,
            };
        }
    }

    private static ObjectKey? KeyOf(ResourceKind kind, JsonObject draft)
    {
        var name = JsonTools.Name(draft);
        return name.Length == 0 ? null : new ObjectKey(kind.Namespaced ? JsonTools.Namespace(draft) : "", name);
    }

    internal static ObjectKey KeyOf(ResourceKind kind, string? ns, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (kind.Namespaced && string.IsNullOrEmpty(ns))
        {
            throw new ArgumentException($"{kind.Plural} are namespaced: a namespace is required", nameof(ns));
        }

        return new ObjectKey(kind.Namespaced ? ns! : "", name);
    }

    internal static string QualifiedResource(ResourceKind kind) => kind.Group.Length == 0 ? kind.Plural : $"{kind.Plural}.{kind.Group}";

    private static StoreException NotFound(ResourceKind kind, string name) =>
        new(404, "NotFound", $"{QualifiedResource(kind)} \"{name}\" not found") { ResourcePlural = kind.Plural, Group = kind.Group, Name = name };

    private StoredObject CreateLocked(ResourceKind kind, JsonObject draft)
    {
        var table = _tables[kind];
        var metadata = JsonTools.Metadata(draft)!;
        var ns = kind.Namespaced ? JsonTools.GetString(metadata, "namespace")! : "";
        var name = JsonTools.GetString(metadata, "name");
        if (string.IsNullOrEmpty(name))
        {
            var prefix = JsonTools.GetString(metadata, "generateName")!;
            do
            {
                name = prefix + RandomSuffix();
            }
            while (table.Items.ContainsKey(new ObjectKey(ns, name)));
            metadata["name"] = name;
        }

        var key = new ObjectKey(ns, name);
        if (table.Items.ContainsKey(key))
        {
            throw new StoreConflictException("AlreadyExists", $"{QualifiedResource(kind)} \"{name}\" already exists")
            {
                ResourcePlural = kind.Plural,
                Group = kind.Group,
                Name = name,
            };
        }

        var rv = ++_rv;
        metadata["resourceVersion"] = JsonTools.FormatRv(rv);
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = JsonTools.FormatTime(_time.GetUtcNow());
        if (kind.Plural == "namespaces" && JsonTools.GetObject(draft, "status") is null)
        {
            // kubectl shows STATUS Active from this; the real server sets it on creation.
            draft["status"] = new JsonObject { ["phase"] = "Active" };
        }

        var stored = StoredObject.From(draft);
        table.Add(key, stored);
        Record(new StoredEvent(rv, kind, key, ChangeType.Added, stored, null));
        return stored;
    }

    private StoredObject ReplaceLocked(ResourceKind kind, JsonObject draft)
    {
        var key = KeyOf(kind, draft) ?? throw new StoreException(400, "BadRequest", "resource name may not be empty");
        var existing = _tables[kind].Items.GetValueOrDefault(key) ?? throw NotFound(kind, key.Name);
        CheckPrecondition(kind, key, existing, draft);
        return UpdateLocked(kind, key, existing, draft);
    }

    private static void CheckPrecondition(ResourceKind kind, ObjectKey key, StoredObject existing, JsonObject draft)
    {
        var wanted = JsonTools.GetString(JsonTools.Metadata(draft), "resourceVersion");
        if (!string.IsNullOrEmpty(wanted) && wanted != existing.ResourceVersion)
        {
            throw new StoreConflictException(
                "Conflict",
                $"Operation cannot be fulfilled on {QualifiedResource(kind)} \"{key.Name}\": the object has been modified; please apply your changes to the latest version and try again")
            {
                ResourcePlural = kind.Plural,
                Group = kind.Group,
                Name = key.Name,
            };
        }
    }

    private StoredObject UpdateLocked(ResourceKind kind, ObjectKey key, StoredObject existing, JsonObject draft)
    {
        var rv = ++_rv;
        var metadata = JsonTools.Metadata(draft)!;
        metadata["resourceVersion"] = JsonTools.FormatRv(rv);

        // Identity and birth date belong to the server, whatever the client sent.
        metadata["uid"] = existing.Uid;
        metadata["creationTimestamp"] = JsonTools.StringProperty(existing.Metadata, "creationTimestamp");
        var stored = StoredObject.From(draft);
        _tables[kind].Items[key] = stored;
        Record(new StoredEvent(rv, kind, key, ChangeType.Modified, stored, existing));
        return stored;
    }

    private StoredObject? DeleteLocked(ResourceKind kind, ObjectKey key)
    {
        var table = _tables[kind];
        if (!table.Items.ContainsKey(key))
        {
            return null;
        }

        if (kind.Plural == "namespaces")
        {
            foreach (var namespacedKind in ResourceCatalog.All.Where(k => k.Namespaced))
            {
                foreach (var child in Scan(namespacedKind, key.Name, after: null, overlay: null).Select(e => e.Key).ToList())
                {
                    DeleteLocked(namespacedKind, child);
                }
            }
        }

        table.Remove(key, out var existing);
        var rv = ++_rv;
        var last = existing.ToJsonObject();
        JsonTools.Metadata(last)!["resourceVersion"] = JsonTools.FormatRv(rv);
        var final = StoredObject.From(last);
        Record(new StoredEvent(rv, kind, key, ChangeType.Deleted, final, existing));
        return final;
    }

    private void Record(StoredEvent change)
    {
        if (_history.Add(change) is { } dropped)
        {
            _oldestRv = dropped.Rv;
        }

        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            var watcher = _watchers[i];
            if (watcher.Kind == change.Kind
                && watcher.Fault == WatchFault.None
                && WatchSubscription.Classify(change, watcher.Filter) is { } item
                && !watcher.TryPublish(item))
            {
                // Too far behind: drop it rather than block the writer; its client re-watches from its last revision.
                _watchers.RemoveAt(i);
            }
        }
    }

    /// <summary>State at <paramref name="snapshotRv"/> of every key touched since: null where the key did not exist.</summary>
    private Dictionary<ObjectKey, StoredObject?> Overlay(ResourceKind kind, long snapshotRv)
    {
        var overlay = new Dictionary<ObjectKey, StoredObject?>();
        for (var i = _history.Count - 1; i >= 0 && _history[i].Rv > snapshotRv; i--)
        {
            var change = _history[i];
            if (change.Kind == kind)
            {
                // Walking backwards, the oldest change after the snapshot is written last and wins.
                overlay[change.Key] = change.Type == ChangeType.Added ? null : change.Previous;
            }
        }

        return overlay;
    }

    /// <summary>
    /// Objects in key order after <paramref name="after"/>, optionally in one namespace, as they were at the
    /// overlay's snapshot (current state where the overlay is silent).
    /// </summary>
    private IEnumerable<(ObjectKey Key, StoredObject Object)> Scan(ResourceKind kind, string? ns, ObjectKey? after, Dictionary<ObjectKey, StoredObject?>? overlay)
    {
        var table = _tables[kind];
        var current = table.KeysAfter(ns, after);
        if (overlay is null || overlay.Count == 0)
        {
            foreach (var key in current)
            {
                yield return (key, table.Items[key]);
            }

            yield break;
        }

        var touched = overlay.Keys
            .Where(k => (after is not { } a || k > a) && (ns is null || string.Equals(k.Namespace, ns, StringComparison.Ordinal)))
            .Order()
            .ToList();
        using var live = current.GetEnumerator();
        var hasLive = live.MoveNext();
        var t = 0;
        while (hasLive || t < touched.Count)
        {
            ObjectKey key;
            if (t < touched.Count && (!hasLive || touched[t] <= live.Current))
            {
                key = touched[t++];
                if (hasLive && live.Current == key)
                {
                    hasLive = live.MoveNext();
                }
            }
            else
            {
                key = live.Current;
                hasLive = live.MoveNext();
            }

            var obj = overlay.TryGetValue(key, out var then) ? then : table.Items[key];
            if (obj is not null)
            {
                yield return (key, obj);
            }
        }
    }

    private static string RandomSuffix()
    {
        // The alphabet the real server uses for generateName: no vowels, no look-alike characters.
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, alphabet, static (span, chars) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
            }
        });
    }

    /// <summary>One kind's objects: a map for lookups and a sorted key set for ordered, resumable scans.</summary>
    private sealed class ResourceTable
    {
        private readonly SortedSet<ObjectKey> _keys = [];

        public Dictionary<ObjectKey, StoredObject> Items { get; } = [];

        public void Add(ObjectKey key, StoredObject obj)
        {
            Items.Add(key, obj);
            _keys.Add(key);
        }

        public void Remove(ObjectKey key, out StoredObject removed)
        {
            Items.Remove(key, out removed!);
            _keys.Remove(key);
        }

        public IEnumerable<ObjectKey> KeysAfter(string? ns, ObjectKey? after)
        {
            if (_keys.Count == 0)
            {
                return [];
            }

            // "ns\0" sorts after every name in ns and before any other namespace, so [ (ns,""), ("ns\0","") ] is exactly ns.
            var lower = ns is null ? _keys.Min : new ObjectKey(ns, "");
            var upper = ns is null ? _keys.Max : new ObjectKey(ns + "\0", "");
            if (after is { } a && a > lower)
            {
                lower = a;
            }

            if (lower > upper)
            {
                return [];
            }

            var view = _keys.GetViewBetween(lower, upper);
            return after is { } exclusive ? view.Where(k => k != exclusive) : view;
        }
    }
}

internal sealed record ListPage(long ResourceVersion, List<StoredObject> Items, ContinueToken? Continue);

/// <summary>Result of registering a watch: either the subscription and its replay, or why the revision is too old.</summary>
internal sealed record WatchStart(WatchSubscription? Subscription, List<WatchItem> Initial, long ResourceVersion, string? ExpiredMessage);
