using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Vouch.Common.Json;
using Vouch.Npm;

namespace Vouch.Watch;

/// <summary>
/// What reading the gate's packages gave: the names (sorted, distinct), or a failure with its code.
/// <see cref="BadInput"/> failures are the user's to fix (token, URL: exit 2); the others are the
/// gate's or the network's (exit 3).
/// </summary>
public sealed record GatePackagesResult(IReadOnlyList<string>? Packages, string? Code, string? Error, bool BadInput)
{
    [MemberNotNullWhen(true, nameof(Packages))]
    [MemberNotNullWhen(false, nameof(Code), nameof(Error))]
    public bool IsOk => Packages is not null;

    internal static GatePackagesResult Fail(string code, string error, bool badInput = false) => new(null, code, error, badInput);
}

/// <summary>
/// The gate's packages as a watchlist (`vouch watch --gate URL --gate-token-env NAME`): one
/// <c>GET /-/vouch/v1/packages</c> with a reader token. The gate's answer is input like any other:
/// no redirect is followed (the token goes only to the configured gate), the body is capped before
/// it is parsed, its structure is checked first (one error listing every bad field), and every name
/// must be a package name before it is used to build a registry URL.
/// </summary>
public sealed class GateWatchlist : IDisposable
{
    internal const string PackagesPath = "-/vouch/v1/packages";

    private readonly HttpClient _http;
    private readonly TimeSpan _timeout;

    /// <param name="handler">Must not follow redirects (<see cref="CreateDefaultHandler"/>); a followed one is refused anyway.</param>
    /// <param name="timeout">For the whole exchange, body included (default <see cref="Limits.GateTimeout"/>).</param>
    public GateWatchlist(HttpMessageHandler handler, TimeSpan? timeout = null)
    {
        _timeout = timeout ?? Limits.GateTimeout;
        _http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public static HttpMessageHandler CreateDefaultHandler() => new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.None,
    };

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Accepts the gate's base URL: http(s), plain http only to a loopback host (a bearer token
    /// crosses it), no credentials, query or fragment; a path prefix (a gate behind a proxy) of
    /// unreserved characters only. The packages URL is then built from these parts.
    /// </summary>
    public static bool TryParseUrl(string text, [NotNullWhen(true)] out Uri? gate, [NotNullWhen(false)] out string? error)
    {
        gate = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.Host.Length == 0)
        {
            error = "not an absolute http(s) URL";
            return false;
        }

        if (u.UserInfo.Length > 0 || u.Query.Length > 0 || u.Fragment.Length > 0)
        {
            error = "the gate URL must not carry credentials, a query or a fragment (the token goes in --gate-token-env)";
            return false;
        }

        if (u.Scheme == "http" && !u.IsLoopback)
        {
            error = $"plain http is allowed only to a loopback host (the token would cross the network in clear); use https for {u.Host}";
            return false;
        }

