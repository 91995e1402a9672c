using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Common;
using Vouch.Gate.Observability;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Notifications;

/// <summary>One webhook receiver: where, and the secret its deliveries are signed with.</summary>
public sealed record WebhookTarget(Uri Url, string Secret)
{
    public const int MinSecretLength = 16;

    public static IReadOnlyList<string> Validate(IReadOnlyList<WebhookTarget> targets)
    {
        var errors = new List<string>();
        foreach (var t in targets)
        {
            if (!t.Url.IsAbsoluteUri || t.Url.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(t.Url.UserInfo))
            {
                errors.Add($"webhook: '{t.Url}' is not an http(s) URL without credentials");
            }
            else if (t.Url.Scheme == "http" && !t.Url.IsLoopback)
            {
                errors.Add($"webhook: '{t.Url}': plain http only to a loopback address (the body names withheld versions and approvers)");
            }

            if (t.Secret.Length < MinSecretLength)
            {
                errors.Add($"webhook: the secret for '{t.Url}' is shorter than {MinSecretLength} characters");
            }
        }

        if (targets.Select(t => t.Url.AbsoluteUri).Distinct(StringComparer.Ordinal).Count() != targets.Count)
        {
            errors.Add("webhook: a URL is given twice");
        }

        return errors;
    }
}

/// <summary>
/// Webhooks on withheld versions, approval requests and decisions (issue 19). The audit log is the
/// outbox: every such event is already an audit row, written in the same transaction as the decision
/// (approvals) or once per version and rule (withheld, refused), so nothing has to be written twice
/// and nothing is lost when the gate stops before a delivery. Per receiver a cursor (the last audit id
/// handed over, in <c>&lt;data-dir&gt;/webhooks/</c>, written atomically) moves only after a delivery
/// was answered 2xx or was given up on; deliveries are in order, retried with exponential backoff
/// (1 s doubling to 5 min, <see cref="MaxAttempts"/> attempts). Delivery is at least once: a receiver
/// deduplicates by <c>X-Vouch-Event-Id</c>, which is the same on every retry and on every gate
/// sharing the database. A receiver that is down never delays a decision.
/// </summary>
internal sealed class WebhookDispatcher : IAsyncDisposable
{
    public const int MaxAttempts = 8;
    public const string SignatureHeader = "X-Vouch-Signature";
    public const string EventIdHeader = "X-Vouch-Event-Id";
    public const string EventHeader = "X-Vouch-Event";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    // A long is at most 19 digits; a little room for a newline or an editor's whitespace.
    private const int MaxCursorBytes = 64;
    private readonly GateStore _store;
    private readonly IReadOnlyList<WebhookTarget> _targets;
    private readonly HttpClient _http;
    private readonly string _directory;
    private readonly Uri _gate;
    private readonly TimeSpan _poll;
    private readonly TimeSpan _firstBackoff;
    private readonly GateMetrics? _metrics;
    private readonly TextWriter? _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    public WebhookDispatcher(GateStore store, IReadOnlyList<WebhookTarget> targets, HttpMessageHandler handler, string dataDirectory, Uri gate, TimeSpan poll, TimeSpan firstBackoff, GateMetrics? metrics, TextWriter? log)
    {
        _store = store;
        _targets = targets;
        _http = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(10) };
        _directory = Path.Combine(dataDirectory, "webhooks");
        _gate = gate;
        _poll = poll;
        _firstBackoff = firstBackoff;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>The event type of an audit action, or null for actions that are not notified.</summary>
    public static string? EventType(string action) => action switch
    {
        "withheld" => "version.withheld",
        "refused" => "version.refused",
        "requested" => "approval.requested",
        "granted" => "approval.granted",
        "denied" => "approval.denied",
        _ => null,
    };

    /// <summary>The signature header's value: <c>sha256=</c> and the lower-case hex HMAC-SHA256 of the raw body.</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async Task StartAsync(CancellationToken ct)
    {
        if (_targets.Count == 0)
        {
            return;
        }

        Directory.CreateDirectory(_directory);

        // A receiver added now starts with what happens from now on, not the whole history.
        var latest = (await _store.AuditLogAsync(1, ct).ConfigureAwait(false)).LastOrDefault()?.Id ?? 0;
        foreach (var t in _targets)
        {
            var cursorFile = CursorFile(t);
            if (!File.Exists(cursorFile))
            {
                AtomicFile.WriteText(cursorFile, latest.ToString(CultureInfo.InvariantCulture));
            }

            _loops.Add(Task.Run(() => RunAsync(t, cursorFile, _stopping.Token), CancellationToken.None));
        }
    }

    private string CursorFile(WebhookTarget t) => Path.Combine(_directory, CursorFileName(t.Url));

