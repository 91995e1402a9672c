namespace Vouch.Npm;

/// <summary>Behaviour of <see cref="RegistryClient"/>. The defaults suit the public registry.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Answer from the cache only; a miss is <see cref="RegistryStatus.NotInCache"/>.</summary>
    public bool Offline { get; init; }

    /// <summary>Requests in flight at once (retry waits do not hold a slot).</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>Retries after the first attempt, for 408, 429, 5xx, timeouts and connection failures.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First backoff step; each retry doubles it, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between attempts; a Retry-After asking for more ends the retries.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for one attempt, headers and body included.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxRedirects { get; init; } = 5;

    public long MaxPackumentBytes { get; init; } = Limits.MaxPackumentBytes;

    public long MaxTarballBytes { get; init; } = Limits.MaxTarballBytes;

    public long MaxKeysBytes { get; init; } = Limits.MaxKeysBytes;

    public long MaxAttestationsBytes { get; init; } = Limits.MaxAttestationsBytes;

    public string UserAgent { get; init; } = "vouch";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrency, 1, nameof(MaxConcurrency));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRedirects, nameof(MaxRedirects));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AttemptTimeout, TimeSpan.Zero, nameof(AttemptTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBaseDelay, TimeSpan.Zero, nameof(RetryBaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryDelay, TimeSpan.Zero, nameof(MaxRetryDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPackumentBytes, 1, nameof(MaxPackumentBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTarballBytes, 1, nameof(MaxTarballBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeysBytes, 1, nameof(MaxKeysBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttestationsBytes, 1, nameof(MaxAttestationsBytes));
    }
}
