using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Upstream;

/// <summary>
/// One routed upstream with everything that talks to it: its own upstream client, outbound policy,
/// URLs, registry client, verifier and trust material, packument cache and evidence ledger, composed
/// in a container of its own (<see cref="GateHost"/>). Grants, the audit log, the policy and the
/// release-decision cache are shared with the default upstream.
/// </summary>
internal sealed class UpstreamLane(UpstreamRoute route, ServiceProvider services)
{
    public UpstreamRoute Route => route;

    public GateService Service { get; } = services.GetRequiredService<GateService>();

    public ServiceProvider Services => services;
}

/// <summary>
/// The routes by package name. A name matching a route is answered by that route's lane only;
/// every other name by the default upstream, whose <see cref="UpstreamUrls"/> refuses to build a URL
/// for a routed name, so no code path can look a private name up on the public registry.
/// </summary>
internal sealed class UpstreamLanes(IReadOnlyList<UpstreamLane> lanes, GateStore? store, Observability.GateMetrics? metrics = null) : IAsyncDisposable
{
    /// <summary>Audit rows for dependency-confusion refusals per process: names are client text, so the log must not grow per request.</summary>
    public const int MaxConfusionAuditRows = 1000;

    private readonly ConcurrentDictionary<string, byte> _logged = new(StringComparer.OrdinalIgnoreCase);
    private long _refusals;

    public static UpstreamLanes None { get; } = new([], null);

    public IReadOnlyList<UpstreamLane> All => lanes;

    /// <summary>Names routed to a private upstream that it did not have (each answered 404, never looked up elsewhere).</summary>
    public long ConfusionRefusals => Interlocked.Read(ref _refusals);

    /// <summary>The lane a name is routed to, or null for the default upstream. No allocation: a few prefix comparisons.</summary>
    public UpstreamLane? For(string name)
    {
        for (var i = 0; i < lanes.Count; i++)
        {
            if (lanes[i].Route.Matches(name))
            {
                return lanes[i];
            }
        }

        return null;
    }

    /// <summary>
    /// A routed name's packument. When its upstream does not have it, the answer says so with
    /// <see cref="GateCodes.DependencyConfusion"/>: a package of that name elsewhere (the public
    /// registry) is never a stand-in.
    /// </summary>
    public ValueTask<PackumentResult> GetPackumentAsync(UpstreamLane lane, string name)
    {
        var r = lane.Service.GetPackumentAsync(name);
        if (r.IsCompletedSuccessfully && r.Result.Status != PackumentStatus.NotFound)
        {
            return r;
        }

        return new ValueTask<PackumentResult>(NotFoundAsync(lane, name, r));
    }

    private async Task<PackumentResult> NotFoundAsync(UpstreamLane lane, string name, ValueTask<PackumentResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        if (result.Status != PackumentStatus.NotFound)
        {
            return result;
        }

        Interlocked.Increment(ref _refusals);
        metrics?.Confusion(lane.Route.Name);
        var patterns = string.Join(", ", lane.Route.Patterns.Select(p => p.Text));
        var message = $"{name} is routed to the upstream '{lane.Route.Name}' ({patterns}), which does not have it; the gate never looks it up at another upstream, so a package of that name on the public registry cannot stand in for it (dependency confusion)";
        if (store is not null && _logged.Count < MaxConfusionAuditRows && _logged.TryAdd(name, 0))
        {
            try
            {
                await store.AppendAuditAsync("gate", "confusion", name, null, "upstream-route", message).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The audit log is unavailable: the refusal stands; try to log it next time.
                _logged.TryRemove(name, out _);
            }
        }

        return result with { Error = message, Code = GateCodes.DependencyConfusion };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in lanes)
        {
            await lane.Services.DisposeAsync().ConfigureAwait(false);
        }
    }
}
