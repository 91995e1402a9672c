using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vouch.Gate.Approvals;
using Vouch.Common.Json;

namespace Vouch.Gate.Api;

/// <summary>
/// The HTTP side of the evidence ledger (issue 12): the answer for a verification that could not
/// complete, and the admin re-verify endpoint <c>POST /-/vouch/v1/reverify</c>.
/// </summary>
internal static class EvidenceHttp
{
    /// <summary>503 with Retry-After: the client may try again; nothing was stored as evidence.</summary>
    public static Task IncompleteAsync(HttpContext ctx, TarballResult result)
    {
        if (result.RetryAfter is { } after)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling(after.TotalSeconds));
            ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return GateJson.ErrorAsync(ctx, 503, GateCodes.VerificationIncomplete, result.Error ?? "verification could not complete");
    }

    /// <summary>
    /// <c>{name, version?, reason?}</c>, admin only: forgets the stored verification of the version
    /// (or of every version of the package) under every trust material, writes a <c>reverify</c>
    /// audit row, and with a version verifies it again at once.
    /// </summary>
    public static async Task ReverifyAsync(HttpContext ctx, GateService gate, GateToken token, long maxBodyBytes)
    {
        if (token.Role < GateRole.Admin)
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Forbidden, $"'{token.Name}' is a {token.Role.ToString().ToLowerInvariant()}; re-verifying needs the admin role").ConfigureAwait(false);
            return;
        }

        // The gate's one body reader: anything but an object of string fields is a 400 BAD_BODY.
        var body = await RequestBody.ReadFieldsAsync(ctx, maxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var name = body.GetValueOrDefault("name");
        var version = body.GetValueOrDefault("version");
        var reason = body.GetValueOrDefault("reason");
        var errors = new List<string>();
        if (name is null || !GatePath.ValidName(name))
        {
            errors.Add("name: not a valid package name");
        }

        if (version is not null && ApprovalInput.CheckVersion(version) is { } versionError)
        {
            errors.Add(versionError);
        }

        if (reason is { Length: > 2000 })
        {
            errors.Add("reason: longer than 2000 characters");
        }

        if (errors.Count > 0)
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, string.Join("; ", errors)).ConfigureAwait(false);
            return;
        }

        // Forgets the evidence and drops the cached release decisions made on it (this gate at once,
        // the others on the database when the notification reaches them).
        var removed = await gate.ForgetEvidenceAsync(name!, version, token.Name, reason, ctx.RequestAborted).ConfigureAwait(false);
        if (version is null)
        {
            await GateJson.WriteAsync(ctx, 200, new { name, removed, state = "forgotten" }).ConfigureAwait(false);
            return;
        }

        var result = await gate.VerifyAsync(name!, version, ctx.RequestAborted).ConfigureAwait(false);
        switch (result.Status)
        {
            case TarballStatus.Ok:
                var evidence = JsonInput.ParseNode(EvidenceJson.SerializeToUtf8(result.Report!), Limits.MaxJsonDepth);
                await GateJson.WriteAsync(ctx, 200, new { name, version, removed, state = "complete", passed = result.Report!.Passed, evidence }).ConfigureAwait(false);
                return;
            case TarballStatus.VerificationIncomplete:
                await GateJson.WriteAsync(ctx, 200, new { name, version, removed, state = "incomplete", error = result.Error, retryAt = result.RetryAt }).ConfigureAwait(false);
                return;
            case TarballStatus.NotFound:
                await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, result.Error ?? $"{name}@{version} is not in the upstream registry").ConfigureAwait(false);
                return;
            default:
                await GateJson.ErrorAsync(ctx, 502, result.Status == TarballStatus.UpstreamUnavailable ? GateCodes.UpstreamUnavailable : GateCodes.UpstreamInvalid, result.Error ?? "the upstream registry failed").ConfigureAwait(false);
                return;
        }
    }
}
