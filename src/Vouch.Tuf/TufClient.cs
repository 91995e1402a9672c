using Vouch.Tuf.Metadata;
using Vouch.Tuf.Network;
using Vouch.Tuf.Storage;

namespace Vouch.Tuf;

/// <summary>
/// A TUF client (specification 1.0, "detailed client workflow"): refreshes root, timestamp,
/// snapshot and targets from a repository into a local metadata directory, then serves target
/// files only after checking them against trusted targets metadata.
/// Not thread-safe: one instance per update; separate instances may share a directory (writes are atomic).
/// </summary>
public sealed class TufClient : IDisposable
{
    private const string RootFile = "root.json";
    private const string TimestampFile = "timestamp.json";
    private const string SnapshotFile = "snapshot.json";

    private readonly TufClientOptions _options;
    private readonly TufLimits _limits;
    private readonly LocalStore _metadata;
    private readonly LocalStore? _targetCache;
    private readonly Fetcher _fetcher;
    private readonly Uri _metadataBase;
    private readonly Uri _targetBase;

    private TrustedMetadataSet? _trusted;
    private bool _offline;

    public TufClient(TufClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.MetadataDirectory);
        _options = options;
        _limits = options.Limits;
        _metadata = new LocalStore(options.MetadataDirectory);
        _targetCache = options.TargetDirectory is { } dir ? new LocalStore(dir) : null;
        _metadataBase = WithTrailingSlash(options.MetadataBaseUrl);
        _targetBase = WithTrailingSlash(options.TargetBaseUrl ?? new Uri(_metadataBase, "targets/"));
        _fetcher = new Fetcher(options.HttpHandler, options.RequestTimeout);
    }

    /// <summary>
    /// Makes <paramref name="trustedRoot"/> the trusted root of <paramref name="metadataDirectory"/>, for
    /// clients opened on that directory later (an explicit trust decision, like installing a bootstrap
    /// root). The root must parse and meet its own root threshold; no network access. Returns its version.
    /// </summary>
    public static TufResult<long> InitializeMetadataDirectory(string metadataDirectory, byte[] trustedRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(metadataDirectory);
        ArgumentNullException.ThrowIfNull(trustedRoot);
        try
        {
            var cap = MetadataCap(new TufLimits().MaxRootBytes);
            if (trustedRoot.LongLength > cap)
            {
                throw new TufException(TufErrorCodes.MetadataLength, $"the root is {trustedRoot.LongLength} bytes, more than the {cap} allowed");
            }

            var root = TrustedMetadataSet.LoadTrustedRoot(trustedRoot);
            new LocalStore(metadataDirectory).Write(RootFile, root.Raw);
            return TufResult<long>.Success(root.Version);
        }
        catch (TufException e)
        {
            return TufResult<long>.Failure(e.ToError());
        }
    }

    /// <summary>The trusted metadata after a successful <see cref="UpdateAsync"/> or <see cref="LoadFromCacheAsync"/>; null otherwise.</summary>
    public TufMetadataSummary? Trusted => _trusted is { } set ? Summarize(set) : null;

    /// <summary>
    /// Runs the update workflow against the repository: root rotation, then timestamp, snapshot and
    /// top-level targets, persisting each verified file. On failure nothing stays trusted in memory
    /// (files already verified and written remain valid on disk).
    /// </summary>
    public async Task<TufResult<TufMetadataSummary>> UpdateAsync(CancellationToken cancellationToken = default)
    {
        _trusted = null;
        _offline = false;
        try
        {
            var set = await RefreshAsync(cancellationToken).ConfigureAwait(false);
            _trusted = set;
            return TufResult<TufMetadataSummary>.Success(Summarize(set));
        }
        catch (TufException e)
        {
            return TufResult<TufMetadataSummary>.Failure(e.ToError());
        }
    }

    /// <summary>
    /// Verifies the cached metadata without any network access: the local (or bootstrap) root, then the
    /// cached timestamp, snapshot and targets, all of which must be valid and unexpired now. After it
    /// succeeds, <see cref="GetTargetAsync"/> answers from the caches only.
    /// </summary>
    public async Task<TufResult<TufMetadataSummary>> LoadFromCacheAsync(CancellationToken cancellationToken = default)
    {
        _trusted = null;
        _offline = true;
        try
        {
            var set = new TrustedMetadataSet(LoadInitialRoot(), _options.TimeProvider.GetUtcNow());

            // Absence first: "nothing cached" says more than "the bootstrap root has expired".
            var timestamp = ReadCached(TimestampFile, _limits.MaxTimestampBytes);
            set.CheckRootNotExpired();
            set.LoadCachedTimestamp(timestamp);
            set.CheckFinalTimestamp();

            // Checked against timestamp's hashes too: offline there is no newer copy to fall back on,
            // so the cached snapshot must be exactly the one timestamp names.
            set.UpdateSnapshot(ReadCached(SnapshotFile, MetadataCap(set.Timestamp!.SnapshotMeta.Length ?? _limits.MaxSnapshotBytes)), cached: false);
            await LoadTargetsAsync(set, "targets", "root", cancellationToken).ConfigureAwait(false);
            _trusted = set;
            return TufResult<TufMetadataSummary>.Success(Summarize(set));
        }
        catch (TufException e)
        {
            return TufResult<TufMetadataSummary>.Failure(e.ToError());
        }
    }

    /// <summary>Finds what trusted metadata says about <paramref name="targetPath"/>, searching delegations.</summary>
    public async Task<TufResult<TufTargetInfo>> GetTargetInfoAsync(string targetPath, CancellationToken cancellationToken = default)
    {
        try
        {
            var set = await EnsureTrustedAsync(cancellationToken).ConfigureAwait(false);
            var (target, role) = await FindTargetAsync(set, targetPath, cancellationToken).ConfigureAwait(false);
            return TufResult<TufTargetInfo>.Success(ToInfo(target, role));
        }
        catch (TufException e)
        {
            return TufResult<TufTargetInfo>.Failure(e.ToError());
        }
    }

    /// <summary>
    /// Returns the bytes of <paramref name="targetPath"/> once their length and every listed hash match
    /// trusted targets metadata: from the target cache when it holds a matching copy, otherwise
    /// downloaded (and then cached). Runs <see cref="UpdateAsync"/> first if nothing is trusted yet.
    /// </summary>
    public async Task<TufResult<byte[]>> GetTargetAsync(string targetPath, CancellationToken cancellationToken = default)
    {
        try
        {
            var set = await EnsureTrustedAsync(cancellationToken).ConfigureAwait(false);
            var (target, _) = await FindTargetAsync(set, targetPath, cancellationToken).ConfigureAwait(false);
            if (target.Length > _limits.MaxTargetBytes)
            {
                throw new TufException(TufErrorCodes.TargetLength, $"target '{targetPath}' is listed at {target.Length} bytes, more than the {_limits.MaxTargetBytes} allowed");
            }

            var cacheName = LocalStore.TargetFileName(targetPath);
            if (_targetCache?.TryRead(cacheName, target.Length) is { } cached && Matches(cached, target))
            {
                return TufResult<byte[]>.Success(cached);
            }

            if (_offline)
            {
                throw new TufException(TufErrorCodes.NotCached, $"target '{targetPath}' is not in the cache (or no longer matches its metadata)");
            }

            var data = await _fetcher.FetchAsync(TargetUrl(set, target), target.Length, TufErrorCodes.TargetLength, cancellationToken).ConfigureAwait(false);
            CheckTarget(data, target);
            _targetCache?.Write(cacheName, data);
            return TufResult<byte[]>.Success(data);
        }
        catch (TufException e)
        {
            return TufResult<byte[]>.Failure(e.ToError());
        }
    }

    public void Dispose() => _fetcher.Dispose();

    private async Task<TrustedMetadataSet> EnsureTrustedAsync(CancellationToken cancellationToken)
    {
        if (_trusted is { } set)
        {
            return set;
        }

        if (_offline)
        {
            // Offline use must never fall back to the network behind the caller's back.
            throw new TufException(TufErrorCodes.NotCached, "the cached metadata is not loaded (LoadFromCacheAsync failed or was not run)");
        }

        var update = await UpdateAsync(cancellationToken).ConfigureAwait(false);
        if (!update.IsSuccess)
        {
            throw new TufException(update.Error.Code, update.Error.Message);
        }

        return _trusted!;
    }

    private async Task<TrustedMetadataSet> RefreshAsync(CancellationToken cancellationToken)
    {
        var initialRoot = LoadInitialRoot();
        var set = new TrustedMetadataSet(initialRoot, _options.TimeProvider.GetUtcNow());

        // 5.3: walk N+1.root.json until the repository has no newer root (or we hit the cap, after
        // which we go on with the newest root reached, as the spec allows).
        for (var i = 0; i < _limits.MaxRootRotations; i++)
        {
            var next = set.Root.Version + 1;
            var data = await _fetcher.TryFetchAsync(MetadataUrl($"{next}.root.json"), MetadataCap(_limits.MaxRootBytes), TufErrorCodes.MetadataLength, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                break;
            }

            set.UpdateRoot(data);
            _metadata.Write(RootFile, data);
        }

        // 5.3.11: new timestamp or snapshot keys mean the cached copies may carry fast-forwarded versions
        // signed by the old (possibly compromised) keys; dropping them lets the repository recover.
        // Done before the expiry check (the spec's 5.3.10) because the new root is already persisted:
        // if this update stops at an expired root, the next one would no longer see the rotation.
        if (RoleKeysChanged(initialRoot, set.Root, "timestamp") || RoleKeysChanged(initialRoot, set.Root, "snapshot"))
        {
            _metadata.Delete(TimestampFile);
            _metadata.Delete(SnapshotFile);
        }

        set.CheckRootNotExpired();

        // 5.4: the cached timestamp, if it still verifies, is the reference for rollback checks.
        if (_metadata.TryRead(TimestampFile, _limits.MaxTimestampBytes) is { } cachedTimestamp)
        {
            TryIgnoringInvalidCache(() => set.LoadCachedTimestamp(cachedTimestamp));
        }

        var timestamp = await _fetcher.FetchAsync(MetadataUrl(TimestampFile), MetadataCap(_limits.MaxTimestampBytes), TufErrorCodes.MetadataLength, cancellationToken).ConfigureAwait(false);
        if (set.UpdateTimestamp(timestamp))
        {
            _metadata.Write(TimestampFile, timestamp);
        }

        // 5.5: a cached snapshot that is still the one timestamp names saves a download; one that is
        // not stays loaded as the rollback reference for the download.
        var haveSnapshot = false;
        if (_metadata.TryRead(SnapshotFile, MetadataCap(_limits.MaxSnapshotBytes)) is { } cachedSnapshot)
        {
            haveSnapshot = TryIgnoringInvalidCache(() => set.UpdateSnapshot(cachedSnapshot, cached: true));
        }

        if (!haveSnapshot)
        {
            var meta = set.Timestamp!.SnapshotMeta;
            var name = set.Root.ConsistentSnapshot ? $"{meta.Version}.{SnapshotFile}" : SnapshotFile;
            var snapshot = await _fetcher.FetchAsync(MetadataUrl(name), MetadataCap(meta.Length ?? _limits.MaxSnapshotBytes), TufErrorCodes.MetadataLength, cancellationToken).ConfigureAwait(false);
            set.UpdateSnapshot(snapshot, cached: false);
            _metadata.Write(SnapshotFile, snapshot);
        }

        // 5.6: top-level targets.
        await LoadTargetsAsync(set, "targets", "root", cancellationToken).ConfigureAwait(false);
        return set;
    }

    /// <summary>
    /// Picks the starting root: the one in the metadata directory, or the bootstrap root when there is
    /// none, it does not verify, or the bootstrap is newer. Each must meet its own root threshold.
    /// </summary>
    private RootMetadata LoadInitialRoot()
    {
        RootMetadata? local = null;
        TufError? localProblem = null;
        if (_metadata.TryRead(RootFile, MetadataCap(_limits.MaxRootBytes)) is { } localBytes)
        {
            try
            {
                local = TrustedMetadataSet.LoadTrustedRoot(localBytes);
            }
            catch (TufException e)
            {
                localProblem = e.ToError();
            }
        }

        RootMetadata? bootstrap = null;
        if (_options.BootstrapRoot is { } bootstrapBytes)
        {
            try
            {
                bootstrap = TrustedMetadataSet.LoadTrustedRoot(bootstrapBytes);
            }
            catch (TufException e)
            {
                if (local is null)
                {
                    throw new TufException(TufErrorCodes.NoTrustedRoot, $"the bootstrap root is not usable: {e.Message}", e);
                }
            }
        }

        if (bootstrap is not null && (local is null || bootstrap.Version > local.Version))
        {
            if (!_offline)
            {
                _metadata.Write(RootFile, bootstrap.Raw);
            }

            return bootstrap;
        }

        return local ?? throw new TufException(
            TufErrorCodes.NoTrustedRoot,
            localProblem is null
                ? $"no root.json in {_metadata.Directory} and no bootstrap root"
                : $"root.json in {_metadata.Directory} is not usable ({localProblem}) and there is no bootstrap root");
    }

    private async Task<TargetsMetadata> LoadTargetsAsync(TrustedMetadataSet set, string role, string delegator, CancellationToken cancellationToken)
    {
        if (set.TryGetTargets(role, delegator, out var loaded))
        {
            return loaded;
        }

        // Already loaded through another delegator (a "diamond"): same bytes, but they must now meet this
        // delegation's keys and threshold too, or a role could borrow authority from an unrelated path.
        if (set.TryGetLoadedTargets(role, out var viaOther))
        {
            return set.UpdateTargets(viaOther.Raw, role, delegator);
        }

        var fileName = LocalStore.MetadataFileName(role);
        var meta = set.SnapshotMetaFor(role);
        var cap = MetadataCap(meta.Length ?? _limits.MaxTargetsBytes);
        if (_metadata.TryRead(fileName, cap) is { } cached)
        {
            try
            {
                return set.UpdateTargets(cached, role, delegator);
            }
            catch (TufException) when (!_offline)
            {
                // Superseded or damaged cache: the download below replaces it.
            }
        }
        else if (_offline)
        {
            throw new TufException(TufErrorCodes.NotCached, $"{fileName} is not in {_metadata.Directory}");
        }

        var escaped = Uri.EscapeDataString(role);
        var name = set.Root.ConsistentSnapshot ? $"{meta.Version}.{escaped}.json" : $"{escaped}.json";
        var data = await _fetcher.FetchAsync(MetadataUrl(name), cap, TufErrorCodes.MetadataLength, cancellationToken).ConfigureAwait(false);
        var targets = set.UpdateTargets(data, role, delegator);
        _metadata.Write(fileName, data);
        return targets;
    }

    /// <summary>
    /// Spec 5.6.7: pre-order depth-first search from the top-level targets through delegations whose
    /// paths cover the target, in order of appearance, stopping under a terminating delegation,
    /// skipping roles already visited and giving up after <see cref="TufLimits.MaxDelegations"/> roles.
    /// </summary>
    private async Task<(TargetFile Target, string Role)> FindTargetAsync(TrustedMetadataSet set, string targetPath, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(targetPath))
        {
            throw new TufException(TufErrorCodes.NotFound, "target path is empty");
        }

        var toVisit = new Stack<(string Role, string Delegator)>();
        toVisit.Push(("targets", "root"));
        var visited = new HashSet<(string, string)>();
        var budget = _limits.MaxDelegations;
        while (budget > 0 && toVisit.Count > 0)
        {
            var (role, delegator) = toVisit.Pop();
            if (!visited.Add((role, delegator)))
            {
                continue;
            }

            budget--;
            var targets = await LoadTargetsAsync(set, role, delegator, cancellationToken).ConfigureAwait(false);
            if (targets.Targets.TryGetValue(targetPath, out var target))
            {
                return (target, role);
            }

            if (targets.Delegations is null)
            {
                continue;
            }

            var children = new List<(string, string)>();
            foreach (var child in targets.Delegations.Roles)
            {
                if (!child.IsDelegatedPath(targetPath))
                {
                    continue;
                }

                children.Add((child.Name, role));
                if (child.Terminating)
                {
                    // A terminating delegation claims the target: nothing searched after it may answer.
                    toVisit.Clear();
                    break;
                }
            }

            // Pushed in reverse so the first-listed delegation is searched first.
            for (var i = children.Count - 1; i >= 0; i--)
            {
                toVisit.Push(children[i]);
            }
        }

        throw new TufException(TufErrorCodes.NotFound, $"no trusted targets metadata lists '{targetPath}'");
    }

    private Uri TargetUrl(TrustedMetadataSet set, TargetFile target)
    {
        var segments = target.Path.Split('/');

        // Empty, "." and ".." segments would let a listed path address another URL than its own.
        if (segments.Any(s => s.Length == 0 || s == "." || s == ".."))
        {
            throw new TufException(TufErrorCodes.NotFound, $"target path '{target.Path}' cannot be fetched safely");
        }

        if (set.Root.ConsistentSnapshot)
        {
            var hash = target.Hashes.FirstOrDefault(h => h.Algorithm == "sha256") ?? target.Hashes[0];
            segments[^1] = $"{hash.Hex}.{segments[^1]}";
        }

        return new Uri(_targetBase, string.Join('/', segments.Select(Uri.EscapeDataString)));
    }

    private static void CheckTarget(byte[] data, TargetFile target)
    {
        if (data.LongLength != target.Length)
        {
            throw new TufException(TufErrorCodes.TargetLength, $"target '{target.Path}' is {data.LongLength} bytes, metadata lists {target.Length}");
        }

        Hashing.Verify(data, target.Hashes, TufErrorCodes.TargetHashMismatch, $"target '{target.Path}'");
    }

    private static bool Matches(byte[] data, TargetFile target)
    {
        try
        {
            CheckTarget(data, target);
            return true;
        }
        catch (TufException)
        {
            return false;
        }
    }

    private static bool RoleKeysChanged(RootMetadata before, RootMetadata after, string role)
    {
        static HashSet<string> Material(RootMetadata root, string role) =>
            root.Roles[role].KeyIds
                .Select(id => root.Keys.TryGetValue(id, out var key) ? $"{key.KeyType}|{key.Scheme}|{key.PublicValue}" : $"missing|{id}")
                .ToHashSet(StringComparer.Ordinal);

        return before.Version != after.Version && !Material(before, role).SetEquals(Material(after, role));
    }

    private static bool TryIgnoringInvalidCache(Action load)
    {
        try
        {
            load();
            return true;
        }
        catch (TufException)
        {
            // A cached file that no longer verifies is not an attack on this update: the repository
            // copy is fetched and checked instead.
            return false;
        }
    }

    private byte[] ReadCached(string fileName, long maxBytes) =>
        _metadata.TryRead(fileName, maxBytes)
        ?? throw new TufException(TufErrorCodes.NotCached, $"{fileName} is not in {_metadata.Directory}");

    private static long MetadataCap(long requested) => Math.Min(requested, Limits.MaxTrustMaterialBytes);

    private Uri MetadataUrl(string fileName) => new(_metadataBase, fileName);

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static TufMetadataSummary Summarize(TrustedMetadataSet set) => new(
        set.Root.Version,
        set.Root.Expires,
        set.Root.ConsistentSnapshot,
        set.Timestamp!.Version,
        set.Timestamp.Expires,
        set.Snapshot!.Version,
        set.Snapshot.Expires,
        set.TopLevelTargets!.Version,
        set.TopLevelTargets.Expires);

    private static TufTargetInfo ToInfo(TargetFile target, string role) => new(
        target.Path,
        target.Length,
        target.Hashes.ToDictionary(h => h.Algorithm, h => h.Hex, StringComparer.Ordinal),
        role,
        target.CustomJson);
}
