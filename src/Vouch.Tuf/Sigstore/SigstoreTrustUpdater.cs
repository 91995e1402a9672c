using System.Security.Cryptography;
using Vouch.Tuf.Storage;

namespace Vouch.Tuf;

/// <summary>Where a piece of trust material in use came from.</summary>
public enum TrustMaterialSource
{
    /// <summary>Downloaded through TUF, and the cached metadata that vouches for it is verified and unexpired now.</summary>
    Cache,

    /// <summary>The snapshot compiled into Vouch, used because no fresh cached copy exists.</summary>
    Embedded,

    /// <summary>Neither a fresh cached copy nor an embedded snapshot exists.</summary>
    Unavailable,
}

/// <summary>One target's material as Vouch would use it now, and why that source.</summary>
public sealed record TrustMaterial(
    string TargetPath,
    TrustMaterialSource Source,
    byte[]? Content,
    string? Sha256,
    DateTimeOffset? CachedAt,
    DateTimeOffset? FreshUntil,
    string Reason);

/// <summary>What <c>vouch trust show</c> reports: the cached TUF metadata (if usable) and each material in use.</summary>
public sealed record TrustStatus(
    Uri Repository,
    string CacheDirectory,
    TufMetadataSummary? Metadata,
    TufError? CacheProblem,
    IReadOnlyList<TrustMaterial> Materials)
{
    public TrustMaterial TrustedRoot => Get(SigstoreTrustUpdater.TrustedRootTarget);

    public TrustMaterial NpmKeys => Get(SigstoreTrustUpdater.NpmKeysTarget);

    public TrustMaterial Get(string targetPath) => Materials.First(m => m.TargetPath == targetPath);
}

/// <summary>Outcome of <c>vouch trust update</c>: the first failure (if any), and the status afterwards.</summary>
public sealed record TrustUpdateResult(TufError? Error, TufMetadataSummary? Metadata, TrustStatus Status)
{
    public bool IsSuccess => Error is null;
}

public sealed class SigstoreTrustOptions
{
    /// <summary>Root of Vouch's cache; TUF state goes under "tuf/&lt;repository&gt;/".</summary>
    public required string CacheDirectory { get; init; }

    public Uri RepositoryUrl { get; init; } = SigstoreTrustUpdater.PublicGoodRepository;

    public HttpMessageHandler? HttpHandler { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Root to start from when the cache has none; defaults to the embedded Sigstore root.</summary>
    public byte[]? BootstrapRoot { get; init; }

    /// <summary>Fallback for <c>trusted_root.json</c>; defaults to <see cref="EmbeddedTrust.SigstoreTrustedRoot"/>.</summary>
    public byte[]? EmbeddedTrustedRoot { get; init; }

    /// <summary>Fallback for <c>registry.npmjs.org/keys.json</c>; defaults to <see cref="EmbeddedTrust.NpmRegistryKeys"/>.</summary>
    public byte[]? EmbeddedNpmKeys { get; init; }

    public TufLimits Limits { get; init; } = new();
}

/// <summary>
/// Keeps Sigstore's trust material fresh: refreshes the TUF repository (bootstrapped from the embedded
/// root), caches the <c>trusted_root.json</c> and <c>registry.npmjs.org/keys.json</c> targets, and says
/// for each whether the fresh cached copy or the embedded snapshot is in use.
/// </summary>
public sealed class SigstoreTrustUpdater
{
    public const string TrustedRootTarget = "trusted_root.json";

    public const string NpmKeysTarget = "registry.npmjs.org/keys.json";

    public static readonly Uri PublicGoodRepository = new("https://tuf-repo-cdn.sigstore.dev/");

    private static readonly string[] Targets = [TrustedRootTarget, NpmKeysTarget];

    private readonly SigstoreTrustOptions _options;

    public SigstoreTrustUpdater(SigstoreTrustOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.CacheDirectory);
        _options = options;
        RepositoryDirectory = Path.Combine(Path.GetFullPath(options.CacheDirectory), "tuf", RepositoryKey(options.RepositoryUrl));
    }

