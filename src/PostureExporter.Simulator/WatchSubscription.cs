using System.Threading.Channels;

namespace PostureExporter.Simulator;

/// <summary>One line of a watch stream: ADDED, MODIFIED, DELETED or BOOKMARK plus the object to send.</summary>
internal readonly record struct WatchItem(string Type, StoredObject Object);

/// <summary>
/// A registered watcher. The store writes to its bounded channel under the store lock with TryWrite only, so a
/// slow reader can never stall a writer: when the buffer is full the subscription is completed and the HTTP
/// stream ends, exactly like the real API server drops a slow watcher; the client then re-watches from the last
/// resourceVersion it saw.
/// </summary>
internal sealed class WatchSubscription
{
    private readonly Channel<WatchItem> _channel;

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

    /// <summary>Called under the store lock. Returns false (and completes the subscription) when the buffer is full.</summary>
    internal bool TryPublish(WatchItem item)
    {
        if (Completed)
        {
            return false;
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
