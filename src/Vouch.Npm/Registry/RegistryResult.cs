using System.Diagnostics.CodeAnalysis;

namespace Vouch.Npm;

/// <summary>How a registry request ended. Only <see cref="Ok"/> carries a value.</summary>
public enum RegistryStatus
{
    Ok,

    /// <summary>The registry answered 404 (or 410): the package, version, keys or attestations do not exist there.</summary>
    NotFound,

    /// <summary>Offline mode and the cache holds no copy.</summary>
    NotInCache,

    /// <summary>The registry could not be reached, kept failing (5xx, 429, timeouts) or refused the request (401, 403…).</summary>
    NetworkError,

    /// <summary>The registry answered, but with something unusable: malformed, oversized, or another package's document.</summary>
    InvalidResponse,
}

/// <summary>The outcome of one registry request. Failures are values, not exceptions; the CLI maps <see cref="RegistryStatus.NetworkError"/> to exit code 3.</summary>
public sealed record RegistryResult<T>
    where T : class
{
    public required RegistryStatus Status { get; init; }

    public T? Value { get; init; }

    /// <summary>The URL that was asked for (never carrying credentials).</summary>
    public required Uri Url { get; init; }

    /// <summary>A one-line reason when <see cref="Status"/> is not <see cref="RegistryStatus.Ok"/>.</summary>
    public string? Error { get; init; }

    /// <summary>The last HTTP status seen, when there was one.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>True when the value came from the on-disk cache (offline, or revalidated with 304).</summary>
    public bool FromCache { get; init; }

    /// <summary>When the registry last sent or confirmed this copy (now, for a fresh answer; the stored time for a cached copy used within its max-age).</summary>
    public DateTimeOffset? ConfirmedAt { get; init; }

    [MemberNotNullWhen(true, nameof(Value))]
    public bool IsOk => Status == RegistryStatus.Ok && Value is not null;

    public override string ToString() => IsOk ? $"{Status} {Url}" : $"{Status} {Url}: {Error}";

    /// <summary>The same failure for another value type (to pass a failure up without its value).</summary>
    public RegistryResult<TOther> As<TOther>()
        where TOther : class =>
        IsOk
            ? throw new InvalidOperationException("only failures can change type")
            : new RegistryResult<TOther> { Status = Status, Url = Url, Error = Error, HttpStatus = HttpStatus, FromCache = FromCache };
}

/// <summary>A downloaded tarball and the digests computed while it was read.</summary>
public sealed record DownloadedTarball(byte[] Content, TarballHashes Hashes)
{
    public long Length => Content.LongLength;
}

/// <summary>Which form of the package document to ask for.</summary>
public enum PackumentFormat
{
    /// <summary>The full document: <c>_npmUser</c>, <c>repository</c>, <c>time</c>, signatures and attestations.</summary>
    Full,

    /// <summary>The install form (<c>application/vnd.npm.install-v1+json</c>): smaller, without publisher or time data.</summary>
    Abbreviated,
}
