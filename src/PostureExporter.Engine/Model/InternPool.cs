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

    public void TrimExcess() => _entries.TrimExcess();

    /// <summary>Users of the value (0 when not held), for tests and diagnostics.</summary>
    public int UsersOf(T value) => _entries.TryGetValue(value, out var entry) ? entry.Users : 0;
}

/// <summary>
/// A set of objects compared by reference, sized for what the model's indexes mostly hold: a few members (the pods
/// of one ReplicaSet, the one ReplicaSet of a Deployment). One member is held as itself, up to
/// <see cref="SmallLimit"/> in a plain array searched linearly (a HashSet costs ~250 bytes for 4 members, this ~70);
/// beyond that a HashSet keeps adding and removing constant-time for workloads of thousands of pods. Enumerate a
/// copy when changing the set meanwhile. (T is a model type: never an array or a HashSet itself.)
/// </summary>
public class RefSet<T> : IEnumerable<T> where T : class
{
    internal const int SmallLimit = 8;

    // null (empty), the one member, an array whose first _count slots are the members, or a HashSet.
    private object? _items;
    private int _count;

    public int Count => _items is HashSet<T> large ? large.Count : _count;

    /// <summary>Adds the member; false when it was already there.</summary>
    public bool Add(T item)
    {
        switch (_items)
        {
            case null:
                (_items, _count) = (item, 1);
                return true;
            case HashSet<T> large:
                return large.Add(item);
            case T[] small:
                if (IndexOf(small, item) >= 0)
                {
                    return false;
                }
                if (_count == SmallLimit)
                {
                    _items = new HashSet<T>(small, ReferenceEqualityComparer.Instance) { item };
                    _count = 0;
                    return true;
                }
                if (_count == small.Length)
                {
                    Array.Resize(ref small, _count * 2);
                    _items = small;
                }
                small[_count++] = item;
                return true;
            default:
                if (ReferenceEquals(_items, item))
                {
                    return false;
                }
                (_items, _count) = (new[] { (T)_items, item }, 2);
                return true;
        }
    }

    /// <summary>Removes the member; false when it was not there.</summary>
    public bool Remove(T item)
    {
        switch (_items)
        {
            case null:
                return false;
            case HashSet<T> large:
                return large.Remove(item);
            case T[] small:
                var i = IndexOf(small, item);
                if (i < 0)
                {
                    return false;
                }
                // Order does not matter: the last member takes the freed slot; a last one left is held as itself.
                small[i] = small[--_count];
                small[_count] = null!;
                if (_count == 1)
                {
                    _items = small[0];
                }
                return true;
            default:
                if (!ReferenceEquals(_items, item))
                {
                    return false;
                }
                (_items, _count) = (null, 0);
                return true;
        }
    }

    public bool Contains(T item) => _items switch
    {
        null => false,
        HashSet<T> large => large.Contains(item),
        T[] small => IndexOf(small, item) >= 0,
        _ => ReferenceEquals(_items, item),
    };

    private int IndexOf(T[] small, T item)
    {
        for (var i = 0; i < _count; i++)
        {
            if (ReferenceEquals(small[i], item))
            {
                return i;
            }
        }
        return -1;
    }

    public IEnumerator<T> GetEnumerator()
    {
        switch (_items)
        {
            case null:
                yield break;
            case HashSet<T> large:
                foreach (var item in large)
                {
                    yield return item;
                }
                break;
            case T[] small:
                for (var i = 0; i < _count; i++)
                {
                    yield return small[i];
                }
                break;
            default:
                yield return (T)_items;
                break;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
