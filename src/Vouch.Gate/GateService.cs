using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Gate.Decisions;
using Vouch.Gate.Evidence;
using Vouch.Gate.Packuments;
using Vouch.Gate.Storage;
using Vouch.Gate.Upstream;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Gate;

internal enum PackumentStatus
{
    Ok,

    /// <summary>The upstream failed; this is the last good copy.</summary>
    Stale,
    NotFound,
    UpstreamUnavailable,
    UpstreamInvalid,
}

internal sealed class PackumentEntry
{
    public required FilteredPackument Filtered { get; init; }

    public required byte[] Raw { get; init; }

    public string? UpstreamETag { get; init; }

    public required DateTimeOffset FetchedAt { get; set; }

    public required long ApprovalsVersion { get; init; }

    public required string PolicyVersion { get; init; }
}

internal sealed record PackumentResult(PackumentStatus Status, PackumentEntry? Entry = null, string? Error = null);

internal enum TarballStatus
{
    Ok,
    Refused,
    NotFound,
    IntegrityMismatch,
    ForeignUrl,
    UpstreamUnavailable,
    UpstreamInvalid,

    /// <summary>Verification could not complete (issue 12, evidence ledger); retried after <see cref="TarballResult.RetryAt"/>.</summary>
    VerificationIncomplete,
}

internal sealed record TarballResult(TarballStatus Status, string? Path = null, long Length = 0, PackageReport? Report = null, IReadOnlyList<ReleaseFinding>? Findings = null, string? Name = null, string? Version = null, string? Error = null, DateTimeOffset? RetryAt = null);

/// <summary>Granted approvals in force, and a version that changes whenever that set does.</summary>
internal sealed record ApprovalSnapshot(long Version, IReadOnlyList<GrantedApproval> Grants, DateTimeOffset? NextExpiry)
{
    public IReadOnlyList<GrantedApproval> For(string name) => Grants.Count == 0 ? [] : Grants.Where(g => g.Name == name).ToList();
}

/// <summary>
/// The gate's state and decisions, independent of HTTP: filtered packuments cached in memory (one
/// upstream request per package at a time, revalidated with the ETag after <see cref="GateOptions.PackumentMaxAge"/>),
/// tarballs verified once and cached by content, evidence persisted, approvals polled from the database.
/// </summary>
internal sealed class GateService : IAsyncDisposable
{
    private readonly GateOptions _options;
    private readonly UpstreamClient _upstream;
    private readonly PackageVerifier _verifier;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PackumentEntry> _packuments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<PackumentResult>>> _packumentFetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<TarballResult>>> _tarballFetches = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refusalsLogged = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _approvalsLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _tarballDir;
    private readonly string _packumentDir;
    private readonly string _tempDir;
    private Task? _poller;
    private Task? _listener;
    private volatile ApprovalSnapshot _approvals = new(0, [], null);
    private (RegistryKeys Keys, DateTimeOffset At)? _keys;

    public GateService(GateOptions options, GateStore store, IReleaseDecider decider, UpstreamClient upstream, PackageVerifier verifier, TimeProvider time, Uri publicUrl)
    {
        _options = options;
        Store = store;
        Decider = decider;
        _upstream = upstream;
        _verifier = verifier;
        _time = time;
        PublicUrl = publicUrl;
        _tarballDir = Path.Combine(options.DataDirectory, "tarballs", "sha512");
        _packumentDir = Path.Combine(options.DataDirectory, "packuments");
        _tempDir = Path.Combine(options.DataDirectory, "tmp");
        Directory.CreateDirectory(_tarballDir);
        Directory.CreateDirectory(_packumentDir);
        Directory.CreateDirectory(_tempDir);
    }

    public GateStore Store { get; }

    /// <summary>Stored evidence, complete or incomplete, keyed by the trust material (Evidence/EvidenceLedger.cs).</summary>
    public required EvidenceLedger Ledger { get; init; }

    public IReleaseDecider Decider { get; }

