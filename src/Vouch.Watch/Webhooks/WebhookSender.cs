using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text;
using Vouch.Watch.Storage;

namespace Vouch.Watch;

/// <summary>The outcome of one round of deliveries.</summary>
public sealed record DeliveryRound(int Delivered, IReadOnlyList<string> Failures, IReadOnlyList<string> GaveUp);

/// <summary>
/// Sends the outbox's due deliveries: POST, signed (<see cref="WebhookSignature"/>), never following
/// a redirect (a 3xx is a failure: the signed body goes only to the configured URL), the response
/// body never read. A 2xx marks the delivery done; anything else schedules a retry with exponential
/// backoff and jitter, until <see cref="Limits.MaxWebhookAttempts"/>. At least once: a process that
/// dies between the POST and the mark sends again after the lease, with the same ids.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly byte[] _secret;
    private readonly WatchStore _store;
    private readonly TimeProvider _time;

    /// <param name="handler">Must not follow redirects (<see cref="CreateDefaultHandler"/>).</param>
    public WebhookSender(Uri url, byte[] secret, WatchStore store, HttpMessageHandler handler, TimeProvider time)
    {
        _url = url;
        _secret = secret;
        _store = store;
        _time = time;
        _http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public static HttpMessageHandler CreateDefaultHandler() => new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    /// <summary>
    /// Accepts an absolute http(s) URL without credentials or fragment; plain http only to a loopback
    /// host (the body carries package events and the signature; on the network it must be TLS).
    /// </summary>
    public static bool TryParseUrl(string text, [NotNullWhen(true)] out Uri? url, [NotNullWhen(false)] out string? error)
    {
        url = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
        {
            error = $"'{text}' is not an absolute http(s) URL";
            return false;
        }

        if (u.UserInfo.Length > 0 || u.Fragment.Length > 0)
        {
            error = "the webhook URL must not carry credentials or a fragment (the secret goes in --webhook-secret-env)";
            return false;
        }

        if (u.Scheme == "http" && !u.IsLoopback)
        {
            error = $"plain http is allowed only to a loopback host; use https for {u.Host}";
            return false;
        }

        url = u;
        error = null;
        return true;
    }

    public async Task<DeliveryRound> DeliverDueAsync(CancellationToken ct)
    {
        var delivered = 0;
        var failures = new List<string>();
        var gaveUp = new List<string>();
        while (!ct.IsCancellationRequested)
        {
            var due = _store.ClaimDue(_time.GetUtcNow(), 32);
            if (due.Count == 0)
            {
                break;
            }

            foreach (var d in due)
            {
                string? error;
                try
                {
                    error = await SendAsync(d, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Shutting down: hand the claimed deliveries back at once (not after the lease),
                    // so a restart sends them; the receiver may see one twice and dedupes on its ids.
                    foreach (var claimed in due)
                    {
                        _store.ReleaseLease(claimed.Id);
                    }

                    throw;
                }

                var now = _time.GetUtcNow();
                if (error is null)
                {
                    _store.MarkDelivered(d.Id, now);
                    delivered++;
                    continue;
                }

                var attempts = d.Attempts + 1;
                var giveUp = attempts >= Limits.MaxWebhookAttempts;
                _store.MarkFailed(d.Id, error, now + Backoff(attempts), giveUp, now);
                (giveUp ? gaveUp : failures).Add($"{d.Id}: {error}");
            }

            // Failed ones are not due again until their backoff: the loop ends when nothing is due.
        }

        return new DeliveryRound(delivered, failures, gaveUp);
    }

    private async Task<string?> SendAsync(Delivery d, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _url)
        {
            Content = new StringContent(d.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(_secret, d.Body, _time.GetUtcNow()));
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, d.Id);
        request.Headers.TryAddWithoutValidation("User-Agent", "vouch-watch");
        using var timeout = new CancellationTokenSource(Limits.WebhookTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            return status is >= 300 and < 400
                ? $"{_url} answered HTTP {status} (a redirect; webhooks never follow one)"
                : $"{_url} answered HTTP {status}";
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"{_url} timed out after {Limits.WebhookTimeout.TotalSeconds:0}s";
        }
        catch (HttpRequestException e)
        {
            return $"{_url}: {e.Message}";
        }
    }

    private static TimeSpan Backoff(int attempts)
    {
        // Exponential with equal jitter, as the registry client does.
        var step = Limits.WebhookBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 20));
        var capped = Math.Min(step, Limits.MaxWebhookRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    public void Dispose() => _http.Dispose();
}
