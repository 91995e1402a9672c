using Vouch.Gate.Decisions;
using Vouch.Gate.Storage;

namespace Vouch.Gate;

/// <summary>Granted approvals in force, and a version that changes whenever that set does.</summary>
internal sealed record ApprovalSnapshot(long Version, IReadOnlyList<GrantedApproval> Grants, DateTimeOffset? NextExpiry)
{
    /// <summary>Issue 16: versions withheld by `vouch watch` events until an approver lifts them.</summary>
    public IReadOnlyList<QuarantinedVersion> Quarantines { get; init; } = [];

    public IReadOnlyList<GrantedApproval> For(string name) => Grants.Count == 0 ? [] : Grants.Where(g => g.Name == name).ToList();

    /// <summary>The quarantine findings of one package's versions (empty when none).</summary>
    public IReadOnlyDictionary<string, ReleaseFinding> QuarantinesFor(string name) => Quarantines.Count == 0
        ? EmptyQuarantines
        : Quarantines.Where(q => q.Name == name).ToDictionary(q => q.Version, q => new ReleaseFinding(
            GateStore.WatchQuarantineRule, GateCodes.WatchQuarantined,
            $"{q.Name}@{q.Version} is quarantined by vouch watch ({q.Kinds}) until an approver grants '{GateStore.WatchQuarantineRule}'"), StringComparer.Ordinal);

    private static readonly IReadOnlyDictionary<string, ReleaseFinding> EmptyQuarantines = new Dictionary<string, ReleaseFinding>();
}

/// <summary>
/// The grants in force, re-read from the database every <see cref="GateOptions.ApprovalsPollInterval"/>
/// (other gate instances decide too) and at once after this instance's own decisions. The version
/// of <see cref="Current"/> is part of every cached filter and release decision, so a change of
/// grants invalidates both. The storage side may call <see cref="RefreshAsync"/> whenever it learns
/// of a change (a notification from another instance).
/// On PostgreSQL it also listens: decisions made by other gates arrive at once (LISTEN/NOTIFY), and a
/// re-verify on any gate drops this gate's cached release decisions (they carry the forgotten evidence).
/// </summary>
internal sealed class ApprovalsMonitor(GateOptions options, GateStore store, TimeProvider time, ReleaseDecisionCache decisions) : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _poller;
    private Task? _listener;
    private volatile ApprovalSnapshot _current = new(0, [], null);

    public ApprovalSnapshot Current => _current;

    public async Task StartAsync(CancellationToken ct)
    {
        await RefreshAsync(ct).ConfigureAwait(false);
        _poller = Task.Run(PollAsync, CancellationToken.None);

        // Polling stays the fallback (and the only way on SQLite, where this returns at once).
        _listener = Task.Run(() => store.ListenForApprovalsAsync(RefreshAsync, _stopping.Token, decisions.Invalidate), CancellationToken.None);
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(options.ApprovalsPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database is briefly unavailable: keep the last snapshot and try again next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Re-reads the grants in force; the snapshot's version moves only when the set changed.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var rows = await store.ActiveGrantsAsync(now, ct).ConfigureAwait(false);
            var grants = rows.Select(r => new GrantedApproval(r.Name, r.Version, r.Rule, r.DecidedBy ?? "?", r.ExpiresAt)).ToList();
            var quarantines = await store.ActiveQuarantinesAsync(now, ct).ConfigureAwait(false);
            var current = _current;
            if (!(current.Grants.SequenceEqual(grants) && current.Quarantines.SequenceEqual(quarantines)))
            {
                _current = new ApprovalSnapshot(current.Version + 1, grants, grants.Where(g => g.Expires is not null).Select(g => g.Expires).Min()) { Quarantines = quarantines };
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_poller is not null)
        {
            await _poller.ConfigureAwait(false);
        }

        if (_listener is not null)
        {
            await _listener.ConfigureAwait(false);
        }

        _stopping.Dispose();
        _lock.Dispose();
    }
}

/// <summary>
/// The gate's own audit rows (<c>withheld</c>, <c>refused</c>), once per action, version and rule per
/// process: not again after every approval change (which re-filters every cached packument), so
/// repeated requests and busy approvers cannot grow the log without bound.
/// </summary>
internal sealed class RefusalLog(GateStore store, Observability.GateMetrics? metrics = null)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _logged = new(StringComparer.Ordinal);

    public async Task LogAsync(string action, string name, string version, ReleaseFinding first, CancellationToken ct)
    {
        var key = $"{action}:{name}@{version}#{first.Rule}";
        if (!_logged.TryAdd(key, 0))
        {
            return;
        }

        if (action == "reported")
        {
            metrics?.DryRun(first.Rule);
        }
        else
        {
            metrics?.Withheld(action, first.Rule);
        }

        try
        {
            await store.AppendAuditAsync("gate", action, name, version, first.Rule, first.Message, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The audit log is unavailable: the decision stands; try to log it next time.
            _logged.TryRemove(key, out _);
        }
    }
}
