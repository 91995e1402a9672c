using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Vouch.Common;
using Vouch.Gate.Approvals;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch gate digest`: the gate's Markdown digest (<c>GET /-/vouch/v1/digest</c>, reader token) fetched
/// from the command line, for cron and mail (docs/gate.md#notification-digest-markdown). The token comes
/// from an environment variable and is never printed; the period is parsed here into typed values and
/// the query is built from them; the answer is capped and stripped of terminal control characters.
/// </summary>
internal static class GateCommand
{
    public const string DefaultTokenVariable = "VOUCH_GATE_TOKEN";

    /// <summary>The digest is at most 3 x 200 lines of at most ~400 characters; far more is not a digest.</summary>
    public const int MaxDigestBytes = 4 * 1024 * 1024;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var gate = new Option<string?>("--gate") { Description = "The gate's URL (default: $VOUCH_GATE_URL); https, or http on a loopback address." };
        var tokenEnv = new Option<string?>("--token-env") { Description = $"The environment variable holding a reader (or approver, admin) token (default: {DefaultTokenVariable}). Never printed." };
        var since = new Option<string?>("--since") { Description = "Start of the period: a duration back from now (30m, 24h, 7d), a date (2026-12-01) or an RFC 3339 time with an offset; default 24h." };
        var until = new Option<string?>("--until") { Description = "End of the period (a date counts to its end, or an RFC 3339 time); default now." };
        var output = new Option<string?>("--output") { Description = "Write the digest to FILE (atomically: the file is replaced whole or not at all) instead of stdout." };
        var allowHttp = new Option<bool>("--gate-allow-http-unsafe") { Description = "Allow an http gate URL on a host other than loopback (the token then crosses the network in clear)." };
        var digest = new Command("digest", "Fetch the gate's Markdown digest of a period: versions withheld, approval requests, decisions (reader token).")
        {
            gate, tokenEnv, since, until, output, allowHttp,
        };
        digest.SetAction(async (parse, ct) =>
        {
            var gateUrl = GateUrl(parse.GetValue(gate) ?? Environment.GetEnvironmentVariable("VOUCH_GATE_URL"), parse.GetValue(allowHttp));
            var token = Token(parse.GetValue(tokenEnv) ?? DefaultTokenVariable, parse.GetResult(tokenEnv) is { Implicit: false });
            var query = new List<string>();
            if (parse.GetValue(since) is { } s)
            {
                query.Add("since=" + Uri.EscapeDataString(Period.Parse(s, "--since", allowDuration: true).ToQueryValue()));
            }

            if (parse.GetValue(until) is { } u)
            {
                query.Add("until=" + Uri.EscapeDataString(Period.Parse(u, "--until", allowDuration: false).ToQueryValue()));
            }

            var target = parse.GetValue(output);
            var uri = new Uri(gateUrl, "-/vouch/v1/digest" + (query.Count == 0 ? "" : "?" + string.Join('&', query)));
            var (exit, text) = await FetchAsync(uri, token, stderr, ct).ConfigureAwait(false);
            if (text is null)
            {
                return exit;
            }

            if (target is null)
            {
                await stdout.WriteAsync(text).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            try
            {
                AtomicFile.WriteText(target, text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--output: cannot write {target}: {e.Message}");
            }

            await stdout.WriteLineAsync($"wrote the digest to {target} ({Encoding.UTF8.GetByteCount(text)} bytes)").ConfigureAwait(false);
            return ExitCodes.Ok;
        });

        return new Command("gate", "Talk to a vouch gate as a client (approvals are under 'vouch approve').") { digest };
    }

    private static Uri GateUrl(string? text, bool allowHttp)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new UsageException("--gate URL (or VOUCH_GATE_URL) is required");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            throw new UsageException($"--gate: '{text}' is not an http(s) URL");
        }

        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new UsageException("--gate: give the gate's base URL, without credentials, query or fragment");
        }

        if (uri.Scheme == "http" && !uri.IsLoopback && !allowHttp)
        {
            throw new UsageException($"--gate: http to {uri.Host} would send the token in clear; use https (or --gate-allow-http-unsafe)");
        }

        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static string Token(string variable, bool named)
    {
        if (variable.Length == 0 || variable.Contains('=', StringComparison.Ordinal))
        {
            throw new UsageException($"--token-env: '{variable}' is not an environment variable name");
        }

        var token = Environment.GetEnvironmentVariable(variable)?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            throw new UsageException(named ? $"--token-env: ${variable} is not set or empty" : $"a gate token is required: set ${DefaultTokenVariable} or name another variable with --token-env");
        }

        // Header injection (and a confusing error from the HTTP stack that might quote it): checked here, never printed.
        if (token.Any(c => c < 0x21 || c > 0x7e))
        {
            throw new UsageException($"--token-env: ${variable} holds characters a token cannot have (whitespace, control or non-ASCII)");
        }

        return token;
    }

    private static async Task<(int Exit, string? Text)> FetchAsync(Uri uri, string token, TextWriter stderr, CancellationToken ct)
    {
        var where = uri.GetLeftPart(UriPartial.Authority);

        // No redirects: the answer is the gate's or nothing (and the token is never sent on).
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) }) { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/markdown"));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is 401 or 403)
            {
                await stderr.WriteLineAsync(status == 401
                    ? $"vouch: {GateClientCodes.Unauthorized}: the gate at {where} does not accept the token (401): check the variable --token-env names"
                    : $"vouch: {GateClientCodes.Forbidden}: the token's role may not read the digest at {where} (403): it needs reader, approver or admin").ConfigureAwait(false);
                return (ExitCodes.BadInput, null);
            }

            if (status == (int)HttpStatusCode.BadRequest)
            {
                await stderr.WriteLineAsync($"vouch: {GateClientCodes.BadRequest}: the gate refused the period (400): {Clean(await ReadCappedAsync(response, 2048, ct).ConfigureAwait(false) ?? "")}").ConfigureAwait(false);
                return (ExitCodes.BadInput, null);
            }

            if (status != 200)
            {
                await stderr.WriteLineAsync($"vouch: {GateClientCodes.Failed}: the gate at {where} answered HTTP {status}").ConfigureAwait(false);
                return (ExitCodes.NetworkFailed, null);
            }

            if (response.Content.Headers.ContentType?.MediaType is not "text/markdown")
            {
                await stderr.WriteLineAsync($"vouch: {GateClientCodes.Failed}: the gate at {where} answered {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not text/markdown").ConfigureAwait(false);
                return (ExitCodes.NetworkFailed, null);
            }

            var text = await ReadCappedAsync(response, MaxDigestBytes, ct).ConfigureAwait(false);
            if (text is null)
            {
                await stderr.WriteLineAsync($"vouch: {GateClientCodes.Failed}: the gate's digest is larger than {MaxDigestBytes} bytes or not UTF-8").ConfigureAwait(false);
                return (ExitCodes.NetworkFailed, null);
            }

            return (ExitCodes.Ok, Terminal(text));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"vouch: {GateClientCodes.Failed}: the gate at {where} could not be reached: {e.Message}").ConfigureAwait(false);
            return (ExitCodes.NetworkFailed, null);
        }
    }

    /// <summary>The body as strict UTF-8 up to <paramref name="cap"/> bytes; null when larger or not UTF-8.</summary>
    private static async Task<string?> ReadCappedAsync(HttpResponseMessage response, int cap, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > cap)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// The gate escapes what it puts in the digest, but the digest is printed to terminals and mailed:
    /// control characters other than newline and tab (ESC sequences, carriage returns that overwrite a
    /// line) are replaced with U+FFFD whatever the gate sent.
    /// </summary>
    internal static string Terminal(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = (char.IsControl(c) && c is not ('\n' or '\t')) || c is '\u2028' or '\u2029' or '\u202e' or '\u202d' or '\u2066' or '\u2067' or '\u2068' or '\u2069' ? '\uFFFD' : c;
            }
        });

    private static string Clean(string text)
    {
        var one = Terminal(text).Replace('\n', ' ').Replace('\t', ' ');
        return one.Length > 300 ? one[..300] + "…" : one;
    }

    /// <summary>A `--since`/`--until` value, parsed into a typed period bound (the query is built from it, never from the raw text).</summary>
    private sealed record Period(int? Amount, char Unit, DateOnly? Day, DateTimeOffset? Time)
    {
        public static Period Parse(string text, string option, bool allowDuration)
        {
            if (allowDuration && text.Length is >= 2 and <= 6 && text[^1] is 'm' or 'h' or 'd'
                && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 100_000 && text[0] != '0')
            {
                return new Period(n, text[^1], null, null);
            }

            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return new Period(null, ' ', day, null);
            }

            if (ApprovalInput.TryParseRfc3339(text, out var at))
            {
                return new Period(null, ' ', null, at);
            }

            throw new UsageException($"{option}: '{text}' is not {(allowDuration ? "a duration (30m, 24h, 7d), " : "")}a date (2026-12-01) or an RFC 3339 time with an offset (2026-12-01T08:00:00Z)");
        }

        public string ToQueryValue() =>
            Amount is { } n ? n.ToString(CultureInfo.InvariantCulture) + Unit
            : Day is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : Time!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
    }
}
