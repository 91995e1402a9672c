using System.Data.Common;
using Vouch.Watch.Storage;

namespace Vouch.Watch;

/// <summary>How <see cref="WatchRunner"/> runs.</summary>
public sealed record WatchRunOptions
{
    public required IReadOnlyList<string> Packages { get; init; }

    /// <summary>One cycle, then deliver what is due once, and return (cron, CI).</summary>
    public bool Once { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Follow the registry's `/_changes` feed when it serves one (the default); false always polls.</summary>
    public bool FollowChanges { get; init; } = true;

    /// <summary>
    /// Called before each cycle after the first (daemon mode): the watchlist now (e.g. the gate's
    /// packages read again), or null to keep the current one (the source failed; it says why).
    /// Packages new to the list are checked in that cycle whatever the changes feed says.
    /// </summary>
    public Func<CancellationToken, Task<IReadOnlyList<string>?>>? Refresh { get; init; }
}

/// <summary>What a run did (since it started).</summary>
public sealed record WatchRunSummary(int Events, int ErrorEvents, int Cycles, IReadOnlyList<PackageFailure> LastFailures, int PendingDeliveries, int GaveUpDeliveries, bool FollowedChanges);

/// <summary>
/// Runs cycles: the first checks every package (new packages get a silent baseline); later ones
/// check the packages the changes feed names (when followed) or every package (polling). Between
/// cycles it delivers due webhooks. Cancellation is a graceful stop: what was committed stays
/// committed, a package being checked is checked again by the next run, claimed deliveries are
/// handed back. The changes-feed position is stored only after the packages it named were checked.
/// </summary>
public sealed class WatchRunner(WatchEngine engine, WatchStore store, ChangesFeed feed, WebhookSender? webhook, TimeProvider time)
{
    internal const string ChangesKey = "changes_since";

    /// <summary>Called with each cycle's committed events, in store order.</summary>
    public Func<IReadOnlyList<WatchEvent>, CancellationToken, Task> OnEvents { get; init; } = (_, _) => Task.CompletedTask;

    /// <summary>Called after each cycle (and its deliveries), with what it did.</summary>
    public Func<CycleResult, CancellationToken, Task> OnCycle { get; init; } = (_, _) => Task.CompletedTask;

    /// <summary>One-line diagnostics (stderr).</summary>
    public Action<string> OnLog { get; init; } = _ => { };

