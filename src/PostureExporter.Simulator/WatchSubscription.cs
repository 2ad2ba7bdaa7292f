using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace PostureExporter.Simulator;

/// <summary>One line of a watch stream: ADDED, MODIFIED, DELETED or BOOKMARK plus the object to send.</summary>
internal readonly record struct WatchItem(string Type, StoredObject Object)
{
    private static readonly StoredObject Nothing = StoredObject.From(new System.Text.Json.Nodes.JsonObject());

    /// <summary>Set only by fault injection: bytes written as one line exactly as they are, instead of Type and Object.</summary>
    public byte[]? RawLine { get; init; }

    /// <summary>A line that goes out verbatim (fault injection: malformed JSON, objects of the wrong shape).</summary>
    public static WatchItem Raw(byte[] line) => new("RAW", Nothing) { RawLine = line };
}

/// <summary>What fault injection did to a watch; a watch only ever moves forward: None, then Hung, then Dropped.</summary>
internal enum WatchFault
{
    None,

    /// <summary>Nothing more is written (no events, no bookmarks), the connection stays open.</summary>
    Hung,

    /// <summary>The connection is aborted, so the client sees a broken stream rather than a clean end.</summary>
    Dropped,
}

/// <summary>
/// A registered watcher. The store writes to its bounded channel under the store lock with TryWrite only, so a
/// slow reader can never stall a writer: when the buffer is full the subscription is completed and the HTTP
/// stream ends, exactly like the real API server drops a slow watcher; the client then re-watches from the last
/// resourceVersion it saw.
/// </summary>
[SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token sources have no timer and nobody reads their WaitHandle, so disposing releases nothing; it would only race with a fault being signalled from another thread.")]
internal sealed class WatchSubscription
{
    private readonly Channel<WatchItem> _channel;

    // Cancelled by the first fault (hang or drop): the HTTP writer stops writing.
    private readonly CancellationTokenSource _interrupted = new();

    // Cancelled by a drop, also of a hung watch: the HTTP handler aborts the connection.
    private readonly CancellationTokenSource _dropped = new();
    private volatile WatchFault _fault;

    public WatchSubscription(ResourceKind kind, ObjectFilter filter, int capacity)
    {
        Kind = kind;
        Filter = filter;
        _channel = Channel.CreateBounded<WatchItem>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            // Continuations must not run inline on the writer's thread while it holds the store lock.
            AllowSynchronousContinuations = false,
        });
    }

    public ResourceKind Kind { get; }

    public ObjectFilter Filter { get; }

    public ChannelReader<WatchItem> Reader => _channel.Reader;

    /// <summary>Set when the store dropped this watcher because its buffer was full.</summary>
    public bool Overflowed { get; private set; }

    public bool Completed { get; private set; }

    /// <summary>Written under the store lock before the tokens below are cancelled.</summary>
    public WatchFault Fault => _fault;

    /// <summary>Cancelled when the watch is hung or dropped.</summary>
    public CancellationToken Interrupted => _interrupted.Token;

    /// <summary>Cancelled when the watch is dropped.</summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>Called under the store lock: from now on the store publishes nothing more to this watch.</summary>
    internal void MarkFault(WatchFault fault)
    {
        if (fault > _fault)
        {
            _fault = fault;
        }
    }

    /// <summary>
    /// Called outside the store lock, after <see cref="MarkFault"/>: cancellation callbacks (the HTTP writer's
    /// linked tokens) run synchronously and must not run while a writer holds the store lock.
    /// </summary>
    internal void SignalFault()
    {
        if (_fault >= WatchFault.Hung)
        {
            _interrupted.Cancel();
        }

        if (_fault == WatchFault.Dropped)
        {
            _dropped.Cancel();
        }
    }

    /// <summary>Called under the store lock. Returns false (and completes the subscription) when the buffer is full.</summary>
    internal bool TryPublish(WatchItem item)
    {
        if (Completed)
        {
            return false;
        }

        if (_fault != WatchFault.None)
        {
            // A hung watch stays registered (its connection is open) but swallows everything.
            return true;
        }

        if (_channel.Writer.TryWrite(item))
        {
            return true;
        }

        Overflowed = true;
        Complete();
        return false;
    }

    internal void Complete()
    {
        Completed = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>How a committed change looks to this watcher: selector transitions become ADDED/DELETED as on a real server.</summary>
    internal static WatchItem? Classify(StoredEvent change, ObjectFilter filter)
    {
        switch (change.Type)
        {
            case ChangeType.Added:
                return filter.Matches(change.Object, change.Key) ? new WatchItem("ADDED", change.Object) : null;
            case ChangeType.Deleted:
                return filter.Matches(change.Previous!, change.Key) ? new WatchItem("DELETED", change.Object) : null;
            default:
                var was = filter.Matches(change.Previous!, change.Key);
                var now = filter.Matches(change.Object, change.Key);
                return (was, now) switch
                {
                    (true, true) => new WatchItem("MODIFIED", change.Object),
                    (false, true) => new WatchItem("ADDED", change.Object),
                    (true, false) => new WatchItem("DELETED", change.Object),
                    _ => null,
                };
        }
    }
}
