namespace PostureExporter.Simulator;

internal enum ChangeType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>
/// One committed change. <see cref="Object"/> is the object as of <see cref="Rv"/> (for a deletion: the last
/// state stamped with the deletion's resourceVersion, as etcd reports it); <see cref="Previous"/> is the state
/// before the change, needed to tell whether a selector-filtered watcher saw the object leave, and to rebuild
/// an older snapshot for paged lists. Both are immutable and shared freely.
/// </summary>
internal sealed record StoredEvent(long Rv, ResourceKind Kind, ObjectKey Key, ChangeType Type, StoredObject Object, StoredObject? Previous);

/// <summary>
/// The last N events, oldest first, in a ring buffer that grows on demand up to its capacity (a cluster that
/// sees few writes should not pay for 100k slots up front).
/// </summary>
internal sealed class EventHistory
{
    private readonly int _capacity;
    private StoredEvent[] _items;
    private int _head;

    public EventHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _items = new StoredEvent[Math.Min(capacity, 256)];
    }

    public int Count { get; private set; }

    /// <summary>Index 0 is the oldest retained event.</summary>
    public StoredEvent this[int index] => _items[(_head + index) % _items.Length];

    /// <summary>Appends an event; returns the event that fell out of the window, if any.</summary>
    public StoredEvent? Add(StoredEvent item)
    {
        if (_capacity == 0)
        {
            return item;
        }

        if (Count == _items.Length)
        {
            if (_items.Length < _capacity)
            {
                Grow();
            }
            else
            {
                var dropped = _items[_head];
                _items[_head] = item;
                _head = (_head + 1) % _items.Length;
                return dropped;
            }
        }

        _items[(_head + Count) % _items.Length] = item;
        Count++;
        return null;
    }

    /// <summary>Index of the first retained event whose resourceVersion is greater than <paramref name="rv"/>; Count when none.</summary>
    public int FirstAfter(long rv)
    {
        int low = 0, high = Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (this[middle].Rv > rv)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    /// <summary>Forgets every event (compaction); returns how many there were.</summary>
    public int Clear()
    {
        var count = Count;
        _items = new StoredEvent[Math.Min(_capacity, 256)];
        _head = 0;
        Count = 0;
        return count;
    }

    private void Grow()
    {
        var larger = new StoredEvent[(int)Math.Min(_capacity, Math.Max(256L, _items.Length * 2L))];
        for (var i = 0; i < Count; i++)
        {
            larger[i] = this[i];
        }

        _items = larger;
        _head = 0;
    }
}
