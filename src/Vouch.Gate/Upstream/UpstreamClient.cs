using System.Net;
using System.Net.Http.Headers;
using Vouch.Npm;

namespace Vouch.Gate.Upstream;

internal enum UpstreamStatus
{
    Ok,
    NotModified,
    NotFound,

    /// <summary>Unreachable, timed out, or 5xx/429.</summary>
    Unavailable,

    /// <summary>Answered, but unusable: truncated, oversized, undecodable.</summary>
    Invalid,

    /// <summary>Not sent, or a redirect not followed: outside the upstream (<see cref="OutboundPolicy"/>).</summary>
    Refused,
}

internal sealed record UpstreamResponse(UpstreamStatus Status, byte[]? Body = null, string? ETag = null, string? Error = null, string? ContentType = null, int? HttpStatus = null);

internal sealed record UpstreamFile(UpstreamStatus Status, string? TempPath = null, TarballHashes? Hashes = null, long Length = 0, string? Error = null);

/// <summary>
/// Raw requests to the configured upstream only. Every URL is checked to be under the upstream's
/// origin and path before a request is made, so nothing a packument says can make the gate fetch
/// from elsewhere; every body is read under a cap and a truncated body is a failure.
/// </summary>
internal sealed class UpstreamClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _upstream;
    private readonly TimeSpan _timeout;

    private readonly CircuitBreaker _breaker;

    /// <param name="handler">Already wrapped in <see cref="OutboundPolicyHandler"/> by the composition root.</param>
    private readonly Observability.UpstreamMetrics? _metrics;

    public UpstreamClient(HttpMessageHandler handler, Uri upstream, TimeSpan timeout, CircuitBreaker breaker, Observability.UpstreamMetrics? metrics = null)
    {
        _metrics = metrics;
        _http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        _upstream = upstream;
        _timeout = timeout;
        _breaker = breaker;
    }

    public Uri BaseUrl => _upstream;

    public CircuitBreaker Breaker => _breaker;

    private UpstreamResponse? Open(Uri url) => _breaker.TryEnter() ? null : new UpstreamResponse(UpstreamStatus.Unavailable, Error: $"{url}: the upstream kept failing; not asked again yet (circuit open)");

    // Only "could not reach / 5xx / timeout" counts against the upstream; a clear answer (even 404) is a sign of life.
    private T Count<T>(T outcome, UpstreamStatus status)
    {
        if (status == UpstreamStatus.Unavailable)
        {
            _breaker.Failure();
        }
        else
        {
            _breaker.Success();
        }

        return outcome;
    }

    /// <summary>True when <paramref name="url"/> is served by the configured upstream (same scheme, host, port, under its path).</summary>
    public bool IsUpstreamUrl(Uri url) => OutboundPolicy.IsUnder(_upstream, url);

    public async Task<UpstreamResponse> GetAsync(Uri url, string accept, long maxBytes, string? etag, CancellationToken ct)
    {
        if (!IsUpstreamUrl(url))
        {
            return new UpstreamResponse(UpstreamStatus.Refused, Error: $"{url} is not under the upstream {_upstream}");
        }

        if (Open(url) is { } open)
        {
            return open;
        }

        var started = Observability.UpstreamMetrics.Start();
        var r = await GetOnceAsync(url, accept, maxBytes, etag, ct).ConfigureAwait(false);
        _metrics?.Request(r.Status, started);
        return Count(r, r.Status);
    }

    private async Task<UpstreamResponse> GetOnceAsync(Uri url, string accept, long maxBytes, string? etag, CancellationToken ct)
    {

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("Accept", accept);
            request.Headers.TryAddWithoutValidation("User-Agent", "vouch-gate");
            if (etag is not null)
            {
                request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.NotModified && etag is not null)
            {
                return new UpstreamResponse(UpstreamStatus.NotModified, ETag: etag, HttpStatus: status);
            }

            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                return new UpstreamResponse(UpstreamStatus.NotFound, HttpStatus: status, Error: $"{url} answered HTTP {status}");
            }

            if (!response.IsSuccessStatusCode)
            {
                return new UpstreamResponse(status >= 500 || status == 429 ? UpstreamStatus.Unavailable : UpstreamStatus.Invalid, HttpStatus: status, Error: $"{url} answered HTTP {status}");
            }

            var body = await ReadCappedAsync(response, maxBytes, timeout.Token).ConfigureAwait(false);
            return body is null
                ? new UpstreamResponse(UpstreamStatus.Invalid, HttpStatus: status, Error: $"{url}: the body exceeds {maxBytes} bytes or is truncated")
                : new UpstreamResponse(UpstreamStatus.Ok, body, response.Headers.ETag?.ToString(), ContentType: response.Content.Headers.ContentType?.ToString(), HttpStatus: status);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new UpstreamResponse(UpstreamStatus.Unavailable, Error: $"{url} timed out after {_timeout.TotalSeconds:0}s");
        }
        catch (OutboundRefusedException e)
        {
            return new UpstreamResponse(UpstreamStatus.Refused, Error: e.Message);
        }
        catch (HttpRequestException e)
        {
            return new UpstreamResponse(UpstreamStatus.Unavailable, Error: $"{url}: {e.Message}");
        }
        catch (IOException e)
        {
            return new UpstreamResponse(UpstreamStatus.Invalid, Error: $"{url}: the body broke off ({e.Message})");
        }
        catch (InvalidDataException e)
        {
            return new UpstreamResponse(UpstreamStatus.Invalid, Error: $"{url}: the body could not be decoded ({e.Message})");
        }
    }

    /// <summary>Forwards a small request (npm audit) and returns the upstream's answer under a cap.</summary>
    public async Task<UpstreamResponse> SendAsync(HttpMethod method, Uri url, byte[]? body, string? contentType, long maxBytes, CancellationToken ct)
    {
        if (!IsUpstreamUrl(url))
        {
            return new UpstreamResponse(UpstreamStatus.Refused, Error: $"{url} is not under the upstream {_upstream}");
        }

        if (Open(url) is { } open)
        {
            return open;
        }

        var started = Observability.UpstreamMetrics.Start();
        var r = await SendOnceAsync(method, url, body, contentType, maxBytes, ct).ConfigureAwait(false);
        _metrics?.Request(r.Status, started);
        return Count(r, r.Status);
    }

    private async Task<UpstreamResponse> SendOnceAsync(HttpMethod method, Uri url, byte[]? body, string? contentType, long maxBytes, CancellationToken ct)
    {

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.TryAddWithoutValidation("User-Agent", "vouch-gate");
            request.Headers.TryAddWithoutValidation("Accept", "application/json");
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var ctv) ? ctv : new MediaTypeHeaderValue("application/json");
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var bytes = await ReadCappedAsync(response, maxBytes, timeout.Token).ConfigureAwait(false);
            if (bytes is null)
            {
                return new UpstreamResponse(UpstreamStatus.Invalid, Error: $"{url}: the body exceeds {maxBytes} bytes or is truncated");
            }

            var status = (int)response.StatusCode;
            return new UpstreamResponse(status >= 500 ? UpstreamStatus.Unavailable : UpstreamStatus.Ok, bytes, ContentType: response.Content.Headers.ContentType?.ToString(), HttpStatus: status);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new UpstreamResponse(UpstreamStatus.Unavailable, Error: $"{url} timed out");
        }
        catch (OutboundRefusedException e)
        {
            return new UpstreamResponse(UpstreamStatus.Refused, Error: e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException)
        {
            return new UpstreamResponse(UpstreamStatus.Unavailable, Error: $"{url}: {e.Message}");
        }
    }

    /// <summary>Streams a tarball into <paramref name="tempPath"/>, hashing as it goes, under the cap.</summary>
    public async Task<UpstreamFile> DownloadAsync(Uri url, string tempPath, long maxBytes, CancellationToken ct)
    {
        if (!IsUpstreamUrl(url))
        {
            return new UpstreamFile(UpstreamStatus.Refused, Error: $"{url} is not under the upstream {_upstream}");
        }

        if (Open(url) is { } open)
        {
            return new UpstreamFile(open.Status, Error: open.Error);
        }

        var started = Observability.UpstreamMetrics.Start();
        var r = await DownloadOnceAsync(url, tempPath, maxBytes, ct).ConfigureAwait(false);
        _metrics?.Request(r.Status, started);
        return Count(r, r.Status);
    }

    private async Task<UpstreamFile> DownloadOnceAsync(Uri url, string tempPath, long maxBytes, CancellationToken ct)
    {

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("User-Agent", "vouch-gate");
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                return new UpstreamFile(UpstreamStatus.NotFound, Error: $"{url} answered HTTP {status}");
            }

            if (!response.IsSuccessStatusCode)
            {
                return new UpstreamFile(status >= 500 || status == 429 ? UpstreamStatus.Unavailable : UpstreamStatus.Invalid, Error: $"{url} answered HTTP {status}");
            }

            if (response.Content.Headers.ContentLength is { } declared && declared > maxBytes)
            {
                return new UpstreamFile(UpstreamStatus.Invalid, Error: $"{url}: {declared} bytes exceeds the {maxBytes}-byte cap");
            }

            using var hasher = new StreamHasher();
            long total = 0;
            await using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            await using (var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        return new UpstreamFile(UpstreamStatus.Invalid, Error: $"{url}: the body exceeds the {maxBytes}-byte cap");
                    }

                    hasher.Append(buffer.AsSpan(0, read));
                    await file.WriteAsync(buffer.AsMemory(0, read), timeout.Token).ConfigureAwait(false);
                }

                await file.FlushAsync(timeout.Token).ConfigureAwait(false);
            }

            if (response.Content.Headers.ContentLength is { } length && length != total)
            {
                return new UpstreamFile(UpstreamStatus.Invalid, Error: $"{url}: truncated ({total} of {length} bytes)");
            }

            return new UpstreamFile(UpstreamStatus.Ok, tempPath, hasher.Finish(), total);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new UpstreamFile(UpstreamStatus.Unavailable, Error: $"{url} timed out after {_timeout.TotalSeconds:0}s");
        }
        catch (OutboundRefusedException e)
        {
            return new UpstreamFile(UpstreamStatus.Refused, Error: e.Message);
        }
        catch (HttpRequestException e)
        {
            return new UpstreamFile(UpstreamStatus.Unavailable, Error: $"{url}: {e.Message}");
        }
        catch (IOException e)
        {
            return new UpstreamFile(UpstreamStatus.Invalid, Error: $"{url}: the body broke off ({e.Message})");
        }
    }

    private static async Task<byte[]?> ReadCappedAsync(HttpResponseMessage response, long maxBytes, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > maxBytes)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var ms = new MemoryStream();
        var buffer = new byte[32768];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + read > maxBytes)
            {
                return null;
            }

            ms.Write(buffer, 0, read);
        }

        if (response.Content.Headers.ContentLength is { } length && length != ms.Length && response.Content.Headers.ContentEncoding.Count == 0)
        {
            return null;
        }

        return ms.ToArray();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>All of npm's integrity algorithms over one streamed body, in a single pass.</summary>
internal sealed class StreamHasher : IDisposable
{
    private readonly System.Security.Cryptography.IncrementalHash[] _hashes =
    [
        System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA512),
        System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA384),
        System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256),
        System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA1),
    ];

    public void Append(ReadOnlySpan<byte> data)
    {
        foreach (var h in _hashes)
        {
            h.AppendData(data);
        }
    }

    public TarballHashes Finish() => new(_hashes[0].GetHashAndReset(), _hashes[1].GetHashAndReset(), _hashes[2].GetHashAndReset(), _hashes[3].GetHashAndReset());

    public void Dispose()
    {
        foreach (var h in _hashes)
        {
            h.Dispose();
        }
    }
}
