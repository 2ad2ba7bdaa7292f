using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PostureExporter.Simulator;

/// <summary>
/// Fault injection: the failures a real API server and the network between it and a client produce, on demand,
/// so that clients (the exporter's informers above all) can be tested against them. Reachable in-process through
/// <see cref="SimulatedCluster.Faults"/> and over HTTP as <c>POST /simulator/faults/{name}</c> (see the README).
/// </summary>
/// <remarks>
/// Watch faults act on the watches open at the moment of the call; watches opened later behave normally.
/// Outage and throttle are time windows checked on every API request; <c>/simulator/*</c> is never refused.
/// </remarks>
public sealed class ClusterFaults
{
    /// <summary>Longest outage or throttle window accepted; longer ones are almost certainly a unit mistake.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(1);

    private readonly ClusterStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset? _outageUntil;
    private DateTimeOffset? _throttleUntil;

    internal ClusterFaults(ClusterStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    /// <summary>Time left of the current outage, or null when there is none.</summary>
    public TimeSpan? OutageRemaining => Remaining(ref _outageUntil);

    /// <summary>Time left of the current throttle window, or null when there is none.</summary>
    public TimeSpan? ThrottleRemaining => Remaining(ref _throttleUntil);

    /// <summary>
    /// Aborts the connection of every open watch (hung ones included), so each client sees a broken stream, not
    /// a clean end. Returns how many watches were dropped.
    /// </summary>
    public int DropWatches() => _store.InterruptWatches(WatchFault.Dropped);

    /// <summary>
    /// Makes every open watch go silent: no more events, no bookmarks, and <c>timeoutSeconds</c> no longer ends it,
    /// but the connection stays open until the client hangs up, the watch is dropped, or the cluster is disposed.
    /// Returns how many watches were hung (watches already hung are not counted again).
    /// </summary>
    public int HangWatches() => _store.InterruptWatches(WatchFault.Hung);

    /// <summary>
    /// Forgets the watch history: a watch or a list continue token from a resourceVersion older than the current
    /// one gets 410 Gone from now on. Open watches are not affected.
    /// </summary>
    public CompactionResult Compact() => _store.Compact();

    /// <summary>
    /// For <paramref name="duration"/>, every API request (everything but <c>/simulator/*</c>) is answered 503 with
    /// a Status; every open watch is dropped as it starts. A new outage replaces a running one.
    /// </summary>
    public OutageResult StartOutage(TimeSpan duration)
    {
        var until = Until(duration);
        lock (_gate)
        {
            _outageUntil = until;
        }

        // The window is set before the drop: a watch that registers after the drop sees it and is refused (ApiServer).
        return new OutageResult(until, DropWatches());
    }

    /// <summary>
    /// For <paramref name="duration"/>, every API request is answered 429 TooManyRequests with a Retry-After header
    /// (seconds left, at least 1). Open watches carry on. A new throttle window replaces a running one.
    /// </summary>
    public DateTimeOffset StartThrottle(TimeSpan duration)
    {
        var until = Until(duration);
        lock (_gate)
        {
            _throttleUntil = until;
        }

        return until;
    }

    /// <summary>Ends an outage and a throttle window early; says which of them were running.</summary>
    public ClearResult Clear()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var result = new ClearResult(_outageUntil > now, _throttleUntil > now);
            _outageUntil = null;
            _throttleUntil = null;
            return result;
        }
    }

    /// <summary>
    /// Writes one line that is not valid JSON (a watch event cut off in the middle) into every open watch of
    /// <paramref name="resource"/> (a plural such as "pods"); the watches then carry on normally. Returns how many
    /// watches got it.
    /// </summary>
    public int WriteMalformedWatchLine(string resource)
    {
        var kind = Resource(resource);
        return _store.Inject(kind, _ => WatchItem.Raw(Encoding.UTF8.GetBytes(
            $$"""{"type":"ADDED","object":{"apiVersion":"{{kind.ApiVersion}}","kind":"{{kind.Kind}}","metadata":{"name":"malformed""")));
    }

    /// <summary>
    /// Writes one ADDED event whose object has the wrong shape for its kind (<c>metadata.name</c> is a number, which
    /// no decoder of any kind accepts, full or metadata-only) into every open watch of <paramref name="resource"/>,
    /// without storing anything. Returns how many watches got it.
    /// </summary>
    public int WriteUnexpectedShape(string resource)
    {
        var kind = Resource(resource);
        return _store.Inject(kind, rv => WatchItem.Raw(UnexpectedShapeEvent(kind, rv)));
    }

    /// <summary>
    /// Until the returned handle is disposed, <c>/version</c> requests wait for an answer (an API server slow to
    /// give it), so a client can be shown not to depend on when it arrives. In-process only. A new hold replaces a
    /// running one, which is released.
    /// </summary>
    public IDisposable HoldVersion()
    {
        var hold = new VersionHold(this);
        VersionHold? previous;
        lock (_gate)
        {
            previous = _versionHold;
            _versionHold = hold;
        }
        previous?.Dispose();
        return hold;
    }

    /// <summary>Completes when /version may be answered.</summary>
    internal Task VersionReleased()
    {
        lock (_gate)
        {
            return _versionHold?.Released.Task ?? Task.CompletedTask;
        }
    }

    private VersionHold? _versionHold;

    private sealed class VersionHold(ClusterFaults faults) : IDisposable
    {
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            lock (faults._gate)
            {
                if (faults._versionHold == this)
                {
                    faults._versionHold = null;
                }
            }
            Released.TrySetResult();
        }
    }

    /// <summary>The refusal an API request gets right now (outage first, then throttle), or null to serve it.</summary>
    internal StoreException? Refusal()
    {
        if (OutageRemaining is { } outage)
        {
            return new StoreException(503, "ServiceUnavailable", $"the simulated cluster is unavailable (injected outage, {Seconds(outage)}s left)");
        }

        if (ThrottleRemaining is { } throttle)
        {
            return new StoreException(429, "TooManyRequests", "Too many requests, please try again later. (injected throttle)")
            {
                RetryAfterSeconds = Seconds(throttle),
            };
        }

        return null;
    }

    internal static ResourceKind? FindResource(string? resource) =>
        string.IsNullOrEmpty(resource) ? null : ResourceCatalog.FindPlural(resource);

    private static ResourceKind Resource(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return FindResource(resource)
            ?? throw new ArgumentException($"the simulated cluster serves no resource \"{resource}\" (use a plural such as \"pods\")", nameof(resource));
    }

    private static byte[] UnexpectedShapeEvent(ResourceKind kind, long rv)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "ADDED");
            writer.WriteStartObject("object");
            writer.WriteString("apiVersion", kind.ApiVersion);
            writer.WriteString("kind", kind.Kind);
            writer.WriteStartObject("metadata");
            writer.WriteNumber("name", 12345);
            if (kind.Namespaced)
            {
                writer.WriteString("namespace", "default");
            }

            writer.WriteString("resourceVersion", rv.ToString(CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Whole seconds, rounded up, at least 1: what Retry-After and the messages say.</summary>
    private static int Seconds(TimeSpan left) => Math.Max(1, (int)Math.Ceiling(left.TotalSeconds));

    private DateTimeOffset Until(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(duration, MaxWindow);
        return _time.GetUtcNow() + duration;
    }

    private TimeSpan? Remaining(ref DateTimeOffset? until)
    {
        lock (_gate)
        {
            var left = until - _time.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }
}

/// <summary>What <see cref="ClusterFaults.Compact"/> did.</summary>
/// <param name="ResourceVersion">The revision the history now starts at: anything older answers 410 Gone.</param>
/// <param name="ForgottenEvents">How many retained events were dropped.</param>
public sealed record CompactionResult(long ResourceVersion, int ForgottenEvents);

/// <summary>What <see cref="ClusterFaults.StartOutage"/> did.</summary>
/// <param name="Until">When API requests are served again.</param>
/// <param name="DroppedWatches">How many open watches were aborted as the outage started.</param>
public sealed record OutageResult(DateTimeOffset Until, int DroppedWatches);

/// <summary>What <see cref="ClusterFaults.Clear"/> ended.</summary>
public sealed record ClearResult(bool EndedOutage, bool EndedThrottle);
