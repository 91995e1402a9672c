using System.Text.Json;
using Vouch.Gate.Decisions;
using Vouch.Gate.Upstream;
using Vouch.Npm;

namespace Vouch.Gate.Packuments;

/// <summary>The gate's public URL (known once Kestrel has bound its port).</summary>
internal sealed record GateUrl(Uri Value);

/// <summary>
/// Filtered packuments: from memory while fresh (no network, no JSON work), revalidated with the
/// upstream's ETag after <see cref="GateOptions.PackumentMaxAge"/>, one upstream request per package
/// at a time. When revalidation does not answer within <see cref="GateOptions.StaleWait"/> (or the
/// upstream's breaker is open), the last good copy is served at once, marked stale, and the
/// revalidation carries on in the background. Whatever copy is served is filtered under the
/// current policy and grants.
/// </summary>
internal sealed class PackumentService(
    GateOptions options,
    PackumentCache cache,
    PackumentDiskStore disk,
    UpstreamClient upstream,
    UpstreamUrls urls,
    IReleaseDecider decider,
    ApprovalsMonitor approvals,
    RefusalLog refusals,
    GateUrl gateUrl,
    TimeProvider time,
    Observability.GateMetrics metrics)
{
    private readonly Coalescer<PackumentResult> _fetches = new();
    private readonly CancellationTokenSource _stopping = new();

    public PackumentCache Cache => cache;

    /// <summary>The filtered packument; synchronous when the cached copy is fresh (the hot path).</summary>
    public ValueTask<PackumentResult> GetAsync(string name)
    {
        if (!cache.TryGet(name, out var entry))
        {
            metrics.PackumentCacheLookup(hit: false);
            return new ValueTask<PackumentResult>(_fetches.RunAsync(name, () => RevalidateAsync(name)));
        }

        entry = Current(name, entry);
        if (!entry.Stale && time.GetUtcNow() - entry.FetchedAt < options.PackumentMaxAge)
        {
            metrics.PackumentCacheLookup(hit: true);
            return new ValueTask<PackumentResult>(new PackumentResult(PackumentStatus.Ok, entry));
        }

        metrics.PackumentCacheLookup(hit: false);
        return new ValueTask<PackumentResult>(RevalidateOrStaleAsync(name, entry));
    }

    private async Task<PackumentResult> RevalidateOrStaleAsync(string name, PackumentEntry entry)
    {
        // Read before starting: the revalidation may itself be the breaker's probe, which reads as open.
        var open = upstream.Breaker.IsOpen;
        var revalidation = _fetches.RunAsync(name, () => RevalidateAsync(name));
        if (!revalidation.IsCompleted && !open && options.StaleWait > TimeSpan.Zero)
        {
            await Task.WhenAny(revalidation, Task.Delay(options.StaleWait, time)).ConfigureAwait(false);
        }

        if (revalidation.IsCompletedSuccessfully)
        {
            var done = revalidation.Result;
            return done.Entry is { } e ? done with { Entry = Current(name, e) } : done;
        }

        // The upstream is slow or failing: the last good copy now, the answer later.
        return new PackumentResult(PackumentStatus.Stale, Current(name, entry), "the upstream has not answered yet");
    }

    /// <summary>The entry filtered under the current policy and grants (re-decided from its bytes when either changed).</summary>
    private PackumentEntry Current(string name, PackumentEntry entry)
    {
        var snapshot = approvals.Current;
        if (entry.ApprovalsVersion == snapshot.Version && entry.PolicyVersion == decider.PolicyVersion)
        {
            return entry;
        }

        lock (entry)
        {
            if (cache.TryGet(name, out var newer) && newer.ApprovalsVersion == snapshot.Version && newer.PolicyVersion == decider.PolicyVersion)
            {
                return newer;
            }

            var refiltered = Accept(name, entry.Raw, entry.UpstreamETag, entry.FetchedAt, snapshot, persist: false);
            if (refiltered.Entry is not { } fresh)
            {
                return entry;
            }

            fresh.Stale = entry.Stale;
            return fresh;
        }
    }

    private async Task<PackumentResult> RevalidateAsync(string name)
    {
        var result = await FetchAsync(name).ConfigureAwait(false);
        if (result.Entry is { } entry)
        {
            foreach (var w in entry.Filtered.Withheld.Values)
            {
                await refusals.LogAsync("withheld", name, w.Version, w.First, _stopping.Token).ConfigureAwait(false);
            }

            foreach (var (version, findings) in entry.Filtered.Reported)
            {
                foreach (var f in findings)
                {
                    await refusals.LogAsync("reported", name, version, f, _stopping.Token).ConfigureAwait(false);
                }
            }
        }

        return result;
    }

    private async Task<PackumentResult> FetchAsync(string name)
    {
        var snapshot = approvals.Current;
        cache.TryGet(name, out var previous);
        var now = time.GetUtcNow();
        var response = await upstream.GetAsync(urls.Packument(name), "application/json", options.MaxPackumentBytes, previous?.UpstreamETag, _stopping.Token).ConfigureAwait(false);
        switch (response.Status)
        {
            case UpstreamStatus.NotModified when previous is not null:
                if (previous.ApprovalsVersion == snapshot.Version && previous.PolicyVersion == decider.PolicyVersion)
                {
                    previous.FetchedAt = now;
                    previous.Stale = false;
                    return new PackumentResult(PackumentStatus.Ok, previous);
                }

                return Accept(name, previous.Raw, previous.UpstreamETag, now, snapshot, persist: false);
            case UpstreamStatus.Ok:
                return Accept(name, response.Body!, response.ETag, now, snapshot, persist: true);
            case UpstreamStatus.NotFound:
                // The registry says the package is gone (npm's answer to a removed malicious package):
                // no copy of it, in memory or on disk, may come back while the upstream is down later.
                cache.Remove(name);
                disk.Delete(name);
                return new PackumentResult(PackumentStatus.NotFound, Error: response.Error);
            default:
                var fallback = previous ?? LoadPersisted(name, snapshot);
                if (fallback is not null)
                {
                    fallback.Stale = true;
                    return new PackumentResult(PackumentStatus.Stale, fallback, response.Error);
                }

                return new PackumentResult(response.Status == UpstreamStatus.Unavailable ? PackumentStatus.UpstreamUnavailable : PackumentStatus.UpstreamInvalid, Error: response.Error);
        }
    }

    private PackumentResult Accept(string name, byte[] raw, string? etag, DateTimeOffset fetchedAt, ApprovalSnapshot snapshot, bool persist)
    {
        Packument parsed;
        FilteredPackument filtered;
        try
        {
            parsed = Packument.Parse(raw, name);
            filtered = PackumentFilter.Filter(raw, parsed, decider, snapshot.For(name), gateUrl.Value, snapshot.QuarantinesFor(name));
        }
        catch (Exception e) when (e is NpmDocumentException or JsonException or InvalidOperationException or FormatException)
        {
            // Garbage from the upstream is never cached; a previous good copy stays.
            return new PackumentResult(PackumentStatus.UpstreamInvalid, Error: $"the upstream's document for {name} is unusable: {e.Message}");
        }

        var entry = new PackumentEntry { Filtered = filtered, Raw = raw, UpstreamETag = etag, FetchedAt = fetchedAt, ApprovalsVersion = snapshot.Version, PolicyVersion = decider.PolicyVersion };
        cache.Set(name, entry);
        if (persist)
        {
            disk.Save(name, raw, fetchedAt);
        }

        return new PackumentResult(PackumentStatus.Ok, entry);
    }

    private PackumentEntry? LoadPersisted(string name, ApprovalSnapshot snapshot)
    {
        if (disk.Load(name) is not { } saved)
        {
            return null;
        }

        return Accept(name, saved.Raw, null, saved.FetchedAt, snapshot, persist: false).Entry;
    }

    public void Stop() => _stopping.Cancel();
}
