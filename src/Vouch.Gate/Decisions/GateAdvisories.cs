using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Vouch.Advisories;
using Vouch.Npm;

namespace Vouch.Gate.Decisions;

/// <summary>
/// The advisory database as the gate reads it: opened read-only, one query at a time (a SQLite
/// connection is not safe to share between threads), answers kept per snapshot, and an import by
/// <c>vouch db update</c> (or a replaced file) noticed within <see cref="RefreshInterval"/>. The
/// snapshot digest is part of <see cref="PolicyReleaseDecider.PolicyVersion"/>, so a new snapshot
/// makes every filtered packument and cached release decision miss.
/// </summary>
public sealed class GateAdvisories : IAdvisoryDatabase, IDisposable
{
    /// <summary>How often the file is asked whether another process changed it (a cheap pragma, not a read of the records).</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>Answers kept per snapshot; beyond this they are dropped all at once.</summary>
    private const int MaxMemo = 50_000;

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<(string Name, string Version), IReadOnlyList<AdvisoryMatch>> _memo = new();
    private AdvisoryStore _store;
    private SnapshotInfo _snapshot;
    private (DateTime Written, long Length) _file;
    private DateTimeOffset _checkedAt;
    private bool _disposed;

    private GateAdvisories(string path, TimeProvider time, AdvisoryStore store)
    {
        _path = path;
        _time = time;
        _store = store;
        _snapshot = store.Snapshot;
        _file = FileStamp(path);
        _checkedAt = time.GetUtcNow();
    }

    /// <summary>Opens <paramref name="path"/> read-only. A missing or unusable file throws <see cref="AdvisoryException"/> (a configuration error: the gate does not start).</summary>
    public static GateAdvisories Open(string path, TimeProvider time)
    {
        var full = Path.GetFullPath(path);
        var store = AdvisoryStore.OpenReadOnly(full, time);
        try
        {
            return new GateAdvisories(full, time, store);
        }
        catch (SqliteException e)
        {
            store.Dispose();
            throw new AdvisoryException(AdvisoryCodes.DatabaseCorrupt, $"{full}: not a usable advisory database ({e.Message})");
        }
    }

    /// <summary>The database file (full path).</summary>
    public string FilePath => _path;

    public SnapshotInfo Snapshot
    {
        get
        {
            lock (_lock)
            {
                RefreshLocked();
                return _snapshot;
            }
        }
    }

    public IReadOnlyList<AdvisoryMatch> Lookup(string package, SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(version);
        lock (_lock)
        {
            RefreshLocked();
            var key = (package, version.ToString());
            if (_memo.TryGetValue(key, out var known))
            {
                return known;
            }

            var found = Guard(() => _store.Lookup(package, version));
            if (_memo.Count >= MaxMemo)
            {
                _memo.Clear();
            }

            _memo[key] = found;
            return found;
        }
    }

    public IReadOnlyList<IReadOnlyList<AdvisoryMatch>> LookupMany(IReadOnlyList<PackageRef> packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        lock (_lock)
        {
            RefreshLocked();
            return Guard(() => _store.LookupMany(packages));
        }
    }

    private void RefreshLocked()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var now = _time.GetUtcNow();
        if (now - _checkedAt < RefreshInterval && now >= _checkedAt)
        {
            return;
        }

        _checkedAt = now;
        var stamp = FileStamp(_path);
        if (stamp != _file)
        {
            // A different file at the path (an exported snapshot copied over it): read the new one.
            // If it cannot be opened the old connection keeps answering and the check runs again.
            try
            {
                var reopened = AdvisoryStore.OpenReadOnly(_path, _time);
                _store.Dispose();
                _store = reopened;
                _file = stamp;
                Reset();
            }
            catch (AdvisoryException)
            {
            }

            return;
        }

        if (Guard(_store.Refresh))
        {
            Reset();
        }
    }

    private void Reset()
    {
        _memo.Clear();
        _snapshot = Guard(() => _store.Snapshot);
    }

    // A read that fails is an advisory-database failure, which the rules turn into an error (never a pass).
    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (SqliteException e)
        {
            throw new AdvisoryException(AdvisoryCodes.DatabaseCorrupt, $"{_path}: the advisory database failed ({e.Message})");
        }
    }

    private static (DateTime, long) FileStamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _store.Dispose();
        }
    }
}