    public Uri PublicUrl { get; }

    public TimeProvider Time => _time;

    public UpstreamClient Upstream => _upstream;

    public ApprovalSnapshot Approvals => _approvals;

    public IEnumerable<PackumentEntry> CachedPackuments => _packuments.Values;

    public async Task StartAsync(CancellationToken ct)
    {
        await RefreshApprovalsAsync(ct).ConfigureAwait(false);
        _poller = Task.Run(PollApprovalsAsync, CancellationToken.None);

        // PostgreSQL: decisions made by other gates arrive at once (LISTEN/NOTIFY); polling stays the fallback.
        _listener = Task.Run(() => Store.ListenForApprovalsAsync(RefreshApprovalsAsync, _stopping.Token), CancellationToken.None);
    }

    private async Task PollApprovalsAsync()
    {
        using var timer = new PeriodicTimer(_options.ApprovalsPollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await RefreshApprovalsAsync(_stopping.Token).ConfigureAwait(false);
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

    /// <summary>Re-reads the grants in force; cached packuments are re-filtered when the set changed.</summary>
    public async Task RefreshApprovalsAsync(CancellationToken ct)
    {
        await _approvalsLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            var rows = await Store.ActiveGrantsAsync(now, ct).ConfigureAwait(false);
            var grants = rows.Select(r => new GrantedApproval(r.Name, r.Version, r.Rule, r.DecidedBy ?? "?", r.ExpiresAt)).ToList();
            var current = _approvals;
            if (!SameGrants(current.Grants, grants))
            {
                _approvals = new ApprovalSnapshot(current.Version + 1, grants, grants.Where(g => g.Expires is not null).Select(g => g.Expires).Min());
            }
        }
        finally
        {
            _approvalsLock.Release();
        }
    }

    private static bool SameGrants(IReadOnlyList<GrantedApproval> a, IReadOnlyList<GrantedApproval> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First == p.Second);

    /// <summary>The filtered packument; synchronous when the cached copy is fresh (the hot path).</summary>
    public ValueTask<PackumentResult> GetPackumentAsync(string name)
    {
        var snapshot = _approvals;
        if (_packuments.TryGetValue(name, out var entry)
            && entry.ApprovalsVersion == snapshot.Version
            && _time.GetUtcNow() - entry.FetchedAt < _options.PackumentMaxAge)
        {
            return new ValueTask<PackumentResult>(new PackumentResult(PackumentStatus.Ok, entry));
        }

        return new ValueTask<PackumentResult>(Coalesce(_packumentFetches, name, () => RefreshPackumentAsync(name)));
    }

    private static Task<T> Coalesce<T>(ConcurrentDictionary<string, Lazy<Task<T>>> inflight, string key, Func<Task<T>> start)
    {
        var lazy = inflight.GetOrAdd(key, k => new Lazy<Task<T>>(async () =>
        {
            try
            {
                return await start().ConfigureAwait(false);
            }
            finally
            {
                inflight.TryRemove(key, out _);
            }
        }));
        return lazy.Value;
    }

    private async Task<PackumentResult> RefreshPackumentAsync(string name)
    {
        var result = await FetchPackumentAsync(name).ConfigureAwait(false);
        if (result.Entry is { } entry)
        {
            foreach (var w in entry.Filtered.Withheld.Values)
            {
                // Each withheld version is logged once per version and rule per process (not again after
                // every approval change, which re-filters every cached packument).
                if (_refusalsLogged.TryAdd($"withheld:{name}@{w.Version}#{w.First.Rule}", 0))
                {
                    try
                    {
                        await Store.AppendAuditAsync("gate", "withheld", name, w.Version, w.First.Rule, w.First.Message, _stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // The audit log is unavailable: serving the filtered document is still correct.
                        _refusalsLogged.TryRemove($"withheld:{name}@{w.Version}#{w.First.Rule}", out _);
                    }
                }
            }
        }

        return result;
    }

    private async Task<PackumentResult> FetchPackumentAsync(string name)
    {
        var ct = _stopping.Token;
        var snapshot = _approvals;
        _packuments.TryGetValue(name, out var previous);
        var now = _time.GetUtcNow();
        if (previous is not null && now - previous.FetchedAt < _options.PackumentMaxAge)
        {
            // Only the approvals changed: decide again on the bytes we have.
            return Accept(name, previous.Raw, previous.UpstreamETag, previous.FetchedAt, snapshot, persist: false);
        }

        var url = _upstream.Resolve(PackageName.Escape(name));
        var response = await _upstream.GetAsync(url, "application/json", _options.MaxPackumentBytes, previous?.UpstreamETag, ct).ConfigureAwait(false);
        switch (response.Status)
        {
            case UpstreamStatus.NotModified when previous is not null:
                if (previous.ApprovalsVersion == snapshot.Version && previous.PolicyVersion == Decider.PolicyVersion)
                {
                    previous.FetchedAt = now;
                    return new PackumentResult(PackumentStatus.Ok, previous);
                }

                return Accept(name, previous.Raw, previous.UpstreamETag, now, snapshot, persist: false);
            case UpstreamStatus.Ok:
                return Accept(name, response.Body!, response.ETag, now, snapshot, persist: true);
            case UpstreamStatus.NotFound:
                _packuments.TryRemove(name, out _);
                return new PackumentResult(PackumentStatus.NotFound, Error: response.Error);
            default:
                var fallback = previous ?? LoadPersisted(name, snapshot);
                if (fallback is not null)
                {
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
            filtered = PackumentFilter.Filter(raw, parsed, Decider, snapshot.For(name), PublicUrl);
        }
        catch (Exception e) when (e is NpmDocumentException or JsonException or InvalidOperationException or FormatException)
        {
            // Garbage from the upstream is never cached; a previous good copy stays.
            return new PackumentResult(PackumentStatus.UpstreamInvalid, Error: $"the upstream's document for {name} is unusable: {e.Message}");
        }

        var entry = new PackumentEntry { Filtered = filtered, Raw = raw, UpstreamETag = etag, FetchedAt = fetchedAt, ApprovalsVersion = snapshot.Version, PolicyVersion = Decider.PolicyVersion };
        _packuments[name] = entry;
        if (persist)
        {
            WriteAtomically(PersistedPath(name), raw);
        }

        return new PackumentResult(PackumentStatus.Ok, entry);
    }

    private PackumentEntry? LoadPersisted(string name, ApprovalSnapshot snapshot)
    {
        var path = PersistedPath(name);
        if (!File.Exists(path))
        {
            return null;
        }

        var raw = File.ReadAllBytes(path);
        var result = Accept(name, raw, null, DateTimeOffset.MinValue, snapshot, persist: false);
        return result.Entry;
    }

    private string PersistedPath(string name) => Path.Combine(_packumentDir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name))) + ".json");

