using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using PostureExporter.Engine.Model;
using PostureExporter.Metrics;

namespace PostureExporter.Informers;

/// <summary>Informer timing; the defaults are for production, tests shorten them.</summary>
internal sealed record InformerTiming(TimeSpan IdleTimeout, int PageSize = 500, int MinWatchSeconds = 300)
{
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);
    /// <summary>A watch that stayed up this long resets the backoff when it ends.</summary>
    public static readonly TimeSpan HealthyPeriod = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A reflector for one kind: paginated LIST, then WATCH from the list's resourceVersion with bookmarks; relist
/// on 410 Gone; reconnect with jittered exponential backoff (Polly). The client-side idle deadline exists
/// because the client's watch has no timeout of its own and hangs forever on a silently dropped connection.
/// </summary>
internal sealed partial class ResourceInformer(
    ResourceDescriptor resource,
    KubeApi api,
    ChannelWriter<InformerEvent> events,
    ExporterHealthMetrics health,
    InformerTiming timing,
    TimeProvider time,
    ILogger logger)
{
    private volatile bool _synced;
    // The health series an event touches, looked up once per event type instead of by label values per event.
    private readonly Dictionary<string, (Prometheus.Counter.Child Events, Prometheus.Gauge.Child LastEvent)> _counters = [];
    private string? _resourceVersion;
    // Written by the informer, read by /healthz: a long (UTC ticks, 0 = up) is read and written whole.
    private long _downSinceTicks;

    public ResourceDescriptor Resource => resource;

    /// <summary>True once a LIST was applied and the watch is live.</summary>
    public bool HasSynced => _synced;

    /// <summary>When the watch went down (null while it is up or before the first sync).</summary>
    /// <summary>When the last watch event (bookmarks included) arrived; null before the first.</summary>
    public DateTimeOffset? LastEventAt => Interlocked.Read(ref _lastEventTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    private long _lastEventTicks;

    public DateTimeOffset? DownSince => Interlocked.Read(ref _downSinceTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>True once the first LIST was applied; stays true through later outages (the state is kept).</summary>
    public bool EverSynced { get; private set; }

    private sealed class WatchEnded(string reason, bool relist) : Exception(reason)
    {
        public string Reason { get; } = reason;
        public bool Relist { get; } = relist;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || !ct.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = InformerTiming.FirstBackoff,
                MaxDelay = InformerTiming.MaxBackoff,
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    MarkDown();
                    var reason = args.Outcome.Exception is WatchEnded w ? w.Reason : ReasonOf(args.Outcome.Exception);
                    health.WatchRestarts.WithLabels(resource.Resource, reason).Inc();
                    LogRetry(logger, resource.Resource, reason, args.RetryDelay, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Each healthy watch ends by returning, so the next ExecuteAsync starts the backoff afresh.
                await pipeline.ExecuteAsync(async token => await ListAndWatchOnceAsync(token), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }
        _synced = false;
    }

    private void MarkDown()
    {
        _synced = false;
        Interlocked.CompareExchange(ref _downSinceTicks, time.GetUtcNow().UtcTicks, 0);
        health.InformerSynced.WithLabels(resource.Resource).Set(0);
    }

    private static TimeSpan? RetryAfter(Exception? e) =>
        e is HttpOperationException { Response: { } r } && (int)r.StatusCode == 429
            && r.Headers.TryGetValue("Retry-After", out var values)
            && int.TryParse(values.FirstOrDefault(), out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(Math.Min(seconds, 300))
            : null;

    private static string ReasonOf(Exception? e) => e switch
    {
        HttpOperationException { Response: { } r } => $"http_{(int)r.StatusCode}",
        HttpRequestException => "connection",
        IOException => "connection",
        OperationCanceledException => "idle_timeout",
        _ => "error",
    };

    private async Task ListAndWatchOnceAsync(CancellationToken ct)
    {
        if (_resourceVersion is null)
        {
            await ListAsync(ct);
        }
        var started = time.GetUtcNow();
        try
        {
            await WatchAsync(ct);
        }
        catch (WatchEnded e) when (!e.Relist && IsHealthyEnd(e, time.GetUtcNow() - started))
        {
            // The server ended a watch that worked (its timeoutSeconds), or a long healthy watch broke:
            // reconnect at once, with the backoff reset and without marking the kind unsynced.
            health.WatchRestarts.WithLabels(resource.Resource, e.Reason).Inc();
        }
    }

    private static bool IsHealthyEnd(WatchEnded e, TimeSpan lasted) =>
        lasted > InformerTiming.HealthyPeriod || (e.Reason == "closed" && lasted > TimeSpan.FromSeconds(1));

    /// <summary>Pages of a LIST decoded at once while the next is fetched: two keep both cores busy on a large list.</summary>
    private const int PagesDecodedAhead = 2;

    /// <summary>
    /// A paginated LIST. Each page needs the previous one's continue token, so pages are fetched one after another;
    /// but a page is read whole and its token read first, so the next request goes out while the page is decoded
    /// and projected on the thread pool (up to <see cref="PagesDecodedAhead"/> pages at once). The pages are applied
    /// in order; their buffers are reused within the list and dropped after it.
    /// </summary>
    private async Task ListAsync(CancellationToken ct)
    {
        var all = new List<ModelObject>();
        var decoding = new Queue<Task<(List<ModelObject> Objects, byte[] Buffer)>>();
        var spare = new Stack<byte[]>();
        var largest = 0;
        string? cont = null;
        var rv = "";
        try
        {
            do
            {
                ListPageBytes page;
                try
                {
                    // A new buffer is made the size of the largest page yet, so it need not grow by doubling.
                    var buffer = spare.TryPop(out var reused) ? reused : largest > 0 ? GC.AllocateUninitializedArray<byte>(largest + largest / 4) : null;
                    page = await api.FetchListPageAsync(resource.Path, cont, timing.PageSize, buffer, ct);
                }
                catch (HttpOperationException e) when ((int?)e.Response?.StatusCode == 410 && cont is not null)
                {
                    // The continue token expired mid-list: start the list again.
                    throw new WatchEnded("list_expired", relist: true);
                }
                largest = Math.Max(largest, page.Length);
                rv = page.ResourceVersion;
                cont = page.Continue;
                decoding.Enqueue(Task.Run(() => (Project(resource.Decode(page)), page.Buffer), ct));
                while (decoding.Count > (cont is null ? 0 : PagesDecodedAhead - 1))
                {
                    var (objects, used) = await decoding.Dequeue();
                    spare.Push(used);
                    all.AddRange(objects);
                    if (!EverSynced && objects.Count > 0)
                    {
                        // The first list only: the engine has not evaluated anything yet, so a half-applied list is
                        // never seen. A later relist (after 410 Gone) stays one event, applied at once.
                        await events.WriteAsync(new ListedPage(resource, objects), ct);
                    }
                }
            }
            while (cont is not null);
        }
        catch
        {
            // A failed list starts again from its first page: let the pages still being decoded finish first.
            // Their own failures are of the list that is failing already.
            try
            {
                await Task.WhenAll(decoding);
            }
            catch (Exception)
            {
            }
            throw;
        }

        await events.WriteAsync(new Relisted(resource, all), ct);
        _resourceVersion = rv;
        EverSynced = true;
        LogListed(logger, resource.Resource, all.Count, rv);
    }

    private List<ModelObject> Project(ListPage page)
    {
        foreach (var bad in page.BadItems)
        {
            // One object the decoder could not read: counted and logged, the rest of the list goes on.
            health.DecodeErrors.WithLabels(resource.Resource).Inc();
            LogDecodeError(logger, resource.Resource, "(list item)", bad.Message);
        }
        var projected = new List<ModelObject>(page.Items.Count);
        foreach (var item in page.Items)
        {
            if (Project(item) is { } o)
            {
                projected.Add(o);
            }
        }
        return projected;
    }

    private ModelObject? Project(IKubernetesObject<V1ObjectMeta> obj)
    {
        try
        {
            return Projector.Project(obj);
        }
        catch (Exception e)
        {
            health.DecodeErrors.WithLabels(resource.Resource).Inc();
            LogDecodeError(logger, resource.Resource, $"{obj.Metadata?.NamespaceProperty}/{obj.Metadata?.Name}", e.Message);
            return null;
        }
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(timing.IdleTimeout);
        // Server-side timeout spread between 1x and 2x the minimum, like client-go, so watches do not all end together.
        var timeoutSeconds = timing.MinWatchSeconds + Random.Shared.Next(timing.MinWatchSeconds + 1);
        var live = false;
        try
        {
            await foreach (var line in resource.Watch(api, _resourceVersion!, timeoutSeconds, idle.Token))
            {
                idle.CancelAfter(timing.IdleTimeout);
                if (!live)
                {
                    MarkLive();
                    live = true;
                }
                if (line.DecodeError is { } error)
                {
                    // One unreadable line or object: count it, log it, and keep the watch.
                    health.DecodeErrors.WithLabels(resource.Resource).Inc();
                    LogDecodeError(logger, resource.Resource, "(watch line)", error.Message);
                    continue;
                }
                if (line.Status is { } status)
                {
                    // An ERROR event ends the watch; 410 Gone means the version is too old to resume from.
                    if (status.Code == 410 || (status.Message ?? "").Contains("too old resource version", StringComparison.OrdinalIgnoreCase))
                    {
                        _resourceVersion = null;
                        throw new WatchEnded("expired", relist: true);
                    }
                    throw new WatchEnded(status.Code is { } code ? $"http_{code}" : "error", relist: false);
                }
                await HandleAsync(line.Type, line.Object!, ct);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new WatchEnded("idle_timeout", relist: false);
        }
        // The server closed the stream (timeoutSeconds): normal; resume from the last resourceVersion.
        if (!live)
        {
            MarkLive();
        }
        throw new WatchEnded("closed", relist: false);
    }

    private void MarkLive()
    {
        _synced = true;
        Interlocked.Exchange(ref _downSinceTicks, 0);
        health.InformerSynced.WithLabels(resource.Resource).Set(1);
    }

    private async Task HandleAsync(string type, IKubernetesObject<V1ObjectMeta> obj, CancellationToken ct)
    {
        var counters = Counters(type);
        counters.Events.Inc();
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref _lastEventTicks, now.UtcTicks);
        counters.LastEvent.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        if (obj.Metadata?.ResourceVersion is { Length: > 0 } rv)
        {
            _resourceVersion = rv;
        }
        switch (type)
        {
            case "ADDED" or "MODIFIED":
                if (Project(obj) is { } projected)
                {
                    await events.WriteAsync(new ObjectUpserted(resource, projected, type), ct);
                }
                break;
            case "DELETED":
                await events.WriteAsync(new ObjectDeleted(resource, Projector.KeyOf(obj, resource.Kind)), ct);
                break;
        }
    }

    private (Prometheus.Counter.Child Events, Prometheus.Gauge.Child LastEvent) Counters(string type)
    {
        if (!_counters.TryGetValue(type, out var c))
        {
            c = (health.WatchEvents.WithLabels(resource.Resource, type), health.LastEvent.WithLabels(resource.Resource));
            _counters[type] = c;
        }
        return c;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "listed {Resource}: {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string resource, int count, string resourceVersion);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "watch of {Resource} restarts ({Reason}) in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, string resource, string reason, TimeSpan delay, string? error);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "cannot read {Resource} {Object}: {Error}; skipped and counted")]
    private static partial void LogDecodeError(ILogger logger, string resource, string @object, string error);
}
