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

    /// <summary>
    /// Consecutive connection failures (refused, unreachable, unresolvable) to one registry origin
    /// after which it is not asked again for <see cref="CircuitBreakerOpenFor"/>; 0 turns this off.
    /// </summary>
    public int CircuitBreakerThreshold { get; init; } = 5;

    /// <summary>How long an unreachable origin is not asked; then one probe request decides.</summary>
    public TimeSpan CircuitBreakerOpenFor { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxRedirects { get; init; } = 5;

    /// <summary>
    /// How long a cached response stands without asking the registry (not even a conditional
    /// request): <see cref="TimeSpan.Zero"/> (the default) revalidates every cached response,
    /// <see cref="TimeSpan.MaxValue"/> uses any cached copy however old. The age is counted from when
    /// the registry last sent or confirmed (304) the copy; a copy dated in the future is stale.
    /// </summary>
    public TimeSpan CacheMaxAge { get; init; } = TimeSpan.Zero;

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
        ArgumentOutOfRangeException.ThrowIfLessThan(CacheMaxAge, TimeSpan.Zero, nameof(CacheMaxAge));
        ArgumentOutOfRangeException.ThrowIfNegative(CircuitBreakerThreshold, nameof(CircuitBreakerThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CircuitBreakerOpenFor, TimeSpan.Zero, nameof(CircuitBreakerOpenFor));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AttemptTimeout, TimeSpan.Zero, nameof(AttemptTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBaseDelay, TimeSpan.Zero, nameof(RetryBaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryDelay, TimeSpan.Zero, nameof(MaxRetryDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPackumentBytes, 1, nameof(MaxPackumentBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTarballBytes, 1, nameof(MaxTarballBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeysBytes, 1, nameof(MaxKeysBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttestationsBytes, 1, nameof(MaxAttestationsBytes));
    }
}