    private void WriteAtomically(string path, byte[] bytes)
    {
        var temp = Path.Combine(_tempDir, Guid.NewGuid().ToString("n"));
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>A tarball request: policy, verification, then the path of the verified bytes.</summary>
    public async Task<TarballResult> GetTarballAsync(string name, string file, CancellationToken ct)
    {
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
        var pr = await GetPackumentAsync(name).ConfigureAwait(false);
        if (pr.Entry is null)
        {
            return FromPackumentFailure(pr);
        }

        if (!pr.Entry.Filtered.Upstream.Versions.TryGetValue(version, out var pv))
        {
            return new TarballResult(TarballStatus.NotFound, Name: name, Version: version, Error: $"{name}@{version} is not in the upstream registry");
        }

        return await EnsureVerifiedAsync(pr.Entry.Filtered.Upstream, pv, allowDownload: pr.Status == PackumentStatus.Ok, ct).ConfigureAwait(false);
    }

    private static TarballResult FromPackumentFailure(PackumentResult pr) => pr.Status switch
    {
        PackumentStatus.NotFound => new TarballResult(TarballStatus.NotFound, Error: pr.Error),
        PackumentStatus.UpstreamUnavailable => new TarballResult(TarballStatus.UpstreamUnavailable, Error: pr.Error),
        _ => new TarballResult(TarballStatus.UpstreamInvalid, Error: pr.Error),
    };

    private async Task<TarballResult> DecideAndVerifyAsync(PackumentResult pr, string v, CancellationToken ct)
    {
        var filtered = pr.Entry!.Filtered;
        var version = filtered.Upstream.Versions[v];
        if (filtered.Withheld.TryGetValue(v, out var withheld))
        {
            await LogRefusalAsync(filtered.Name, v, withheld.Findings, ct).ConfigureAwait(false);
            return new TarballResult(TarballStatus.Refused, Findings: withheld.Findings, Name: filtered.Name, Version: v);
        }

        var verified = await EnsureVerifiedAsync(filtered.Upstream, version, allowDownload: pr.Status == PackumentStatus.Ok, ct).ConfigureAwait(false);
        if (verified.Status != TarballStatus.Ok)
        {
            return verified;
        }

        var grants = _approvals.For(filtered.Name).Where(g => g.Version == v).ToList();
        var decision = Decider.Evaluate(verified.Report!, filtered.Upstream, version, grants);
        if (!decision.Allowed)
        {
            await LogRefusalAsync(filtered.Name, v, decision.Blocking, ct).ConfigureAwait(false);
            return verified with { Status = TarballStatus.Refused, Findings = decision.Blocking, Path = null };
        }

        return verified;
    }

    private async Task LogRefusalAsync(string name, string version, IReadOnlyList<ReleaseFinding> findings, CancellationToken ct)
    {
        // Once per version and rule per process: repeated requests must not grow the log without bound.
        var f = findings[0];
        if (_refusalsLogged.TryAdd($"{name}@{version}#{f.Rule}", 0))
        {
            await Store.AppendAuditAsync("gate", "refused", name, version, f.Rule, f.Message, ct).ConfigureAwait(false);
        }
    }

    private Task<TarballResult> EnsureVerifiedAsync(Packument packument, PackageVersion version, bool allowDownload, CancellationToken ct) =>
        Coalesce(_tarballFetches, $"{version.Name}@{version.Version}", () => VerifyOnceAsync(packument, version, allowDownload));

    private async Task<TarballResult> VerifyOnceAsync(Packument packument, PackageVersion version, bool allowDownload)
    {
        var ct = _stopping.Token;
        var name = version.Name;
        var v = version.Version.ToString();
        var integrityKey = !string.IsNullOrEmpty(version.Dist.Integrity) ? version.Dist.Integrity : "sha1:" + version.Dist.Shasum;
        var expected = ExpectedSha512(version);
        var path = expected is null ? null : ContentPath(expected);
        TarballHashes? hashes = null;
        long length;

        // Evidence ledger (issue 12): complete evidence is final; an incomplete verification waits for its retry time.
        var known = await Ledger.LookupAsync(name, v, integrityKey, ct).ConfigureAwait(false);
        if (known.State == LedgerState.Incomplete)
        {
            return Incomplete(name, v, known);
        }

        if (path is not null && File.Exists(path))
        {
            length = new FileInfo(path).Length;
            if (known.State == LedgerState.Complete)
            {
                return new TarballResult(TarballStatus.Ok, path, length, known.Report, Name: name, Version: v);
            }
        }
        else
        {
            if (!allowDownload)
            {
                return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: $"the upstream is unavailable and {name}@{v} has not been verified before");
            }

            if (!_upstream.IsUpstreamUrl(version.Dist.Tarball))
            {
                return new TarballResult(TarballStatus.ForeignUrl, Name: name, Version: v, Error: $"the packument of {name}@{v} points its tarball at {version.Dist.Tarball}, outside the upstream");
            }

            var temp = Path.Combine(_tempDir, Guid.NewGuid().ToString("n"));
            try
            {
                var download = await _upstream.DownloadAsync(version.Dist.Tarball, temp, _options.MaxTarballBytes, ct).ConfigureAwait(false);
                if (download.Status != UpstreamStatus.Ok)
                {
                    return new TarballResult(download.Status switch
                    {
                        UpstreamStatus.NotFound => TarballStatus.NotFound,
                        UpstreamStatus.Unavailable => TarballStatus.UpstreamUnavailable,
                        _ => TarballStatus.UpstreamInvalid,
                    }, Name: name, Version: v, Error: download.Error);
                }

                hashes = download.Hashes!;
                var check = !string.IsNullOrEmpty(version.Dist.Integrity)
                    ? Npm.Integrity.Parse(version.Dist.Integrity).Check(hashes)
                    : Npm.Integrity.CheckShasum(version.Dist.Shasum, hashes);
                if (check.Status != IntegrityStatus.Match)
                {
                    return new TarballResult(TarballStatus.IntegrityMismatch, Name: name, Version: v, Error: $"the upstream tarball of {name}@{v} does not match its integrity (expected {check.Expected}, got {check.Actual})");
                }

                path = ContentPath(Convert.ToHexStringLower(hashes.Sha512));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                if (!File.Exists(path))
                {
                    File.Move(temp, path, overwrite: true);
                }

                length = download.Length;
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }

        if (known.State == LedgerState.Complete)
        {
            // Another gate (or an earlier run) verified these bytes under the same trust material.
            return new TarballResult(TarballStatus.Ok, path, length, known.Report, Name: name, Version: v);
        }

        if (version.Dist.Attestations is { } att && !_upstream.IsUpstreamUrl(att.Url))
        {
            return new TarballResult(TarballStatus.ForeignUrl, Name: name, Version: v, Error: $"the packument of {name}@{v} points its attestations at {att.Url}, outside the upstream");
        }

        hashes ??= TarballHashes.Compute(await File.ReadAllBytesAsync(path!, ct).ConfigureAwait(false));
        var keys = await KeysAsync(ct).ConfigureAwait(false);
        var report = await _verifier.VerifyVersionAsync(packument, version, hashes, keys, ct).ConfigureAwait(false);
        if (report.NetworkError is not null)
        {
            return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: report.NetworkError);
        }

        var recorded = await Ledger.RecordAsync(name, v, integrityKey, report, known.Attempts, ct).ConfigureAwait(false);
        return recorded.State == LedgerState.Complete
            ? new TarballResult(TarballStatus.Ok, path, length, recorded.Report, Name: name, Version: v)
            : Incomplete(name, v, recorded);
    }

