using System.Collections.Concurrent;
using System.Net.Http;

namespace Vouch.Npm;

/// <summary>
/// Stops asking a registry origin that cannot be connected to. Only connection failures count
/// (refused, unreachable, name not resolved): a registry that answers, even with 5xx, is reachable
/// and keeps its own retry rules. After <see cref="RegistryClientOptions.CircuitBreakerThreshold"/>
/// consecutive connection failures to one origin, requests to it fail at once for
/// <see cref="RegistryClientOptions.CircuitBreakerOpenFor"/>; then one request at a time is let
/// through as a probe, and any answer closes the circuit again. So a long-running gate recovers
/// when the registry comes back, while one audit of a large lockfile against a dead registry ends
/// in seconds instead of retrying every package.
/// </summary>
internal sealed class RegistryCircuitBreaker(int threshold, TimeSpan openFor, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, State> _origins = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The origin a URL counts against (scheme, host and port: one registry).</summary>
    public static string OriginOf(Uri url) => url.GetLeftPart(UriPartial.Authority);

    /// <summary>Whether a request to <paramref name="url"/> may be sent; when not, why.</summary>
    public bool TryEnter(Uri url, out string? refusal)
    {
        refusal = null;
        if (threshold == 0 || !_origins.TryGetValue(OriginOf(url), out var state))
        {
            return true;
        }

        lock (state)
        {
            if (state.Failures < threshold)
            {
                return true;
            }

            var now = time.GetUtcNow();
            // Half-open: one probe; the others keep failing fast until it answers. A probe that never
            // reports (cancelled, timed out) gives way to another after the same interval.
            if (now >= state.OpenUntil && (state.ProbeSince is not { } since || now >= since + openFor))
            {
                state.ProbeSince = now;
                return true;
            }

            refusal = $"registry {OriginOf(url)} is unreachable: {state.Failures} connection failures in a row (last: {state.LastError}); not asked again until {state.OpenUntil:HH:mm:ss}Z";
            return false;
        }
    }

    /// <summary>Records that <paramref name="url"/>'s origin answered (any HTTP status).</summary>
    public void Answered(Uri url)
    {
        if (_origins.TryGetValue(OriginOf(url), out var state))
        {
            lock (state)
            {
                state.Failures = 0;
                state.ProbeSince = null;
            }
        }
    }

    /// <summary>Records a connection failure; true when the circuit is (now) open for that origin.</summary>
    public bool ConnectionFailed(Uri url, string error)
    {
        if (threshold == 0)
        {
            return false;
        }

        var state = _origins.GetOrAdd(OriginOf(url), _ => new State());
        lock (state)
        {
            state.Failures++;
            state.LastError = error;
            state.ProbeSince = null;
            if (state.Failures >= threshold)
            {
                state.OpenUntil = time.GetUtcNow() + openFor;
                return true;
            }

            return false;
        }
    }

    /// <summary>A failure to open a connection, as opposed to a failure of a request on one.</summary>
    public static bool IsConnectionFailure(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || e.InnerException is System.Net.Sockets.SocketException;

    private sealed class State
    {
        public int Failures { get; set; }

        public DateTimeOffset OpenUntil { get; set; }

        public DateTimeOffset? ProbeSince { get; set; }

        public string LastError { get; set; } = "";
    }
}