    /// <summary>Per-repository state, so switching <c>--tuf-url</c> never mixes two repositories' metadata.</summary>
    public string RepositoryDirectory { get; }

    private string MetadataDirectory => Path.Combine(RepositoryDirectory, "metadata");

    private string TargetDirectory => Path.Combine(RepositoryDirectory, "targets");

    /// <summary>
    /// Updates the TUF metadata and fetches both targets. Failures are returned, not thrown; the status
    /// afterwards is computed exactly as <see cref="GetStatusAsync"/> would, so it shows what is in use.
    /// </summary>
    public async Task<TrustUpdateResult> UpdateAsync(CancellationToken cancellationToken = default)
    {
        TufError? error;
        TufMetadataSummary? metadata;
        using (var client = CreateClient())
        {
            var update = await client.UpdateAsync(cancellationToken).ConfigureAwait(false);
            error = update.Error;
            metadata = update.Value;
            if (update.IsSuccess)
            {
                foreach (var target in Targets)
                {
                    var fetched = await client.GetTargetAsync(target, cancellationToken).ConfigureAwait(false);
                    error ??= fetched.Error;
                }
            }
        }

        var status = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
        return new TrustUpdateResult(error, metadata, status);
    }

    /// <summary>
    /// Which material is in use, without network access: cached targets whose TUF metadata verifies
    /// and is unexpired now, the embedded snapshots otherwise.
    /// </summary>
    public async Task<TrustStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        using var client = CreateClient();
        var load = await client.LoadFromCacheAsync(cancellationToken).ConfigureAwait(false);
        var materials = new List<TrustMaterial>();
        var targetStore = new LocalStore(TargetDirectory);
        foreach (var target in Targets)
        {
            TufError? problem = load.Error;
            if (load.IsSuccess)
            {
                var cached = await client.GetTargetAsync(target, cancellationToken).ConfigureAwait(false);
                if (cached.IsSuccess)
                {
                    materials.Add(new TrustMaterial(
                        target,
                        TrustMaterialSource.Cache,
                        cached.Value,
                        Sha256Hex(cached.Value),
                        targetStore.LastWriteTime(LocalStore.TargetFileName(target)),
                        load.Value.FreshUntil,
                        $"verified TUF cache (root v{load.Value.RootVersion}, timestamp v{load.Value.TimestampVersion}), fresh until {load.Value.FreshUntil:u}"));
                    continue;
                }

                problem = cached.Error;
            }

            materials.Add(Fallback(target, problem!));
        }

        return new TrustStatus(_options.RepositoryUrl, RepositoryDirectory, load.Value, load.Error, materials);
    }

    private TrustMaterial Fallback(string target, TufError problem)
    {
        var embedded = target == TrustedRootTarget
            ? _options.EmbeddedTrustedRoot ?? EmbeddedTrust.SigstoreTrustedRoot()
            : _options.EmbeddedNpmKeys ?? EmbeddedTrust.NpmRegistryKeys();
        var why = problem.Code == TufErrorCodes.NotCached
            ? "no verified cached copy (run 'vouch trust update')"
            : $"cached copy not usable: {problem}";
        return embedded is null
            ? new TrustMaterial(target, TrustMaterialSource.Unavailable, null, null, null, null, why)
            : new TrustMaterial(target, TrustMaterialSource.Embedded, embedded, Sha256Hex(embedded), null, null, $"embedded snapshot; {why}");
    }

    private TufClient CreateClient() => new(new TufClientOptions
    {
        MetadataBaseUrl = _options.RepositoryUrl,
        MetadataDirectory = MetadataDirectory,
        TargetDirectory = TargetDirectory,
        BootstrapRoot = _options.BootstrapRoot ?? EmbeddedTrust.SigstoreTufRoot(),
        HttpHandler = _options.HttpHandler,
        TimeProvider = _options.TimeProvider,
        Limits = _options.Limits,
    });

    private static string RepositoryKey(Uri url)
    {
        var port = url.IsDefaultPort ? string.Empty : $"_{url.Port}";
        return Uri.EscapeDataString($"{url.Host}{port}{url.AbsolutePath.TrimEnd('/')}");
    }

    private static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
