namespace Vouch.Advisories;

/// <summary>The outcome of a download: the temporary file, or why it failed.</summary>
public sealed record DownloadResult(string? Path, string? Error, string? Code);

/// <summary>
/// Fetches an import archive (OSV's <c>npm/all.zip</c> by default) into a temporary file, capped at
/// <see cref="AdvisoryLimits.MaxDownloadBytes"/>. Only https URLs, or http to a loopback host (a
/// sandbox). The archive is not signed by OSV: its authenticity rests on TLS; for air-gapped
/// transfer pin the digest with <c>--expect-digest</c>.
/// </summary>
public static class AdvisoryDownloader
{
    public static readonly Uri DefaultSource = new("https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip");

    public static bool IsAllowedUrl(Uri url) =>
        url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback))
        && string.IsNullOrEmpty(url.UserInfo);

    public static async Task<DownloadResult> DownloadAsync(Uri url, HttpMessageHandler handler, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!IsAllowedUrl(url))
        {
            return new(null, $"{url}: only https URLs (or http to a loopback address) are fetched, without credentials in the URL", AdvisoryCodes.SourceUnreadable);
        }

        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, $".download-{Guid.NewGuid():N}.zip");
        try
        {
            using var client = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromMinutes(10) };
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return new(null, $"{url}: HTTP {(int)response.StatusCode}", AdvisoryCodes.DownloadFailed);
            }

            if (response.Content.Headers.ContentLength > AdvisoryLimits.MaxDownloadBytes)
            {
                return new(null, $"{url}: {response.Content.Headers.ContentLength} bytes, over the {AdvisoryLimits.MaxDownloadBytes}-byte cap", AdvisoryCodes.InputTooLarge);
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > AdvisoryLimits.MaxDownloadBytes)
                {
                    file.Close();
                    File.Delete(path);
                    return new(null, $"{url}: more than {AdvisoryLimits.MaxDownloadBytes} bytes", AdvisoryCodes.InputTooLarge);
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            return new(path, null, null);
        }
        catch (HttpRequestException e)
        {
            TryDelete(path);
            return new(null, $"{url}: {e.Message}", AdvisoryCodes.DownloadFailed);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            TryDelete(path);
            return new(null, $"{url}: timed out", AdvisoryCodes.DownloadFailed);
        }
        catch
        {
            TryDelete(path);
            throw;
        }
    }

    public static void TryDelete(string? path)
    {
        try
        {
            if (path is not null && File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // A leftover temporary file is harmless; the next download uses a fresh name.
        }
    }
}
