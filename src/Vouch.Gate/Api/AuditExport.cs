using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 19: the audit log as CSV or JSON, streamed oldest first under the page's filters and
/// bounded (<see cref="DefaultRows"/> rows unless <c>limit</c> asks for fewer or up to
/// <see cref="MaxRows"/>; continue with <c>after=</c> the last id). CSV cells that a spreadsheet
/// would run as a formula are neutralised (<see cref="CsvCell"/>).
/// </summary>
internal static class AuditExport
{
    public const int DefaultRows = 10_000;

    public const int MaxRows = 100_000;

    public static readonly IReadOnlyList<string> Formats = ["csv", "json"];

    private static readonly string[] Columns = ["id", "at", "actor", "action", "approvalId", "name", "version", "rule", "reason", "expiresAt"];

    /// <summary>The export; <paramref name="htmlErrors"/> answers bad parameters with the dashboard's 400 page (cookie route) instead of JSON (API route).</summary>
    public static async Task ExportAsync(HttpContext ctx, GateService gate, GateToken token, bool htmlErrors)
    {
        var q = DashboardQuery.From(ctx);
        var format = q.OneOf("format", Formats) ?? "csv";
        var (filter, _) = DashboardPages.ReadAuditFilter(q);
        var after = q.Integer("after", 0, long.MaxValue, 0);
        var limit = (int)q.Integer("limit", 1, MaxRows, DefaultRows);
        if (q.Errors.Count > 0)
        {
            if (htmlErrors)
            {
                await DashboardLayout.BadQueryAsync(ctx, "Audit log", "Audit log", token, q.Errors).ConfigureAwait(false);
            }
            else
            {
                await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, string.Join("; ", q.Errors)).ConfigureAwait(false);
            }

            return;
        }

        var ct = ctx.RequestAborted;
        ctx.Response.StatusCode = 200;
        ctx.Response.Headers.CacheControl = "no-store";
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        ctx.Response.Headers["X-Vouch-Export-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"vouch-audit.{format}\"";
        var body = ctx.Response.Body;
        long last = after;
        var count = 0;
        if (format == "csv")
        {
            ctx.Response.ContentType = "text/csv; charset=utf-8";
            var line = new StringBuilder(512);
            line.AppendJoin(',', Columns).Append("\r\n");
            await body.WriteAsync(Encoding.UTF8.GetBytes(line.ToString()), ct).ConfigureAwait(false);
            line.Clear();
            await foreach (var e in gate.Store.StreamAuditAsync(filter, after, limit, ct).ConfigureAwait(false))
            {
                string?[] cells = [e.Id.ToString(CultureInfo.InvariantCulture), Time(e.At), e.Actor, e.Action, e.ApprovalId?.ToString(CultureInfo.InvariantCulture), e.Name, e.Version, e.Rule, e.Reason, e.ExpiresAt is { } x ? Time(x) : null];
                for (var i = 0; i < cells.Length; i++)
                {
                    line.Append(i == 0 ? "" : ",").Append(CsvCell(cells[i]));
                }

                line.Append("\r\n");
                (last, count) = (e.Id, count + 1);
                if (line.Length > 32 * 1024)
                {
                    await body.WriteAsync(Encoding.UTF8.GetBytes(line.ToString()), ct).ConfigureAwait(false);
                    line.Clear();
                }
            }

            await body.WriteAsync(Encoding.UTF8.GetBytes(line.ToString()), ct).ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/json";

        // The serializer flushes its writer synchronously, which Kestrel refuses: write into a buffer
        // and copy each chunk to the response asynchronously.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        await using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = GateJson.Options.Encoder });
        json.WriteStartObject();
        json.WriteStartArray("entries");
        await foreach (var e in gate.Store.StreamAuditAsync(filter, after, limit, ct).ConfigureAwait(false))
        {
            JsonSerializer.Serialize(json, GateJson.Audit(e), GateJson.Options);
            (last, count) = (e.Id, count + 1);
            if (buffer.WrittenCount > 32 * 1024)
            {
                await CopyAsync(json, buffer, body, ct).ConfigureAwait(false);
            }
        }

        json.WriteEndArray();
        var more = count == limit && await gate.Store.AuditHasMoreAsync(filter, last, ct).ConfigureAwait(false);
        json.WriteBoolean("truncated", more);
        if (more)
        {
            json.WriteNumber("nextAfter", last);
        }

        json.WriteEndObject();
        await CopyAsync(json, buffer, body, ct).ConfigureAwait(false);
    }

    private static async Task CopyAsync(Utf8JsonWriter json, System.Buffers.ArrayBufferWriter<byte> buffer, Stream body, CancellationToken ct)
    {
        json.Flush();
        await body.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }

    /// <summary>
    /// One RFC 4180 cell. A value starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a
    /// carriage return gets a leading apostrophe first, so a spreadsheet shows it as text instead of
    /// evaluating it (OWASP's CSV injection advice); then a value holding a comma, quote, CR or LF is
    /// quoted with its quotes doubled. Null is an empty cell.
    /// </summary>
    internal static string CsvCell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Time(DateTimeOffset t) => GateStore.Format(t);
}
