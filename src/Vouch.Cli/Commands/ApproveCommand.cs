using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Gate.Approvals;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch approve request|list|grant|deny`: the gate's approval workflow from the command line,
/// through its REST API (<c>/-/vouch/v1/approvals</c>) with a gate token.
/// </summary>
internal static class ApproveCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var gate = new Option<string?>("--gate") { Description = "The gate's URL (default: $VOUCH_GATE_URL).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "Gate token (default: $VOUCH_GATE_TOKEN). Never printed.", Recursive = true };
        var json = new Option<bool>("--json") { Description = "Print the gate's JSON answer.", Recursive = true };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)." };

        var spec = new Argument<string>("SPEC") { Description = "name@version (an exact version)." };
        var rule = new Option<string>("--rule") { Description = "The rule to lift for this version (as named in the gate's 403 or _vouch.withheld), or '*' for every rule.", Required = true };
        var request = new Command("request", "Ask for an exception: lift one rule for one exact version.") { spec, rule, reason };
        request.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(spec)!;
            var at = text.LastIndexOf('@');
            if (at <= 0 || SemVersion.ParseOrNull(text[(at + 1)..]) is null || !PackageName.Validate(text[..at]).ValidForOldPackages)
            {
                throw new UsageException($"'{text}' is not name@version with an exact version");
            }

            // The gate matches versions exactly as the registry writes them, and rules by name or '*'.
            if ((ApprovalInput.CheckVersion(text[(at + 1)..]) ?? ApprovalInput.CheckRule(parse.GetValue(rule))) is { } problem)
            {
                throw new UsageException(problem);
            }

            var body = new JsonObject { ["name"] = text[..at], ["version"] = text[(at + 1)..], ["rule"] = parse.GetValue(rule), ["reason"] = parse.GetValue(reason) };
            return await CallAsync(parse, gate, token, json, HttpMethod.Post, "-/vouch/v1/approvals", body, stdout, stderr, ct).ConfigureAwait(false);
        });

        var status = new Option<string?>("--status") { Description = "Only approvals in this state: pending, granted or denied." };
        var list = new Command("list", "List approvals.") { status };
        list.SetAction(async (parse, ct) =>
        {
            var s = parse.GetValue(status);
            if (s is not (null or "pending" or "granted" or "denied"))
            {
                throw new UsageException("--status must be pending, granted or denied");
            }

            return await CallAsync(parse, gate, token, json, HttpMethod.Get, "-/vouch/v1/approvals" + (s is null ? "" : "?status=" + s), null, stdout, stderr, ct).ConfigureAwait(false);
        });

        var id = new Argument<long>("ID") { Description = "The approval's id (from `vouch approve list`)." };
        var expires = new Option<string?>("--expires") { Description = "When the grant ends: an RFC 3339 time with an offset (2026-12-31T23:59:59Z), or a duration like 7d, 12h, 30m." };
        var grant = new Command("grant", "Grant a pending approval (approver or admin token).") { id, reason, expires };
        grant.SetAction(async (parse, ct) =>
        {
            var body = new JsonObject { ["reason"] = parse.GetValue(reason) };
            if (parse.GetValue(expires) is { } e)
            {
                body["expires"] = ParseExpiry(e, TimeProvider.System.GetUtcNow()).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            }

            return await CallAsync(parse, gate, token, json, HttpMethod.Post, $"-/vouch/v1/approvals/{parse.GetValue(id)}/grant", body, stdout, stderr, ct).ConfigureAwait(false);
        });

        var deny = new Command("deny", "Deny a pending approval (approver or admin token).") { id, reason };
        deny.SetAction(async (parse, ct) =>
        {
            var body = new JsonObject { ["reason"] = parse.GetValue(reason) };
            return await CallAsync(parse, gate, token, json, HttpMethod.Post, $"-/vouch/v1/approvals/{parse.GetValue(id)}/deny", body, stdout, stderr, ct).ConfigureAwait(false);
        });

        return new Command("approve", "Request, list, grant and deny exceptions at a vouch gate; re-verify stored evidence.") { gate, token, json, request, list, grant, deny, ReverifyCommand.Create(gate, token, json, stdout, stderr) };
    }

    internal static DateTimeOffset ParseExpiry(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n < 100_000)
        {
            switch (text[^1])
            {
                case 'd': return now.AddDays(n);
                case 'h': return now.AddHours(n);
                case 'm': return now.AddMinutes(n);
            }
        }

        if (ApprovalInput.TryParseExpiry(text, now, out var at, out var error))
        {
            return at;
        }

        throw new UsageException($"--{error} (or give a duration like 7d, 12h, 30m)");
    }

    private static async Task<int> CallAsync(ParseResult parse, Option<string?> gateOption, Option<string?> tokenOption, Option<bool> jsonOption, HttpMethod method, string path, JsonObject? body, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var (exit, answer) = await SendAsync(parse, gateOption, tokenOption, method, path, body, stderr, ct).ConfigureAwait(false);
        if (answer is null)
        {
            return exit;
        }

        if (parse.GetValue(jsonOption))
        {
            await stdout.WriteLineAsync(answer.ToJsonString(CliJson.Options)).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        var items = answer["approvals"] is JsonArray array ? array.Select(a => a!).ToList() : [answer];
        foreach (var a in items)
        {
            var line = $"#{a["id"]} {a["name"]}@{a["version"]} rule {a["rule"]}: {a["status"]} (requested by {a["requestedBy"]}";
            line += a["decidedBy"] is { } by ? $"; {a["status"]} by {by}" : "";
            line += a["expiresAt"] is { } exp ? $", until {exp}" : "";
            line += ")";
            if ((a["decisionReason"] ?? a["requestReason"]) is { } why)
            {
                line += $": {why}";
            }

            await stdout.WriteLineAsync(line).ConfigureAwait(false);
        }

        if (items.Count == 0)
        {
            await stdout.WriteLineAsync("no approvals").ConfigureAwait(false);
        }

        return ExitCodes.Ok;
    }

    /// <summary>One call to the gate's API with the token; the parsed answer, or null and the exit code after printing why.</summary>
    internal static async Task<(int Exit, JsonNode? Answer)> SendAsync(ParseResult parse, Option<string?> gateOption, Option<string?> tokenOption, HttpMethod method, string path, JsonObject? body, TextWriter stderr, CancellationToken ct)
    {
        var gateText = parse.GetValue(gateOption) ?? Environment.GetEnvironmentVariable("VOUCH_GATE_URL");
        if (string.IsNullOrEmpty(gateText))
        {
            throw new UsageException("--gate URL (or VOUCH_GATE_URL) is required");
        }

        if (!Uri.TryCreate(gateText.EndsWith('/') ? gateText : gateText + "/", UriKind.Absolute, out var gate) || gate.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--gate: '{gateText}' is not an http(s) URL");
        }

        var token = parse.GetValue(tokenOption) ?? Environment.GetEnvironmentVariable("VOUCH_GATE_TOKEN");
        if (string.IsNullOrEmpty(token))
        {
            throw new UsageException("--token (or VOUCH_GATE_TOKEN) is required");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method, new Uri(gate, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        string text;
        int status;
        try
        {
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            status = (int)response.StatusCode;
            text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"vouch: the gate at {gate} could not be reached: {e.Message}").ConfigureAwait(false);
            return (ExitCodes.NetworkFailed, null);
        }

        JsonNode? answer;
        try
        {
            answer = JsonInput.ParseNode(text, Vouch.Npm.Limits.MaxJsonDepth);
        }
        catch (JsonException)
        {
            answer = null;
        }

        if (status is < 200 or > 299)
        {
            var message = answer?["error"]?.GetValue<string>() ?? $"HTTP {status}";
            await stderr.WriteLineAsync($"vouch: the gate refused ({status}): {message}").ConfigureAwait(false);
            return (status >= 500 ? ExitCodes.NetworkFailed : ExitCodes.BadInput, null);
        }

        if (answer is null)
        {
            await stderr.WriteLineAsync($"vouch: the gate at {gate} answered something that is not JSON").ConfigureAwait(false);
            return (ExitCodes.NetworkFailed, null);
        }

        return (ExitCodes.Ok, answer);
    }
}
