using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PostureExporter.Simulator.Http;

/// <summary>
/// The Kubernetes REST surface over <see cref="ClusterStore"/>: discovery, list/watch/get/create/replace/patch/delete
/// for every served kind, and Status errors, routed by hand because the path grammar (/api/v1 vs /apis/g/v,
/// namespaced vs cluster-scoped, /watch/ prefix) is easier to follow as code than as route templates.
/// </summary>
internal sealed class ApiServer(ClusterStore store, ClusterFaults faults, ServerSettings settings, CancellationToken shutdown)
{
    private const int FlushEvery = 100;

    /// <summary>host:port clients reach us at, advertised in /api. Set once the port is known.</summary>
    public string ServerAddress { get; set; } = "";

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await DispatchAsync(context);
        }
        catch (StoreException error)
        {
            await WriteFailureAsync(context, error);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || shutdown.IsCancellationRequested)
        {
            // The client went away or the cluster is stopping: nobody is left to answer.
        }
        catch (Exception error) when (!context.Response.HasStarted)
        {
            await WriteFailureAsync(context, new StoreException(500, "InternalError", $"simulator error: {error.Message}"));
        }
    }

    private Task DispatchAsync(HttpContext context)
    {
        var segments = (context.Request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["simulator", ..])
        {
            // The simulator's own controls: never refused, so that faults can be cleared during an outage.
            return segments is ["simulator", "faults", var fault] ? FaultAsync(context, fault) : throw PathNotFound();
        }

        // Injected outage or throttle: every Kubernetes API request, discovery and health included, is refused.
        if (faults.Refusal() is { } refusal)
        {
            throw refusal;
        }

        return segments switch
        {
            [] => DiscoveryAsync(context, ApiDocuments.RootPaths()),
            ["version"] => VersionAsync(context),
            ["healthz" or "livez" or "readyz"] => HealthAsync(context),
            ["api"] => DiscoveryAsync(context, ApiDocuments.CoreVersions(ServerAddress)),
            ["api", var version, .. var rest] => ResourceAsync(context, "", version, rest),
            ["apis"] => DiscoveryAsync(context, ApiDocuments.GroupList()),
            ["apis", var group] => DiscoveryAsync(context, ApiDocuments.Group(group)),
            ["apis", "authentication.k8s.io", "v1", "tokenreviews"] => ReviewAsync(context, r => Reviews.TokenReview(r, settings.Tokens)),
            ["apis", "authorization.k8s.io", "v1", "subjectaccessreviews"] => ReviewAsync(context, r => Reviews.SubjectAccessReview(r, settings.NonResourceGrants)),
            ["apis", var group, var version, .. var rest] => ResourceAsync(context, group, version, rest),
            ["openapi", "v3"] => DiscoveryAsync(context, OpenApiDocuments.Discovery()),
            ["openapi", "v3", .. var rest] => DiscoveryAsync(context, OpenApiDocuments.ForPath(string.Join('/', rest))),

            // Includes /openapi/v2: no schemas are served (see OpenApiDocuments).
            _ => throw PathNotFound(),
        };
    }

    private static async Task ReviewAsync(HttpContext context, Func<JsonObject, JsonObject> review)
    {
        RequireMethod(context, HttpMethods.Post);
        await WriteJsonAsync(context, StatusCodes.Status201Created, review(await ReadObjectAsync(context)));
    }

    private async Task FaultAsync(HttpContext context, string name)
    {
        if (!FaultEndpoints.Names.Contains(name))
        {
            throw FaultEndpoints.Unknown(name);
        }

        RequireMethod(context, HttpMethods.Post);
        await WriteJsonAsync(context, StatusCodes.Status200OK, FaultEndpoints.Invoke(faults, name, context.Request.Query));
    }

    private static async Task HealthAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("ok", context.RequestAborted);
    }

    private static Task DiscoveryAsync(HttpContext context, JsonObject? document)
    {
        if (document is null)
        {
            throw PathNotFound();
        }

        RequireMethod(context, HttpMethods.Get);
        return WriteJsonAsync(context, StatusCodes.Status200OK, document);
    }

    private async Task VersionAsync(HttpContext context)
    {
        await faults.VersionReleased().WaitAsync(context.RequestAborted);
        await DiscoveryAsync(context, ApiDocuments.Version(settings.GitVersion));
    }

    private Task ResourceAsync(HttpContext context, string group, string version, string[] rest)
    {
        if (!ResourceCatalog.ServesGroupVersion(group, version))
        {
            throw PathNotFound();
        }

        if (rest.Length == 0)
        {
            return DiscoveryAsync(context, ApiDocuments.ResourceList(group, version));
        }

        // The deprecated /watch/ path prefix means the same as ?watch=true.
        var watch = false;
        if (rest[0] == "watch")
        {
            watch = true;
            rest = rest[1..];
        }

        string? ns = null;
        string? resource;
        string? name;
        switch (rest)
        {
            case ["namespaces", var inNamespace, var plural, .. var tail] when tail.Length <= 1:
                ns = inNamespace;
                resource = plural;
                name = tail.FirstOrDefault();
                break;
            case [var plural, .. var tail] when tail.Length <= 1:
                resource = plural;
                name = tail.FirstOrDefault();
                break;
            default:
                // Subresources (status, scale, log, exec…) are not simulated.
                throw PathNotFound();
        }

        var kind = ResourceCatalog.Find(group, version, resource);
        if (kind is null || (ns is not null && !kind.Namespaced) || (ns is null && kind.Namespaced && name is not null))
        {
            throw PathNotFound();
        }

        watch |= IsTrue(Query(context, "watch"));
        var method = context.Request.Method;
        if (name is null)
        {
            return method switch
            {
                _ when HttpMethods.IsGet(method) && watch => WatchAsync(context, kind, Filter(context, kind, ns)),
                _ when HttpMethods.IsGet(method) => ListAsync(context, kind, Filter(context, kind, ns)),
                _ when HttpMethods.IsPost(method) && (ns is not null || !kind.Namespaced) => CreateAsync(context, kind, ns),
                _ when HttpMethods.IsDelete(method) && (ns is not null || !kind.Namespaced) => DeleteCollectionAsync(context, kind, Filter(context, kind, ns)),
                _ => throw MethodNotAllowed(method),
            };
        }

        var key = new ObjectKey(ns ?? "", name);
        return method switch
        {
            _ when HttpMethods.IsGet(method) && watch => WatchAsync(context, kind, Filter(context, kind, ns) with { Fields = FieldSelector.ForName(name) }),
            _ when HttpMethods.IsGet(method) => GetAsync(context, kind, key),
            _ when HttpMethods.IsPut(method) => ReplaceAsync(context, kind, key),
            _ when HttpMethods.IsPatch(method) => PatchAsync(context, kind, key),
            _ when HttpMethods.IsDelete(method) => DeleteAsync(context, kind, key),
            _ => throw MethodNotAllowed(method),
        };
    }

    // ---- verbs ----

    private async Task ListAsync(HttpContext context, ResourceKind kind, ObjectFilter filter)
    {
        var limit = ParseInt(context, "limit");
        var continueText = Query(context, "continue");
        ContinueToken? token = null;
        if (!string.IsNullOrEmpty(continueText))
        {
            try
            {
                token = ContinueToken.Decode(continueText);
            }
            catch (FormatException)
            {
                throw new StoreException(400, "BadRequest", "continue key is not valid: invalid continue token");
            }
        }

        // "Exact" asks for an old snapshot; without it any resourceVersion may be served as the latest one.
        var rv = ParseResourceVersion(context);
        long? exact = Query(context, "resourceVersionMatch") == "Exact" && rv > 0 ? rv : null;
        var page = store.ListStored(kind, filter, limit, token, exact);

        if (TableFormat.FromRequest(context.Request.Headers.Accept, Query(context, "includeObject")) is { } table)
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, ApiDocuments.Table(kind, table, page.Items, true, page.ResourceVersion, page.Continue?.Encode(), settings.Time.GetUtcNow()));
            return;
        }

        await WriteListAsync(context, kind, page.ResourceVersion, page.Continue?.Encode(), page.Items);
    }

    private async Task GetAsync(HttpContext context, ResourceKind kind, ObjectKey key)
    {
        var obj = store.GetStored(kind, key) ?? throw NotFound(kind, key.Name);
        if (TableFormat.FromRequest(context.Request.Headers.Accept, Query(context, "includeObject")) is { } table)
        {
            var rv = long.Parse(obj.ResourceVersion, CultureInfo.InvariantCulture);
            await WriteJsonAsync(context, StatusCodes.Status200OK, ApiDocuments.Table(kind, table, [obj], true, rv, null, settings.Time.GetUtcNow()));
            return;
        }

        await WriteObjectAsync(context, StatusCodes.Status200OK, obj);
    }

    private async Task CreateAsync(HttpContext context, ResourceKind kind, string? ns)
    {
        RejectDryRun(context);
        var body = await ReadObjectAsync(context);
        ApplyTypeMeta(kind, body);
        ApplyNamespace(kind, ns, body);
        var created = store.CreateStored(body);
        await WriteObjectAsync(context, StatusCodes.Status201Created, created);
    }

    private async Task ReplaceAsync(HttpContext context, ResourceKind kind, ObjectKey key)
    {
        RejectDryRun(context);
        var body = await ReadObjectAsync(context);
        ApplyTypeMeta(kind, body);
        ApplyNamespace(kind, kind.Namespaced ? key.Namespace : null, body);
        var metadata = JsonTools.Metadata(body)!;
        var bodyName = JsonTools.GetString(metadata, "name");
        if (string.IsNullOrEmpty(bodyName))
        {
            metadata["name"] = key.Name;
        }
        else if (bodyName != key.Name)
        {
            throw new StoreException(400, "BadRequest", $"the name of the object ({bodyName}) does not match the name on the URL ({key.Name})");
        }

        var replaced = store.ReplaceStored(body);
        await WriteObjectAsync(context, StatusCodes.Status200OK, replaced);
    }

    private async Task PatchAsync(HttpContext context, ResourceKind kind, ObjectKey key)
    {
        RejectDryRun(context);
        var mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        Func<JsonObject, JsonNode?, JsonNode?> apply = mediaType switch
        {
            "application/merge-patch+json" => (current, patch) => JsonMergePatch.Apply(current, patch, strategic: false),
            "application/strategic-merge-patch+json" => (current, patch) => JsonMergePatch.Apply(current, patch, strategic: true),
            "application/json-patch+json" => (current, patch) => JsonPatch.Apply(current, patch),
            _ => throw new StoreException(
                415,
                "UnsupportedMediaType",
                $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{mediaType}\")"),
        };
        var patch = await ReadJsonAsync(context);
        var patched = store.PatchStored(kind, key, current =>
            apply(current, patch) as JsonObject
            ?? throw new StoreException(400, "BadRequest", "the patch must leave a JSON object"));
        await WriteObjectAsync(context, StatusCodes.Status200OK, patched);
    }

    private async Task DeleteAsync(HttpContext context, ResourceKind kind, ObjectKey key)
    {
        RejectDryRun(context);
        var deleted = store.DeleteStored(kind, key) ?? throw NotFound(kind, key.Name);

        // As on a real server: kinds with graceful deletion (pods, namespaces) answer with the object, the rest with a Status.
        if (kind.Plural is "pods" or "namespaces")
        {
            await WriteObjectAsync(context, StatusCodes.Status200OK, deleted);
        }
        else
        {
            await WriteJsonAsync(context, StatusCodes.Status200OK, ApiDocuments.Success(kind, deleted));
        }
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceKind kind, ObjectFilter filter)
    {
        RejectDryRun(context);
        var deleted = store.DeleteCollection(kind, filter);
        await WriteListAsync(context, kind, store.ResourceVersion, null, deleted);
    }

    private async Task WatchAsync(HttpContext context, ResourceKind kind, ObjectFilter filter)
    {
        var fromRv = ParseResourceVersion(context);
        var sendInitialEvents = IsTrue(Query(context, "sendInitialEvents"));
        var bookmarks = IsTrue(Query(context, "allowWatchBookmarks")) && settings.BookmarkInterval > TimeSpan.Zero;
        var timeoutSeconds = ParseInt(context, "timeoutSeconds");
        var table = TableFormat.FromRequest(context.Request.Headers.Accept, Query(context, "includeObject"));

        // resourceVersion absent or "0": start with the current state as synthetic ADDED events, as the real server does.
        var start = store.Watch(kind, filter, fromRv, sendInitial: fromRv == 0 || sendInitialEvents);

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        using var stream = new WatchStreamWriter(context.Response.BodyWriter, kind, table, settings.Time);
        if (start.Subscription is not { } subscription)
        {
            // Too old: the real server answers 200 and a single ERROR event with a 410 Status, then ends the stream.
            stream.Write("ERROR", ApiDocuments.Failure(new StoreException(410, "Expired", start.ExpiredMessage!)));
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
            return;
        }

        try
        {
            // An outage that started after this request was admitted but before the watch registered has not
            // dropped it: refuse it here (the outage window is set before its drop, so one of the two sees it).
            if (faults.Refusal() is { Code: 503 } outage)
            {
                throw outage;
            }

            await StreamWatchAsync(context, kind, subscription, start, stream, sendInitialEvents, bookmarks, timeoutSeconds);
            if (subscription.Fault == WatchFault.Hung)
            {
                // Injected hang: silence, with the connection open. timeoutSeconds no longer ends it (a stalled
                // server or network would not honour it either); only the client, a drop or the cluster stopping do.
                using var hang = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, shutdown, subscription.Dropped);
                try
                {
                    await Task.Delay(Timeout.Infinite, hang.Token);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up, the watch was dropped, or the cluster is stopping.
                }
            }
        }
        finally
        {
            store.Unwatch(subscription);
        }

        if (subscription.Fault == WatchFault.Dropped)
        {
            // Injected drop: reset the connection, so the client sees a broken stream instead of a clean end.
            context.Abort();
        }
    }

    /// <summary>
    /// Writes the watch until it times out, the client hangs up, the cluster stops, the store ends the subscription
    /// (slow watcher) or a fault interrupts it.
    /// </summary>
    private async Task StreamWatchAsync(
        HttpContext context, ResourceKind kind, WatchSubscription subscription, WatchStart start, WatchStreamWriter stream, bool sendInitialEvents, bool bookmarks, int timeoutSeconds)
    {
        using var timeout = new CancellationTokenSource();
        if (timeoutSeconds > 0)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, shutdown, timeout.Token, subscription.Interrupted);
        var bookmarkLoop = Task.CompletedTask;
        try
        {
            // Headers go out now: clients wait for them before they start reading events.
            await context.Response.StartAsync(cancel.Token);
            var written = 0;
            foreach (var item in start.Initial)
            {
                stream.Write(item);
                if (++written % FlushEvery == 0 && !await FlushAsync(context.Response.BodyWriter, cancel.Token))
                {
                    return;
                }
            }

            if (sendInitialEvents && bookmarks)
            {
                // The watch-list protocol: a bookmark marks the end of the initial state.
                var annotations = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
                stream.Write("BOOKMARK", ClusterStore.BookmarkObject(kind, start.ResourceVersion, annotations));
            }

            if (!await FlushAsync(context.Response.BodyWriter, cancel.Token))
            {
                return;
            }

            if (bookmarks)
            {
                bookmarkLoop = BookmarkLoopAsync(subscription, cancel.Token);
            }

            var reader = subscription.Reader;
            while (await reader.WaitToReadAsync(cancel.Token))
            {
                // Flush whenever the queue is drained (every event under light load), batching only under bursts.
                // A fault stops the writing at once, even in the middle of a burst.
                written = 0;
                while (subscription.Fault == WatchFault.None && reader.TryRead(out var item))
                {
                    stream.Write(item);
                    if (++written % FlushEvery == 0 && !await FlushAsync(context.Response.BodyWriter, cancel.Token))
                    {
                        return;
                    }
                }

                if (!await FlushAsync(context.Response.BodyWriter, cancel.Token))
                {
                    return;
                }
            }

            // The channel completed: the watcher fell too far behind or the cluster is stopping. Ending the
            // stream makes the client re-watch from its last resourceVersion.
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds elapsed, the client hung up, the cluster is stopping, or a fault interrupted the watch.
        }
        finally
        {
            await cancel.CancelAsync();
            await bookmarkLoop;
        }
    }

    private async Task BookmarkLoopAsync(WatchSubscription subscription, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(settings.BookmarkInterval, settings.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                store.Bookmark(subscription);
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    // ---- request helpers ----

    private static string? Query(HttpContext context, string name)
    {
        var values = context.Request.Query[name];
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>KubernetesClient sends watch=false on plain lists, so the value matters, not the presence.</summary>
    private static bool IsTrue(string? value) =>
        value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static int ParseInt(HttpContext context, string name)
    {
        var text = Query(context, name);
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new StoreException(400, "BadRequest", $"invalid {name}: \"{text}\"");
    }

    private static long ParseResourceVersion(HttpContext context)
    {
        var text = Query(context, "resourceVersion");
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv)
            ? rv
            : throw new StoreException(400, "BadRequest", $"invalid resource version: \"{text}\"");
    }

    private static ObjectFilter Filter(HttpContext context, ResourceKind kind, string? ns)
    {
        try
        {
            return new ObjectFilter(
                kind.Namespaced ? ns : null,
                LabelSelector.Parse(Query(context, "labelSelector")),
                FieldSelector.Parse(Query(context, "fieldSelector")));
        }
        catch (FormatException error)
        {
            throw new StoreException(400, "BadRequest", error.Message);
        }
    }

    private static void RejectDryRun(HttpContext context)
    {
        if (!string.IsNullOrEmpty(Query(context, "dryRun")))
        {
            throw new StoreException(400, "BadRequest", "dryRun is not supported by the simulated cluster");
        }
    }

    private static void RequireMethod(HttpContext context, string method)
    {
        if (!string.Equals(context.Request.Method, method, StringComparison.OrdinalIgnoreCase))
        {
            throw MethodNotAllowed(context.Request.Method);
        }
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException error)
        {
            throw new StoreException(400, "BadRequest", $"the request body is not valid JSON: {error.Message}");
        }
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        var mediaType = (context.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        if (!mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) && !mediaType.Equals("*/*", StringComparison.Ordinal))
        {
            throw new StoreException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json (got \"{mediaType}\")");
        }

        return await ReadJsonAsync(context) as JsonObject
            ?? throw new StoreException(400, "BadRequest", "the request body must be a JSON object");
    }

    /// <summary>Clients may omit kind/apiVersion (the endpoint implies them) but may not contradict the endpoint.</summary>
    private static void ApplyTypeMeta(ResourceKind kind, JsonObject body)
    {
        var apiVersion = JsonTools.GetString(body, "apiVersion");
        var kindName = JsonTools.GetString(body, "kind");
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != kind.ApiVersion)
        {
            throw new StoreException(400, "BadRequest", $"the API version in the data ({apiVersion}) does not match the expected API version ({kind.ApiVersion})");
        }

        if (!string.IsNullOrEmpty(kindName) && kindName != kind.Kind)
        {
            throw new StoreException(400, "BadRequest", $"the kind in the data ({kindName}) does not match the expected kind ({kind.Kind})");
        }

        body["apiVersion"] = kind.ApiVersion;
        body["kind"] = kind.Kind;
        if (body["metadata"] is null)
        {
            body["metadata"] = new JsonObject();
        }
        else if (body["metadata"] is not JsonObject)
        {
            throw new StoreException(400, "BadRequest", "metadata must be an object");
        }
    }

    /// <summary>The namespace in the URL wins; a different one in the body is an error, as on the real server.</summary>
    private static void ApplyNamespace(ResourceKind kind, string? ns, JsonObject body)
    {
        var metadata = JsonTools.Metadata(body)!;
        if (!kind.Namespaced)
        {
            metadata.Remove("namespace");
            return;
        }

        var bodyNamespace = JsonTools.GetString(metadata, "namespace");
        if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != ns)
        {
            throw new StoreException(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        }

        metadata["namespace"] = ns;
    }

    private static StoreException PathNotFound() =>
        new(404, "NotFound", "the server could not find the requested resource");

    private static StoreException NotFound(ResourceKind kind, string name) =>
        new(404, "NotFound", $"{ClusterStore.QualifiedResource(kind)} \"{name}\" not found") { ResourcePlural = kind.Plural, Group = kind.Group, Name = name };

    private static StoreException MethodNotAllowed(string method) =>
        new(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({method})");

    // ---- response helpers ----

    private static async Task WriteFailureAsync(HttpContext context, StoreException error)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        if (error.RetryAfterSeconds is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        await WriteJsonAsync(context, error.Code, ApiDocuments.Failure(error));
    }

    private static async Task WriteObjectAsync(HttpContext context, int statusCode, StoredObject obj)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        context.Response.BodyWriter.Write(obj.Utf8);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteJsonAsync(HttpContext context, int statusCode, JsonNode document)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var pipe = context.Response.BodyWriter;
        using (var writer = new Utf8JsonWriter(pipe, JsonTools.WriterOptions))
        {
            document.WriteTo(writer);
        }

        await pipe.FlushAsync(context.RequestAborted);
    }

    /// <summary>Lists are streamed item by item so that a large list is never one large buffer.</summary>
    private static async Task WriteListAsync(HttpContext context, ResourceKind kind, long rv, string? continueToken, List<StoredObject> items)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        var pipe = context.Response.BodyWriter;
        using var writer = new Utf8JsonWriter(pipe, JsonTools.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("kind", kind.Kind + "List");
        writer.WriteString("apiVersion", kind.ApiVersion);
        writer.WriteStartObject("metadata");
        writer.WriteString("resourceVersion", JsonTools.FormatRv(rv));
        if (continueToken is not null)
        {
            writer.WriteString("continue", continueToken);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("items");
        for (var i = 0; i < items.Count; i++)
        {
            items[i].WriteAsListItem(writer);
            if ((i + 1) % FlushEvery == 0)
            {
                writer.Flush();
                await pipe.FlushAsync(context.RequestAborted);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        await pipe.FlushAsync(context.RequestAborted);
    }

    /// <summary>False when the client is gone and writing more is pointless.</summary>
    private static async Task<bool> FlushAsync(PipeWriter pipe, CancellationToken cancellationToken)
    {
        var result = await pipe.FlushAsync(cancellationToken);
        return !result.IsCompleted && !result.IsCanceled;
    }
}

/// <summary>Writes watch events, one JSON object per line, in the table form when kubectl asked for tables.</summary>
internal sealed class WatchStreamWriter(PipeWriter pipe, ResourceKind kind, TableFormat? table, TimeProvider time) : IDisposable
{
    private readonly Utf8JsonWriter _writer = new(pipe, JsonTools.WriterOptions);
    private bool _headersWritten;

    public void Write(WatchItem item)
    {
        if (item.RawLine is { } line)
        {
            pipe.Write(line);
            pipe.Write("\n"u8);
            return;
        }

        Write(item.Type, item.Object);
    }

    public void Write(string type, StoredObject obj)
    {
        if (table is not null && type is "ADDED" or "MODIFIED" or "DELETED")
        {
            var rv = long.TryParse(obj.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;

            // Like the real server, only the first table of a watch carries the column headers.
            Write(type, ApiDocuments.Table(kind, table, [obj], !_headersWritten, rv, null, time.GetUtcNow()));
            _headersWritten = true;
            return;
        }

        Begin(type);
        obj.WriteTo(_writer);
        End();
    }

    public void Write(string type, JsonNode obj)
    {
        Begin(type);
        obj.WriteTo(_writer);
        End();
    }

    private void Begin(string type)
    {
        _writer.Reset(pipe);
        _writer.WriteStartObject();
        _writer.WriteString("type", type);
        _writer.WritePropertyName("object");
    }

    private void End()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        pipe.Write("\n"u8);
    }

    public void Dispose() => _writer.Dispose();
}

/// <summary>An immutable copy of the options the server reads while running.</summary>
internal sealed record ServerSettings(string GitVersion, TimeSpan BookmarkInterval, TimeProvider Time)
{
    public IReadOnlyDictionary<string, SimulatedUser> Tokens { get; init; } = new Dictionary<string, SimulatedUser>();
    public IReadOnlyList<NonResourceGrant> NonResourceGrants { get; init; } = [];
}
