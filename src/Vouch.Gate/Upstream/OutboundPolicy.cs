using System.Net;

namespace Vouch.Gate.Upstream;

/// <summary>
/// The one rule for everything the gate fetches, whoever asks (the gate's own upstream client, or
/// the registry client and verifier working on its behalf): only URLs with the upstream's scheme,
/// host and port, without credentials, under the upstream's path. A redirect elsewhere is refused,
/// not followed.
/// </summary>
internal sealed class OutboundPolicy(Uri upstream)
{
    private long _refused;

    public Uri Upstream => upstream;

    /// <summary>How many requests or redirects were refused (for tests and the health endpoint).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public bool Allows(Uri? url) => IsUnder(upstream, url);

    /// <summary>
    /// True when <paramref name="url"/> is served by <paramref name="upstream"/>: same scheme, host and
    /// port, no user info, under its path with no dot segment, plain or hidden behind an encoded slash.
    /// The one test for "inside the upstream" (outbound requests, redirects, tarball URLs).
    /// </summary>
    public static bool IsUnder(Uri upstream, Uri? url) =>
        url is { IsAbsoluteUri: true }
        && string.Equals(url.Scheme, upstream.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(url.IdnHost, upstream.IdnHost, StringComparison.OrdinalIgnoreCase)
        && url.Port == upstream.Port
        && string.IsNullOrEmpty(url.UserInfo)
        && url.AbsolutePath.StartsWith(upstream.AbsolutePath, StringComparison.Ordinal)
        && !url.AbsolutePath.Contains("/../", StringComparison.Ordinal)
        && !url.AbsolutePath.Contains("/./", StringComparison.Ordinal)
        && !HidesDotSegment(url.AbsolutePath);

    /// <summary>
    /// True when the path holds a <c>.</c> or <c>..</c> segment once an encoded slash or backslash
    /// (<c>%2f</c>, <c>%5c</c>) is read as one: <see cref="Uri"/> leaves <c>..%2f..%2fx</c> as it is, a
    /// server or proxy that decodes it (nginx does) walks out of the upstream's path. An encoded slash
    /// inside a segment (<c>@scope%2fname</c>, as packument URLs are built) is fine.
    /// </summary>
    public static bool HidesDotSegment(string absolutePath)
    {
        if (!absolutePath.Contains('%', StringComparison.Ordinal))
        {
            return false;
        }

        var decoded = absolutePath
            .Replace("%2f", "/", StringComparison.OrdinalIgnoreCase)
            .Replace("%5c", "/", StringComparison.OrdinalIgnoreCase)
            .Replace("%2e", ".", StringComparison.OrdinalIgnoreCase)
            .Replace('\\', '/');
        return decoded.Split('/').Any(segment => segment is "." or "..");
    }

    internal OutboundRefusedException Refuse(string message)
    {
        Interlocked.Increment(ref _refused);
        return new OutboundRefusedException(message);
    }
}

/// <summary>A request or redirect outside the upstream was refused by <see cref="OutboundPolicy"/>.</summary>
internal sealed class OutboundRefusedException(string message) : HttpRequestException(message);

/// <summary>
/// Enforces <see cref="OutboundPolicy"/> under every HTTP client the gate builds: a request outside
/// the upstream is never sent, and a redirect answer pointing outside it is turned into a failure
/// before any client can follow it. Redirects inside the upstream are passed back unchanged (the
/// gate's own client treats them as unusable; the registry client follows them, each hop checked here).
/// </summary>
internal sealed class OutboundPolicyHandler(OutboundPolicy policy, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!policy.Allows(request.RequestUri))
        {
            throw policy.Refuse($"refused to fetch {request.RequestUri}: outside the upstream {policy.Upstream}");
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect
            && response.Headers.Location is { } location)
        {
            var next = location.IsAbsoluteUri ? location : new Uri(request.RequestUri!, location);
            if (!policy.Allows(next))
            {
                response.Dispose();
                throw policy.Refuse($"refused the redirect from {request.RequestUri} to {next}: outside the upstream {policy.Upstream}");
            }
        }

        return response;
    }

    /// <summary>
    /// Wraps <paramref name="inner"/>; an inner handler that follows redirects by itself would do so
    /// out of this handler's sight, so automatic redirects are switched off (or the gate refuses to start).
    /// </summary>
    public static HttpMessageHandler Wrap(OutboundPolicy policy, HttpMessageHandler inner)
    {
        try
        {
            switch (inner)
            {
                case SocketsHttpHandler s when s.AllowAutoRedirect:
                    s.AllowAutoRedirect = false;
                    break;
                case HttpClientHandler h when h.AllowAutoRedirect:
                    h.AllowAutoRedirect = false;
                    break;
            }
        }
        catch (InvalidOperationException)
        {
            throw new GateConfigurationException(["upstream handler: it follows redirects by itself and was already used; pass one with AllowAutoRedirect = false"]);
        }

        return new OutboundPolicyHandler(policy, inner);
    }
}

/// <summary>
/// One circuit breaker per upstream: after <see cref="Threshold"/> consecutive failures the gate
/// stops asking for a while (1 s, doubling up to 60 s), then lets one request probe; a success
/// closes it. While open, requests fail at once and packuments are served from the last good copy.
/// </summary>
internal sealed class CircuitBreaker(TimeProvider time)
{
    public const int Threshold = 3;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private readonly Lock _lock = new();
    private int _failures;
    private TimeSpan _backoff = FirstBackoff;
    private DateTimeOffset _openUntil = DateTimeOffset.MinValue;
    private bool _probing;

    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _failures >= Threshold && (time.GetUtcNow() < _openUntil || _probing);
            }
        }
    }

    /// <summary>Whether a request may go out now; when the breaker is half-open only one probe may.</summary>
    public bool TryEnter()
    {
        lock (_lock)
        {
            if (_failures < Threshold)
            {
                return true;
            }

            if (time.GetUtcNow() < _openUntil || _probing)
            {
                return false;
            }

            _probing = true;
            return true;
        }
    }

    public void Success()
    {
        lock (_lock)
        {
            _failures = 0;
            _backoff = FirstBackoff;
            _probing = false;
        }
    }

    public void Failure()
    {
        lock (_lock)
        {
            _failures++;
            _probing = false;
            if (_failures >= Threshold)
            {
                _openUntil = time.GetUtcNow() + _backoff;
                _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }
}