        var path = u.AbsolutePath.TrimEnd('/');
        if (!path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '.' or '_' or '~') || path.Split('/').Any(s => s is "." or ".."))
        {
            error = "the gate URL's path may hold only letters, digits and - . _ ~ /";
            return false;
        }

        gate = new UriBuilder(u.Scheme, u.Host, u.Port, path + "/").Uri;
        error = null;
        return true;
    }

    /// <summary>A header value may not carry control characters; the token is checked, never shown.</summary>
    public static bool IsUsableToken(string? token) => !string.IsNullOrWhiteSpace(token) && token.Length <= 4096 && token.All(c => c is > ' ' and < (char)0x7f);

    public async Task<GatePackagesResult> ReadAsync(Uri gate, string token, CancellationToken ct)
    {
        // HttpClient.Timeout stops at the headers; a gate trickling its body one byte at a time is cut here.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        var result = await ReadCoreAsync(gate, token, deadline.Token).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested(); // a stop, not a slow gate
        return result ?? GatePackagesResult.Fail(WatchCodes.GateFailed, $"{new Uri(gate, PackagesPath)}: no complete answer within {_timeout.TotalSeconds:0.#} s");
    }

    /// <summary>Null when <paramref name="ct"/> (the deadline) cut the exchange.</summary>
    private async Task<GatePackagesResult?> ReadCoreAsync(Uri gate, string token, CancellationToken ct)
    {
        var url = new Uri(gate, PackagesPath);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        byte[] body;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.RequestMessage?.RequestUri is { } final && final != url)
            {
                return GatePackagesResult.Fail(WatchCodes.GateFailed, $"{url}: the answer came from another URL (a redirect was followed); refused");
            }

            var status = (int)response.StatusCode;
            switch (status)
            {
                case 401:
                    return GatePackagesResult.Fail(WatchCodes.GateUnauthorized, $"{url}: the gate refused the token (401): check the token in --gate-token-env", badInput: true);
                case 403:
                    return GatePackagesResult.Fail(WatchCodes.GateUnauthorized, $"{url}: the token's role may not list packages (403): use a reader token", badInput: true);
                case >= 300 and < 400:
                    return GatePackagesResult.Fail(WatchCodes.GateFailed, $"{url}: the gate redirected (HTTP {status}); redirects are not followed, so the token goes only to --gate");
                case >= 400 and < 500:
                    return GatePackagesResult.Fail(WatchCodes.GateFailed, $"{url}: HTTP {status}: is --gate the gate's base URL?", badInput: true);
                case < 200 or >= 300:
                    return GatePackagesResult.Fail(WatchCodes.GateFailed, $"{url}: the gate failed (HTTP {status})");
            }

            if (response.Content.Headers.ContentType?.MediaType is not "application/json")
            {
                return GatePackagesResult.Fail(WatchCodes.GateInvalidResponse, $"{url}: the answer is not application/json");
            }

            if (response.Content.Headers.ContentLength > Limits.MaxGateAnswerBytes)
            {
                return GatePackagesResult.Fail(WatchCodes.GateInvalidResponse, $"{url}: the answer is larger than {Limits.MaxGateAnswerBytes} bytes");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            if (await ReadCappedAsync(stream, Limits.MaxGateAnswerBytes, ct).ConfigureAwait(false) is not { } bytes)
            {
                return GatePackagesResult.Fail(WatchCodes.GateInvalidResponse, $"{url}: the answer is larger than {Limits.MaxGateAnswerBytes} bytes");
            }

            body = bytes;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return GatePackagesResult.Fail(WatchCodes.GateFailed, $"{url}: the gate could not be reached: {e.Message}");
        }

        var (names, problems) = Parse(body);
        return problems.Count == 0
            ? new GatePackagesResult(names, null, null, false)
            : GatePackagesResult.Fail(WatchCodes.GateInvalidResponse, $"{url}: {string.Join("; ", problems.Take(10))}{(problems.Count > 10 ? $" and {problems.Count - 10} more" : "")}");
    }

    /// <summary>
    /// The documented shape: <c>{"packages":[{"name":NAME, …}, …]}</c>; other fields of a package
    /// (versions, withheld) are not used. Every problem is listed; names are shown escaped and cut.
    /// </summary>
    internal static (IReadOnlyList<string> Names, IReadOnlyList<string> Problems) Parse(byte[] body)
    {
        var problems = new List<string>();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonInput.Parse(body, Vouch.Npm.Limits.MaxJsonDepth);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("packages", out var packages) || packages.ValueKind != JsonValueKind.Array)
            {
                return ([], ["not a packages answer (expected {\"packages\": [...]})"]);
            }

            // The route is one document today; a paginated answer read as one would silently drop the rest.
            if (root.TryGetProperty("next", out _))
            {
                return ([], ["the answer is paginated (it has \"next\"), which this vouch does not read"]);
            }

            if (packages.GetArrayLength() > Limits.MaxWatchedPackages)
            {
                return ([], [$"{packages.GetArrayLength()} packages; at most {Limits.MaxWatchedPackages} can be watched"]);
            }

            var i = 0;
            foreach (var p in packages.EnumerateArray())
            {
                var at = $"packages[{i++}]";
                if (p.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{at}: not an object");
                }
                else if (!p.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                {
                    problems.Add($"{at}.name: missing or not a string");
                }
                else if (n.GetString() is not { } name || !PackageName.Validate(name).ValidForOldPackages)
                {
                    problems.Add($"{at}.name: {Show(n.GetString() ?? "")} is not a package name");
                }
                else
                {
                    names.Add(name);
                }
            }
        }
        catch (JsonException e)
        {
            return ([], [$"not valid JSON ({e.Message})"]);
        }

        return ([.. names], problems);
    }

    /// <summary>The gate's text on a terminal: quoted, control and non-ASCII characters escaped, at most 80 characters.</summary>
    internal static string Show(string text)
    {
        var b = new StringBuilder("'");
        foreach (var c in text.Length > 80 ? text[..80] : text)
        {
            b.Append(c is >= ' ' and < (char)0x7f and not '\'' and not '\\' ? c.ToString() : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
        }

        return b.Append(text.Length > 80 ? "'…" : "'").ToString();
    }

    private static async Task<byte[]?> ReadCappedAsync(Stream stream, long cap, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > cap)
            {
                return null;
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }
}
