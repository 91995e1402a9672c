namespace Vouch.Tuf;

/// <summary>Where a <see cref="TufClient"/> talks to, where it keeps state, and what it starts from.</summary>
public sealed class TufClientOptions
{
    /// <summary>Base URL of the repository's metadata ("https://tuf-repo-cdn.sigstore.dev/").</summary>
    public required Uri MetadataBaseUrl { get; init; }

    /// <summary>Base URL of target files; defaults to "targets/" under <see cref="MetadataBaseUrl"/>, the usual layout.</summary>
    public Uri? TargetBaseUrl { get; init; }

    /// <summary>Directory holding trusted metadata (root.json, timestamp.json, ...). Created when missing.</summary>
    public required string MetadataDirectory { get; init; }

    /// <summary>Directory caching verified target files; null disables the cache (and offline target reads).</summary>
    public string? TargetDirectory { get; init; }

    /// <summary>
    /// The trusted root to start from when <see cref="MetadataDirectory"/> has none (or an older one,
    /// e.g. after an upgrade shipped a newer embedded root).
    /// </summary>
    public byte[]? BootstrapRoot { get; init; }

    /// <summary>Transport; injected so tests and the sandbox can serve repositories without sockets.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>Clock for expiry checks, read once per update (the spec's fixed update start time).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Per-request timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TufLimits Limits { get; init; } = new();
}

/// <summary>
/// Download caps per file type (bytes) and search bounds. Sizes only apply when the referring
/// metadata gives no length; every metadata size is also bounded by <see cref="Vouch.Sigstore.Limits.MaxTrustMaterialBytes"/>.
/// </summary>
public sealed class TufLimits
{
    public int MaxRootBytes { get; init; } = 512 * 1024;

    public int MaxTimestampBytes { get; init; } = 16 * 1024;

    public int MaxSnapshotBytes { get; init; } = 2 * 1024 * 1024;

    public int MaxTargetsBytes { get; init; } = Vouch.Sigstore.Limits.MaxTrustMaterialBytes;

    /// <summary>Largest target file we download, whatever its metadata claims.</summary>
    public long MaxTargetBytes { get; init; } = Vouch.Sigstore.Limits.MaxTrustMaterialBytes;

    /// <summary>Root versions fetched in one update; past it the update goes on with the newest root reached.</summary>
    public int MaxRootRotations { get; init; } = 256;

    /// <summary>Targets roles visited in one target search (top-level included).</summary>
    public int MaxDelegations { get; init; } = 32;
}

/// <summary>Versions and expiries of the trusted top-level metadata after an update or cache load.</summary>
public sealed record TufMetadataSummary(
    long RootVersion,
    DateTimeOffset RootExpires,
    bool ConsistentSnapshot,
    long TimestampVersion,
    DateTimeOffset TimestampExpires,
    long SnapshotVersion,
    DateTimeOffset SnapshotExpires,
    long TargetsVersion,
    DateTimeOffset TargetsExpires)
{
    /// <summary>When the first of these expires: after it, the metadata must be refreshed before use.</summary>
    public DateTimeOffset FreshUntil => new[] { RootExpires, TimestampExpires, SnapshotExpires, TargetsExpires }.Min();
}

/// <summary>What trusted targets metadata says about one target.</summary>
public sealed record TufTargetInfo(
    string Path,
    long Length,
    IReadOnlyDictionary<string, string> Hashes,
    string Role,
    string? CustomJson);
