using Vouch.Gate.Decisions;
using Vouch.Gate.Evidence;
using Vouch.Gate.Packuments;
using Vouch.Gate.Storage;
using Vouch.Gate.Upstream;
using Vouch.Gate.Verification;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Provenance.Slsa;

namespace Vouch.Gate;

internal enum PackumentStatus
{
    Ok,

    /// <summary>The upstream failed or is slow; this is the last good copy.</summary>
    Stale,
    NotFound,
    UpstreamUnavailable,
    UpstreamInvalid,
}

internal sealed record PackumentResult(PackumentStatus Status, PackumentEntry? Entry = null, string? Error = null, string? Code = null);

internal enum TarballStatus
{
    Ok,
    Refused,
    NotFound,
    IntegrityMismatch,
    ForeignUrl,
    UpstreamUnavailable,
    UpstreamInvalid,

    /// <summary>Verification could not complete (issue 12, evidence ledger); retried after <see cref="TarballResult.RetryAt"/>. Never cached as a decision.</summary>
    VerificationIncomplete,
}

internal enum EvidenceLookupStatus
{
    Ok,
    NotFound,

    /// <summary>The version exists but this gate holds no complete evidence for it (or none against a SHA-512).</summary>
    NotVerified,
    UpstreamUnavailable,
    UpstreamInvalid,
}

/// <summary>Stored evidence of one version, with the packument entry and the SHA-512 its tarball was verified against.</summary>
internal sealed record EvidenceLookup(EvidenceLookupStatus Status, PackageReport? Report = null, Packument? Packument = null, PackageVersion? Version = null, byte[]? Sha512 = null, string? Error = null);

internal sealed record TarballResult(TarballStatus Status, string? Path = null, long Length = 0, PackageReport? Report = null, IReadOnlyList<ReleaseFinding>? Findings = null, string? Name = null, string? Version = null, string? Error = null, TarballHashes? Hashes = null, DateTimeOffset? RetryAt = null, TimeSpan? RetryAfter = null);