    /// <summary>The cursor file's name for a receiver (under <c>&lt;data-dir&gt;/webhooks/</c>).</summary>
    internal static string CursorFileName(Uri url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)))[..16] + ".cursor";

    /// <summary>
    /// The cursor: the id of the last audit row handed over, a non-negative decimal integer no larger
    /// than the newest row's id. Anything else (unreadable, empty, not a number, too large for a long,
    /// ahead of the log) is a problem, never a guess: restarting from 0 would send the whole history
    /// again, from the newest row would drop what lies between.
    /// </summary>
    internal static (long Cursor, string? Problem) ReadCursor(string cursorFile)
    {
        string text;
        try
        {
            using var stream = new FileStream(cursorFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > MaxCursorBytes)
            {
                return (0, $"is longer than {MaxCursorBytes} bytes");
            }

            using var reader = new StreamReader(stream, Encoding.UTF8);
            text = reader.ReadToEnd().Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, $"cannot be read ({e.GetType().Name})");
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor)
            ? (cursor, null)
            : (0, "does not hold an audit id (a non-negative integer of at most 19 digits)");
    }

    private async Task RunAsync(WebhookTarget target, string cursorFile, CancellationToken ct)
    {
        string? reported = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (cursor, problem) = ReadCursor(cursorFile);
                var kind = problem;
                IReadOnlyList<AuditEntry> rows = problem is null ? await _store.AuditAfterAsync(cursor, 100, ct).ConfigureAwait(false) : [];
                if (problem is null && rows.Count == 0 && cursor > 0)
                {
                    // Nothing after the cursor: only then is it worth asking whether it points past the log
                    // (every future event up to that id would be skipped without a word).
                    var newest = (await _store.AuditLogAsync(1, ct).ConfigureAwait(false)).LastOrDefault()?.Id ?? 0;
                    if (cursor > newest)
                    {
                        kind = "ahead";
                        problem = $"is ahead of the audit log (it holds {cursor.ToString(CultureInfo.InvariantCulture)}, the newest row is {newest.ToString(CultureInfo.InvariantCulture)})";
                    }
                }

                if (problem is not null)
                {
                    // Refused, not guessed: this receiver waits (others go on) until the file is fixed.
                    // Reported once per kind of problem, so a poll loop does not flood the log.
                    if (kind != reported)
                    {
                        reported = kind;
                        _metrics?.Webhook("cursor-invalid");
                        _log?.WriteLine($"vouch gate: {GateCodes.WebhookCursorInvalid}: webhooks to {target.Url}: the cursor file {cursorFile} {problem}; nothing is sent to this receiver until it holds the id of the last audit row it received (or it is deleted and the gate restarted: the receiver then starts from the newest row)");
                    }

                    await Task.Delay(_poll, ct).ConfigureAwait(false);
                    continue;
                }

                if (reported is not null)
                {
                    reported = null;
                    _log?.WriteLine($"vouch gate: webhooks to {target.Url}: the cursor file is usable again; delivering after audit id {cursor.ToString(CultureInfo.InvariantCulture)}");
                }

                foreach (var row in rows)
                {
                    if (EventType(row.Action) is { } type)
                    {
                        await DeliverAsync(target, type, row, ct).ConfigureAwait(false);
                    }

                    AtomicFile.WriteText(cursorFile, row.Id.ToString(CultureInfo.InvariantCulture));
                }

                if (rows.Count == 100)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException)
            {
                // The database or the cursor file failed: the cursor did not move, so the next round tries again.
                _log?.WriteLine($"vouch gate: webhooks to {target.Url}: {e.Message}");
            }

            try
            {
                await Task.Delay(_poll, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task DeliverAsync(WebhookTarget target, string type, AuditEntry row, CancellationToken ct)
    {
        var body = Body(type, row);
        var backoff = _firstBackoff;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation(EventIdHeader, EventId(row));
                request.Headers.TryAddWithoutValidation(EventHeader, type);
                request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(target.Secret, body));
                request.Headers.TryAddWithoutValidation("User-Agent", "vouch-gate");
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    _metrics?.Webhook("delivered");
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Unreachable: retried below.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Timed out: retried below.
            }

            if (attempt == MaxAttempts)
            {
                break;
            }

            _metrics?.Webhook("retried");
            await Task.Delay(backoff, ct).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }

        // Given up: the audit row stays (the log is the record); the receiver missed this one.
        _metrics?.Webhook("failed");
        _log?.WriteLine($"vouch gate: webhook {EventId(row)} to {target.Url} failed {MaxAttempts} times; given up");
    }

    private static string EventId(AuditEntry row) => "vouch-audit-" + row.Id.ToString(CultureInfo.InvariantCulture);

    private byte[] Body(string type, AuditEntry row)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", EventId(row));
            w.WriteString("type", type);
            w.WriteString("time", row.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("source", "vouch-gate");
            w.WriteString("gate", _gate.AbsoluteUri);
            w.WriteString("actor", row.Actor);
            w.WriteString("name", row.Name);
            w.WriteString("version", row.Version);
            w.WriteString("rule", row.Rule);
            w.WriteString("reason", row.Reason);
            if (row.ApprovalId is { } id)
            {
                w.WriteNumber("approvalId", id);
            }

            if (row.ExpiresAt is { } expires)
            {
                w.WriteString("expires", expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
        }

        return ms.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _http.Dispose();
        _stopping.Dispose();
    }
}
