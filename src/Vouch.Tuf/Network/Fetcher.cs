using System.Net;

namespace Vouch.Tuf.Network;

/// <summary>
/// Downloads with a hard length cap (the spec's defence against endless-data attacks): the cap is
/// checked against Content-Length up front and enforced again while reading, since the header is
/// the attacker's to set.
/// </summary>
internal sealed class Fetcher : IDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    public Fetcher(HttpMessageHandler? handler, TimeSpan timeout)
    {
        // An injected handler belongs to the caller (tests, a shared handler); only ours is disposed.
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _timeout = timeout;
    }

    /// <summary>
    /// Fetches <paramref name="url"/>. Returns null for 404 and 403 (static hosts and object stores
    /// answer 403 for missing objects), which only the root loop treats as normal.
    /// </summary>
    public async Task<byte[]?> TryFetchAsync(Uri url, long maxLength, string lengthErrorCode, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new TufException(TufErrorCodes.Network, $"GET {url} answered HTTP {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength is { } declared && declared > maxLength)
            {
                throw new TufException(lengthErrorCode, $"GET {url} declares {declared} bytes, more than the {maxLength} allowed");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            return await ReadCappedAsync(stream, url, maxLength, lengthErrorCode, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TufException(TufErrorCodes.Network, $"GET {url} timed out after {_timeout.TotalSeconds:0}s", e);
        }
        catch (HttpRequestException e)
        {
            throw new TufException(TufErrorCodes.Network, $"GET {url} failed: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TufException(TufErrorCodes.Network, $"GET {url} failed while reading: {e.Message}", e);
        }
    }

    /// <summary>Like <see cref="TryFetchAsync"/> but a missing file is a network failure: the metadata said it exists.</summary>
    public async Task<byte[]> FetchAsync(Uri url, long maxLength, string lengthErrorCode, CancellationToken cancellationToken)
    {
        return await TryFetchAsync(url, maxLength, lengthErrorCode, cancellationToken).ConfigureAwait(false)
            ?? throw new TufException(TufErrorCodes.Network, $"GET {url} answered not found");
    }

    public void Dispose() => _http.Dispose();

    private static async Task<byte[]> ReadCappedAsync(Stream stream, Uri url, long maxLength, string lengthErrorCode, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > maxLength)
            {
                throw new TufException(lengthErrorCode, $"GET {url} sent more than the {maxLength} bytes allowed");
            }

            buffer.Write(chunk, 0, read);
        }
    }
}
