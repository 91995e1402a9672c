using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Api;

/// <summary>JSON shapes of the gate's REST API (docs/gate.md). Field names are a contract.</summary>
internal static class GateJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static object Approval(ApprovalRecord a) => new
    {
        id = a.Id,
        name = a.Name,
        version = a.Version,
        rule = a.Rule,
        status = a.Status,
        requestedBy = a.RequestedBy,
        requestedAt = a.RequestedAt,
        requestReason = a.RequestReason,
        decidedBy = a.DecidedBy,
        decidedAt = a.DecidedAt,
        decisionReason = a.DecisionReason,
        expiresAt = a.ExpiresAt,
    };

    public static object Audit(AuditEntry e) => new
    {
        id = e.Id,
        at = e.At,
        actor = e.Actor,
        action = e.Action,
        approvalId = e.ApprovalId,
        name = e.Name,
        version = e.Version,
        rule = e.Rule,
        reason = e.Reason,
        expiresAt = e.ExpiresAt,
    };

    public static Task WriteAsync(HttpContext ctx, int status, object body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, Options)).AsTask();
    }

    /// <summary>An error as npm clients print it (<c>error</c>) plus a stable <c>code</c>.</summary>
    public static Task ErrorAsync(HttpContext ctx, int status, string code, string message) =>
        WriteAsync(ctx, status, new { error = message, code });
}
