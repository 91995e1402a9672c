using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Vouch.Gate.Observability;

/// <summary>
/// Structured logs (issue 19): one JSON object a line, with a request id, so a log pipeline can
/// parse them and an operator can match a client's <c>X-Request-Id</c> to the gate's line. Client
/// text (the request target) is written through <see cref="Utf8JsonWriter"/>, so it can never break
/// out of its string or forge a line. The access log is off by default: it costs an allocation and a
/// write per request, which the hot path otherwise avoids.
/// </summary>
internal sealed class JsonLog(TextWriter? writer, bool accessLog, TimeProvider time)
{
    private readonly Lock _lock = new();

    public bool AccessLogEnabled => accessLog && writer is not null;

    /// <summary>Kestrel's per-request identifier (connection id and request number), also sent as <c>X-Request-Id</c>.</summary>
    public static string RequestId(HttpContext ctx) => ctx.TraceIdentifier;

    public void Access(HttpContext ctx, string route, long started)
    {
        if (!AccessLogEnabled)
        {
            return;
        }

        Write("info", ctx, w =>
        {
            w.WriteString("event", "request");
            w.WriteString("route", route);
            w.WriteNumber("status", ctx.Response.StatusCode);
            if (ctx.Response.ContentLength is { } length)
            {
                w.WriteNumber("bytes", length);
            }

            w.WriteNumber("ms", Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3));
        });
    }

    public void Error(HttpContext ctx, Exception e) => Write("error", ctx, w =>
    {
        w.WriteString("event", "unexpected-error");
        w.WriteString("error", e.GetType().Name);
        w.WriteString("message", e.Message);
    });

    private void Write(string level, HttpContext ctx, Action<Utf8JsonWriter> fields)
    {
        if (writer is null)
        {
            return;
        }

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("time", time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("level", level);
            w.WriteString("requestId", RequestId(ctx));
            w.WriteString("method", ctx.Request.Method);
            w.WriteString("target", ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value);
            fields(w);
            w.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
        lock (_lock)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
