using Vouch.Gate.Packuments;

namespace Vouch.Gate;

/// <summary>One package's packument as the gate serves it, with what it was decided under.</summary>
internal sealed class PackumentEntry
{
    private (DateTimeOffset At, byte[] Full, byte[] Abbreviated)? _stale;

    public required FilteredPackument Filtered { get; init; }

    public required byte[] Raw { get; init; }

    public string? UpstreamETag { get; init; }

    /// <summary>When the upstream last confirmed these bytes (200 or 304); read back from disk for a persisted copy.</summary>
    public required DateTimeOffset FetchedAt { get; set; }

    /// <summary>The last attempt to revalidate failed: this is the last good copy.</summary>
    public bool Stale { get; set; }

    public required long ApprovalsVersion { get; init; }

    public required string PolicyVersion { get; init; }

    public long Cost => Filtered.CostBytes(Raw.Length);

    /// <summary>Both forms marked stale, rendered once per <see cref="FetchedAt"/>.</summary>
    public (byte[] Full, byte[] Abbreviated) StaleForms()
    {
        var at = FetchedAt;
        if (_stale is { } s && s.At == at)
        {
            return (s.Full, s.Abbreviated);
        }

        var full = PackumentFilter.RenderStale(Filtered.Full, PolicyVersion, Filtered.Withheld, at);
        var abbreviated = PackumentFilter.RenderStale(Filtered.Abbreviated, PolicyVersion, Filtered.Withheld, at);
        _stale = (at, full, abbreviated);
        return (full, abbreviated);
    }
}

/// <summary>
/// The in-memory packument cache, bounded by bytes (<see cref="GateOptions.PackumentCacheBytes"/>):
/// when an insert would pass the bound, least recently used entries are dropped. An entry larger
/// than the whole bound is not kept at all (it is still served, once). Evicted packuments come
/// back from the upstream, or from the disk copy when the upstream is down.
/// </summary>
internal sealed class PackumentCache(GateOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<(string Name, PackumentEntry Entry)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Name, PackumentEntry Entry)> _lru = new();
    private long _bytes;

    public long Capacity => options.PackumentCacheBytes;

    /// <summary>Accounted bytes of every entry held (see <see cref="FilteredPackument.CostBytes"/>).</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public long Evictions { get; private set; }

    public bool TryGet(string name, out PackumentEntry entry)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(name, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                entry = node.Value.Entry;
                return true;
            }
        }

        entry = null!;
        return false;
    }

    public void Set(string name, PackumentEntry entry)
    {
        var cost = entry.Cost;
        lock (_lock)
        {
            if (_map.Remove(name, out var old))
            {
                _lru.Remove(old);
                _bytes -= old.Value.Entry.Cost;
            }

            if (cost > Capacity)
            {
                return;
            }

            while (_bytes + cost > Capacity && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Name);
                _bytes -= last.Value.Entry.Cost;
                Evictions++;
            }

            _map[name] = _lru.AddFirst((name, entry));
            _bytes += cost;
        }
    }

    public void Remove(string name)
    {
        lock (_lock)
        {
            if (_map.Remove(name, out var node))
            {
                _lru.Remove(node);
                _bytes -= node.Value.Entry.Cost;
            }
        }
    }

    public IReadOnlyList<PackumentEntry> Snapshot()
    {
        lock (_lock)
        {
            return _lru.Select(n => n.Entry).ToList();
        }
    }
}