/// <summary>
/// The gate's decisions, independent of HTTP, composed from parts with one job each: filtered
/// packuments (<see cref="PackumentService"/>), verification and evidence (<see cref="VersionVerifier"/>),
/// grants (<see cref="ApprovalsMonitor"/>) and cached release decisions (<see cref="ReleaseDecisionCache"/>).
/// </summary>
internal sealed class GateService(
    GateStore store,
    IReleaseDecider decider,
    UpstreamClient upstream,
    PackumentService packuments,
    VersionVerifier verifier,
    EvidenceLedger ledger,
    ApprovalsMonitor approvals,
    ReleaseDecisionCache decisions,
    RefusalLog refusals,
    GateUrl gateUrl,
    UpstreamUrls urls,
    UpstreamLanes lanes,
    Observability.GateMetrics metrics) : IAsyncDisposable
{
    public GateStore Store => store;

    public IReleaseDecider Decider => decider;

    public Uri PublicUrl => gateUrl.Value;

    public UpstreamClient Upstream => upstream;

    public ApprovalSnapshot Approvals => approvals.Current;

    public ReleaseDecisionCache Decisions => decisions;

    /// <summary>Stored evidence, complete or incomplete, keyed by the trust material (Evidence/EvidenceLedger.cs).</summary>
    public EvidenceLedger Ledger => ledger;

    /// <summary>
    /// An admin's re-verify: forgets the stored evidence (and audits it), then drops every cached
    /// release decision, since an allowed decision carries the evidence it was made on. Other gates
    /// on the same PostgreSQL drop theirs when the store's notification reaches them.
    /// </summary>
    public async Task<int> ForgetEvidenceAsync(string name, string? version, string actor, string? reason, CancellationToken ct)
    {
        var removed = await store.ForgetEvidenceAsync(name, version, actor, reason, ct).ConfigureAwait(false);
        decisions.Invalidate();
        return removed;
    }

    public PackumentCache Packuments => packuments.Cache;

    public IEnumerable<PackumentEntry> CachedPackuments => lanes.All.Count == 0 ? packuments.Cache.Snapshot() : packuments.Cache.Snapshot().Concat(lanes.All.SelectMany(l => l.Service.CachedPackuments));

    /// <summary>The routed upstreams (empty when there is only the default one).</summary>
    public UpstreamLanes Lanes => lanes;

    public Task StartAsync(CancellationToken ct) => approvals.StartAsync(ct);

    /// <summary>Re-reads the grants in force (after this instance's own decision, or when told of another's).</summary>
    public Task RefreshApprovalsAsync(CancellationToken ct) => approvals.RefreshAsync(ct);

    // Issue 19: a routed name goes to its lane, and only there (Upstream/UpstreamLanes.cs).
    public ValueTask<PackumentResult> GetPackumentAsync(string name) => lanes.For(name) is { } lane ? lanes.GetPackumentAsync(lane, name) : packuments.GetAsync(name);

    /// <summary>A version's attestations from the upstream the name is routed to.</summary>
    public Task<UpstreamResponse> GetAttestationsAsync(string name, string version, CancellationToken ct) =>
        lanes.For(name) is { } lane
            ? lane.Service.GetAttestationsAsync(name, version, ct)
            : upstream.GetAsync(urls.Attestations(name, version), "application/json", 2L * Limits.MaxBundleBytes, null, ct);

    /// <summary>A tarball request: policy, verification, then the path of the verified bytes.</summary>
    public async Task<TarballResult> GetTarballAsync(string name, string file, CancellationToken ct)
    {
        if (lanes.For(name) is { } lane)
        {
            return await lane.Service.GetTarballAsync(name, file, ct).ConfigureAwait(false);
        }

        var pr = await GetPackumentAsync(name).ConfigureAwait(false);
        if (pr.Entry is null)
        {
            return FromPackumentFailure(pr);
        }

        if (!pr.Entry.Filtered.TarballFiles.TryGetValue(file, out var v))
        {
            return new TarballResult(TarballStatus.NotFound, Name: name, Error: $"{name} has no tarball named {file}");
        }

        return await DecideAndVerifyAsync(pr, v, ct).ConfigureAwait(false);
    }

    /// <summary>The verification API: verify (or read the stored evidence of) one version, without policy.</summary>
    public async Task<TarballResult> VerifyAsync(string name, string version, CancellationToken ct)
    {
        if (lanes.For(name) is { } lane)
        {
            return await lane.Service.VerifyAsync(name, version, ct).ConfigureAwait(false);
        }

        var pr = await GetPackumentAsync(name).ConfigureAwait(false);
        if (pr.Entry is null)
        {
            return FromPackumentFailure(pr);
        }

        if (!pr.Entry.Filtered.Upstream.Versions.TryGetValue(version, out var pv))
        {
            return new TarballResult(TarballStatus.NotFound, Name: name, Version: version, Error: $"{name}@{version} is not in the upstream registry");
        }

        return await verifier.EnsureVerifiedAsync(pr.Entry.Filtered.Upstream, pv, allowDownload: pr.Status == PackumentStatus.Ok).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The complete evidence this gate stored for a version, without verifying anything (the VSA route): the
    /// packument says which bytes the name and version stand for now, and the ledger is keyed by them, so
    /// evidence of bytes the registry no longer serves under that version is never found.
    /// </summary>
    public async Task<EvidenceLookup> VerifiedEvidenceAsync(string name, string version, CancellationToken ct)
    {
        if (lanes.For(name) is { } lane)
        {
            return await lane.Service.VerifiedEvidenceAsync(name, version, ct).ConfigureAwait(false);
        }

        var pr = await GetPackumentAsync(name).ConfigureAwait(false);
        if (pr.Entry is null)
        {
            return new EvidenceLookup(pr.Status switch
            {
                PackumentStatus.NotFound => EvidenceLookupStatus.NotFound,
                PackumentStatus.UpstreamUnavailable => EvidenceLookupStatus.UpstreamUnavailable,
                _ => EvidenceLookupStatus.UpstreamInvalid,
            }, Error: pr.Error);
        }

        var packument = pr.Entry.Filtered.Upstream;
        if (!packument.Versions.TryGetValue(version, out var pv))
        {
            return new EvidenceLookup(EvidenceLookupStatus.NotFound, Error: $"{name}@{version} is not in the upstream registry");
        }

        var known = await ledger.LookupAsync(name, version, VersionVerifier.IntegrityKey(pv), ct).ConfigureAwait(false);
        if (known is not { State: LedgerState.Complete, Report: { } report })
        {
            return new EvidenceLookup(EvidenceLookupStatus.NotVerified, Error: $"{name}@{version} has not been verified by this gate{(known.State == LedgerState.Incomplete ? " (its verification could not complete yet)" : "")}: install it through the gate or GET /-/vouch/v1/verify/{name}/{version} first");
        }

        // The subject digest must be one the tarball was checked against, never a value merely read.
        if (report.Integrity is not { Status: "verified", Algorithm: "sha512" } || Vsa.SubjectSha512(pv.Dist.Integrity) is not { } sha512)
        {
            return new EvidenceLookup(EvidenceLookupStatus.NotVerified, Error: $"{name}@{version}: the tarball was not verified against a SHA-512 integrity value (integrity {report.Integrity.Status}), so no summary can name it");
        }

        return new EvidenceLookup(EvidenceLookupStatus.Ok, report, packument, pv, sha512);
    }

    /// <summary>Whether a version's attestations may be handed out: only for a version the filter offers.</summary>
    public async Task<TarballResult> AttestationsAllowedAsync(string name, string version)
    {
        if (lanes.For(name) is { } lane)
        {
            return await lane.Service.AttestationsAllowedAsync(name, version).ConfigureAwait(false);
        }

        var pr = await GetPackumentAsync(name).ConfigureAwait(false);
        if (pr.Entry is null)
        {
            return FromPackumentFailure(pr);
        }

        var filtered = pr.Entry.Filtered;
        if (filtered.Withheld.TryGetValue(version, out var withheld))
        {
            return new TarballResult(TarballStatus.Refused, Findings: withheld.Findings, Name: name, Version: version);
        }

        return filtered.Upstream.Versions.ContainsKey(version)
            ? new TarballResult(TarballStatus.Ok, Name: name, Version: version)
            : new TarballResult(TarballStatus.NotFound, Name: name, Version: version, Error: $"{name}@{version} is not in the upstream registry");
    }

    private static TarballResult FromPackumentFailure(PackumentResult pr) => pr.Status switch
    {
        PackumentStatus.NotFound => new TarballResult(TarballStatus.NotFound, Error: pr.Error),
        PackumentStatus.UpstreamUnavailable => new TarballResult(TarballStatus.UpstreamUnavailable, Error: pr.Error),
        _ => new TarballResult(TarballStatus.UpstreamInvalid, Error: pr.Error),
    };

    private async Task<TarballResult> DecideAndVerifyAsync(PackumentResult pr, string v, CancellationToken ct)
    {
        var entry = pr.Entry!;
        var filtered = entry.Filtered;
        var version = filtered.Upstream.Versions[v];
        if (filtered.Withheld.TryGetValue(v, out var withheld))
        {
            await refusals.LogAsync("refused", filtered.Name, v, withheld.First, ct).ConfigureAwait(false);
            return new TarballResult(TarballStatus.Refused, Findings: withheld.Findings, Name: filtered.Name, Version: v);
        }

        // The decision is cached under what it depends on; the generation is read before deciding so
        // an invalidation racing with this request makes the stored decision miss, not linger.
        var integrity = VersionVerifier.IntegrityKey(version);
        var generation = decisions.Generation;
        var policyVersion = decider.PolicyVersion;
        if (decisions.TryGet(filtered.Name, v, integrity, policyVersion, entry.ApprovalsVersion, out var cached))
        {
            metrics.DecisionCacheLookup(hit: true);
            return cached;
        }

        metrics.DecisionCacheLookup(hit: false);

        var verified = await verifier.EnsureVerifiedAsync(filtered.Upstream, version, allowDownload: pr.Status == PackumentStatus.Ok).WaitAsync(ct).ConfigureAwait(false);
        if (verified.Status != TarballStatus.Ok)
        {
            return verified;
        }

        var grants = approvals.Current.For(filtered.Name).Where(g => g.Version == v).ToList();
        var decision = decider.Evaluate(verified.Report!, filtered.Upstream, version, grants);
        foreach (var r in decision.Reported)
        {
            await refusals.LogAsync("reported", filtered.Name, v, r, ct).ConfigureAwait(false);
        }

        if (!decision.Allowed)
        {
            await refusals.LogAsync("refused", filtered.Name, v, decision.Blocking[0], ct).ConfigureAwait(false);
            return verified with { Status = TarballStatus.Refused, Findings = decision.Blocking, Path = null };
        }

        // Stored under the version read before deciding: a snapshot imported meanwhile makes it miss.
        decisions.Put(filtered.Name, v, integrity, policyVersion, entry.ApprovalsVersion, generation, verified);
        return verified;
    }

    public async ValueTask DisposeAsync()
    {
        // The monitor is disposed by the container that composed it.
        packuments.Stop();
        verifier.Stop();
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