    private static TarballResult Incomplete(string name, string version, LedgerEntry entry) =>
        new(TarballStatus.VerificationIncomplete, Name: name, Version: version, RetryAt: entry.RetryAt,
            Error: $"verification of {name}@{version} could not complete (attempt {entry.Attempts}; retried after {entry.RetryAt:u}): {entry.Error}");

    private async Task<RegistryKeys> KeysAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_keys is { } k && now - k.At < TimeSpan.FromMinutes(10))
        {
            return k.Keys;
        }

        var keys = await _verifier.KeysAsync(ct).ConfigureAwait(false);
        _keys = (keys, now);
        return keys;
    }

    private static string? ExpectedSha512(PackageVersion version)
    {
        if (string.IsNullOrEmpty(version.Dist.Integrity))
        {
            return null;
        }

        try
        {
            var sha512 = Npm.Integrity.Parse(version.Dist.Integrity).Hashes.FirstOrDefault(h => h.Algorithm == IntegrityAlgorithm.Sha512);
            return sha512 is null ? null : Convert.ToHexStringLower(sha512.Digest);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NpmDocumentException)
        {
            return null;
        }
    }

    private string ContentPath(string sha512Hex) => Path.Combine(_tarballDir, sha512Hex[..2], sha512Hex);

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
        _approvalsLock.Dispose();
    }
}