    public async Task<WatchRunSummary> RunAsync(WatchRunOptions options, CancellationToken ct)
    {
        var events = 0;
        var errors = 0;
        var cycles = 0;
        var gaveUp = 0;
        IReadOnlyList<PackageFailure> lastFailures = [];
        var followed = false;
        try
        {
            var since = store.GetMeta(ChangesKey);
            if (options.FollowChanges && since is null && !options.Once)
            {
                // Taken before the first full cycle: a change during that cycle is in the feed after it.
                since = await feed.ProbeAsync(ct).ConfigureAwait(false);
            }

            followed = options.FollowChanges && !options.Once && since is not null;
            var first = true;
            var watched = options.Packages;
            while (true)
            {
                IReadOnlyList<string> added = [];
                if (!first && options.Refresh is not null && await options.Refresh(ct).ConfigureAwait(false) is { } now)
                {
                    var before = watched.ToHashSet(StringComparer.Ordinal);
                    added = [.. now.Where(p => !before.Contains(p))];
                    watched = now;
                }

                IReadOnlyList<string> targets = watched;
                string? nextSince = null;
                if (!first && followed)
                {
                    (targets, nextSince) = await ChangedAsync(watched, since!, ct).ConfigureAwait(false);
                    targets = [.. targets.Union(added, StringComparer.Ordinal).Order(StringComparer.Ordinal)];
                }

                var result = await engine.CheckAsync(targets, ct).ConfigureAwait(false);
                cycles++;
                events += result.Events.Count;
                errors += result.Events.Count(e => e.Severity == EventKinds.Error);
                lastFailures = result.Failures;
                foreach (var f in result.Failures)
                {
                    OnLog($"{f.Code}: {f.Package}: {f.Message} (checked again next cycle)");
                }

                if (result.Events.Count > 0)
                {
                    // Not cancellable: events already committed are always handed on.
                    await OnEvents(result.Events, CancellationToken.None).ConfigureAwait(false);
                }

                if (result.Cancelled)
                {
                    await OnCycle(result, CancellationToken.None).ConfigureAwait(false);
                    break;
                }

                if (followed && (first || nextSince is not null))
                {
                    since = nextSince ?? since;
                    try
                    {
                        store.SetMeta(ChangesKey, since!);
                    }
                    catch (DbException e)
                    {
                        // Not stored: a restart reads the feed from the older position, which only rechecks packages.
                        OnLog($"{WatchCodes.StoreUnavailable}: the changes-feed position was not stored ({e.Message})");
                    }
                }

                first = false;
                gaveUp += await DeliverAsync(ct).ConfigureAwait(false);
                await OnCycle(result, ct).ConfigureAwait(false);
                if (options.Once)
                {
                    break;
                }

                gaveUp += await WaitAsync(options.Interval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Graceful stop.
        }

        return new WatchRunSummary(events, errors, cycles, lastFailures, store.PendingDeliveries(), gaveUp, followed);
    }

    /// <summary>The watched packages the feed names since <paramref name="since"/> (all pages), plus those on other registries; on a feed failure, every package.</summary>
    private async Task<(IReadOnlyList<string> Targets, string? NextSince)> ChangedAsync(IReadOnlyList<string> watched, string since, CancellationToken ct)
    {
        var watchedSet = watched.ToHashSet(StringComparer.Ordinal);
        var changed = new SortedSet<string>(watched.Where(p => !engine.OnDefaultRegistry(p)), StringComparer.Ordinal);
        var position = since;
        while (true)
        {
            var (page, error, _) = await feed.ReadAsync(position, ct).ConfigureAwait(false);
            if (page is null)
            {
                OnLog($"{WatchCodes.RegistryFailed}: the changes feed failed ({error}); polling every package this cycle");
                return (watched, null);
            }

            changed.UnionWith(page.Names.Where(watchedSet.Contains));
            if (page.LastSequence == position || !page.More)
            {
                return ([.. changed], page.LastSequence);
            }

            position = page.LastSequence;
        }
    }

    private async Task<int> DeliverAsync(CancellationToken ct)
    {
        if (webhook is null)
        {
            return 0;
        }

        DeliveryRound round;
        try
        {
            round = await webhook.DeliverDueAsync(ct).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            // The outbox is still there: the deliveries are tried again after the next cycle.
            OnLog($"{WatchCodes.StoreUnavailable}: webhook deliveries postponed ({e.Message})");
            return 0;
        }

        foreach (var f in round.Failures)
        {
            OnLog($"webhook delivery failed, will retry: {f}");
        }

        foreach (var g in round.GaveUp)
        {
            OnLog($"{WatchCodes.WebhookGaveUp}: {g}");
        }

        return round.GaveUp.Count;
    }

    private DateTimeOffset? NextDue()
    {
        try
        {
            return store.NextDeliveryDue();
        }
        catch (DbException)
        {
            return null; // the retries wait for the next cycle
        }
    }

    /// <summary>Sleeps until the next cycle, waking for webhook retries that fall due before it.</summary>
    private async Task<int> WaitAsync(TimeSpan interval, CancellationToken ct)
    {
        var gaveUp = 0;
        var until = time.GetUtcNow() + interval;
        while (true)
        {
            var now = time.GetUtcNow();
            if (now >= until)
            {
                return gaveUp;
            }

            var wake = until;
            if (webhook is not null && NextDue() is { } due && due < wake)
            {
                // At least a second apart: a delivery another process holds must not make this spin.
                wake = due > now + TimeSpan.FromSeconds(1) ? due : now + TimeSpan.FromSeconds(1);
            }

            await Task.Delay(wake - now, time, ct).ConfigureAwait(false);
            if (wake < until)
            {
                gaveUp += await DeliverAsync(ct).ConfigureAwait(false);
            }
        }
    }
}
