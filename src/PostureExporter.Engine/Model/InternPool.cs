using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PostureExporter.Engine.Model;

/// <summary>
/// One shared instance per distinct value (by the value's equality), with a count of its users: the model holds a
/// namespace's name or a ReplicaSet's ownerReference once, not once per pod. A value is forgotten when its last user
/// releases it, so names that come and go (namespaces of CI runs) do not pile up. Unlike string.Intern the pool
/// belongs to one model and empties with it. Not thread-safe: the model's single writer owns it.
/// </summary>
public sealed class InternPool<T> where T : class
{
    private readonly Dictionary<T, (T Shared, int Users)> _entries;

    public InternPool(IEqualityComparer<T>? comparer = null) => _entries = new(comparer);

    /// <summary>Distinct values held.</summary>
    public int Count => _entries.Count;

    /// <summary>The shared instance equal to <paramref name="value"/> (the value itself when new), counted as one more user.</summary>
    public T Acquire(T value)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, value, out var exists);
        if (!exists)
        {
            entry.Shared = value;
        }
        entry.Users++;
        return entry.Shared;
    }

    /// <summary>One user fewer of the value (a no-op for a value not held).</summary>
    public void Release(T value)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, value);
        if (Unsafe.IsNullRef(ref entry))
        {
            return;
        }
        if (--entry.Users == 0)
        {
            _entries.Remove(value);
        }
    }

    /// <summary>Users of the value (0 when not held), for tests and diagnostics.</summary>
    public int UsersOf(T value) => _entries.TryGetValue(value, out var entry) ? entry.Users : 0;
}

/// <summary>
/// A set of objects compared by reference, sized for what the model's indexes mostly hold: a few members (the pods
/// of one ReplicaSet, the ReplicaSets of one Deployment). Up to <see cref="SmallLimit"/> members live in a plain
/// array searched linearly (a HashSet costs ~250 bytes for 4 members, this ~80); beyond that a HashSet keeps adding
/// and removing constant-time for workloads of thousands of pods. Enumerate a copy when changing the set meanwhile.
/// </summary>
public class RefSet<T> : IEnumerable<T> where T : class
{
    internal const int SmallLimit = 8;

    private T[] _small = [];
    private int _count;
    private HashSet<T>? _large;

    public int Count => _large?.Count ?? _count;

    /// <summary>Adds the member; false when it was already there.</summary>
    public bool Add(T item)
    {
        if (_large is not null)
        {
            return _large.Add(item);
        }
        if (IndexOf(item) >= 0)
        {
            return false;
        }
        if (_count == SmallLimit)
        {
            _large = new HashSet<T>(_small, ReferenceEqualityComparer.Instance);
            _small = [];
            _count = 0;
            return _large.Add(item);
        }
        if (_count == _small.Length)
        {
            Array.Resize(ref _small, Math.Max(1, _count * 2));
        }
        _small[_count++] = item;
        return true;
    }

    /// <summary>Removes the member; false when it was not there.</summary>
    public bool Remove(T item)
    {
        if (_large is not null)
        {
            return _large.Remove(item);
        }
        var i = IndexOf(item);
        if (i < 0)
        {
            return false;
        }
        // Order does not matter: the last member takes the freed slot.
        _small[i] = _small[--_count];
        _small[_count] = null!;
        return true;
    }

    public bool Contains(T item) => _large?.Contains(item) ?? IndexOf(item) >= 0;

    private int IndexOf(T item)
    {
        for (var i = 0; i < _count; i++)
        {
            if (ReferenceEquals(_small[i], item))
            {
                return i;
            }
        }
        return -1;
    }

    public IEnumerator<T> GetEnumerator()
    {
        if (_large is not null)
        {
            foreach (var item in _large)
            {
                yield return item;
            }
            yield break;
        }
        for (var i = 0; i < _count; i++)
        {
            yield return _small[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
