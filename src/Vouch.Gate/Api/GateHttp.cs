using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Vouch.Gate.Decisions;
using Vouch.Gate.Packuments;
using Vouch.Gate.Storage;
using Vouch.Gate.Upstream;
using Vouch.Npm;

namespace Vouch.Gate.Api;

/// <summary>
/// Every request the gate answers, routed by hand: the hot path (a cached packument) is a dictionary
/// lookup and a copy of pre-serialized bytes, with no routing or JSON work per request.
/// </summary>
internal sealed class GateHttp(GateService gate, GateAuth auth, GateOptions options, TextWriter? log)
{
    private const string AbbreviatedType = "application/vnd.npm.install-v1+json";
    private static readonly string[] AuditPaths = ["-/npm/v1/security/advisories/bulk", "-/npm/v1/security/audits/quick", "-/npm/v1/security/audits"];
    private (byte[] Body, DateTimeOffset At)? _keys;

    public async Task HandleAsync(HttpContext ctx)
    {
        try
        {
            await RouteAsync(ctx).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            if (!ctx.Response.HasStarted)
            {
                await GateJson.ErrorAsync(ctx, e.StatusCode, GateCodes.BadRequest, e.Message).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            log?.WriteLine($"vouch gate: {ctx.Request.Method} {ctx.Request.Path}: {e.GetType().Name}: {e.Message}");
            if (!ctx.Response.HasStarted)
            {
                await GateJson.ErrorAsync(ctx, 500, GateCodes.Internal, "internal error").ConfigureAwait(false);
            }
            else
            {
                ctx.Abort();
            }
        }
    }

    private Task RouteAsync(HttpContext ctx)
    {
        var raw = ctx.Request.Path.Value ?? "/";
        var path = raw.Replace("%2f", "/", StringComparison.OrdinalIgnoreCase).Replace("%2F", "/", StringComparison.Ordinal).TrimStart('/');
        var method = ctx.Request.Method;
        var isGet = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

        if (path.StartsWith("-/", StringComparison.Ordinal))
        {
            if (path.StartsWith("-/vouch/", StringComparison.Ordinal) || path == "-/vouch")
            {
                return VouchAsync(ctx, path["-/vouch".Length..].TrimStart('/'));
            }

            if (path == "-/ping" && isGet)
            {
                return GateJson.WriteAsync(ctx, 200, new { });
            }

            if (path == "-/npm/v1/keys" && isGet)
            {
                return KeysAsync(ctx);
            }

            if (path.StartsWith("-/npm/v1/attestations/", StringComparison.Ordinal) && isGet)
            {
                return ProxyGetAsync(ctx, path, 2L * Limits.MaxBundleBytes);
            }

            if (AuditPaths.Contains(path) && HttpMethods.IsPost(method))
            {
                return ProxyAuditAsync(ctx, path);
            }

            if (path.StartsWith("-/v1/search", StringComparison.Ordinal))
            {
                return GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, "the vouch gate does not offer search; search the upstream registry directly");
            }

            if (path.StartsWith("-/user/", StringComparison.Ordinal) || path == "-/whoami" || path.StartsWith("-/npm/v1/tokens", StringComparison.Ordinal))
            {
                return GateJson.ErrorAsync(ctx, 405, GateCodes.ReadOnly, "the vouch gate is read-only: log in and publish to the upstream registry");
            }

            return GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"no such endpoint: /{path}");
        }

        if (!isGet)
        {
            return GateJson.ErrorAsync(ctx, 405, GateCodes.ReadOnly, "the vouch gate is read-only: publish, unpublish and dist-tag changes go to the upstream registry");
        }

        if (path.Length == 0)
        {
            ctx.Response.Redirect("/-/vouch/dashboard");
            return Task.CompletedTask;
        }

        var dash = path.IndexOf("/-/", StringComparison.Ordinal);
        if (dash > 0)
        {
            return TarballAsync(ctx, path[..dash], path[(dash + 3)..]);
        }

        var segments = path.Split('/');
        var scoped = path.StartsWith('@');
        var nameParts = scoped ? 2 : 1;
        if (segments.Length < nameParts || segments.Length > nameParts + 1)
        {
            return GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "not a package path");
        }

        var name = string.Join('/', segments.Take(nameParts));
        if (!ValidName(name))
        {
            return GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "not a valid package name");
        }

        return segments.Length == nameParts ? PackumentAsync(ctx, name) : VersionAsync(ctx, name, segments[^1]);
    }

    private static bool ValidName(string name) => name.Length <= PackageName.MaxLength && PackageName.Validate(name).ValidForOldPackages;

    private async Task PackumentAsync(HttpContext ctx, string name)
    {
        var result = await gate.GetPackumentAsync(name).ConfigureAwait(false);
        if (result.Entry is not { } entry)
        {
            await PackumentFailureAsync(ctx, name, result).ConfigureAwait(false);
            return;
        }

        var abbreviated = ctx.Request.Headers.Accept.ToString().Contains(AbbreviatedType, StringComparison.Ordinal);
        var f = entry.Filtered;
        var response = ctx.Response;
        var headers = response.Headers;
        byte[] body;
        string etag;
        if (result.Status == PackumentStatus.Stale)
        {
            body = PackumentFilter.RenderStale(abbreviated ? f.AbbreviatedDocument : f.FullDocument, gate.Decider.PolicyVersion, f.Withheld, entry.FetchedAt);
            etag = PackumentFilter.ETag(body);
            headers["X-Vouch-Stale"] = "true";
            headers["Warning"] = "110 - \"Response is Stale\"";
        }
        else
        {
            body = abbreviated ? f.Abbreviated : f.Full;
            etag = abbreviated ? f.AbbreviatedETag : f.FullETag;
        }

        headers.ETag = etag;
        headers.CacheControl = "max-age=0";
        headers.Vary = "Accept";
        if (f.WithheldHeader.Length > 0)
        {
            headers["X-Vouch-Withheld"] = f.WithheldHeader;
        }

        if (ctx.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            response.StatusCode = 304;
            return;
        }

        response.StatusCode = 200;
        response.ContentType = abbreviated ? AbbreviatedType : "application/json";
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Task PackumentFailureAsync(HttpContext ctx, string name, PackumentResult result) => result.Status switch
    {
        PackumentStatus.NotFound => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"{name} is not in the upstream registry"),
        PackumentStatus.UpstreamUnavailable => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamUnavailable, $"the upstream registry failed and no copy of {name} is cached: {result.Error}"),
        _ => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamInvalid, $"the upstream registry answered something unusable for {name}: {result.Error}"),
    };

    private async Task VersionAsync(HttpContext ctx, string name, string versionOrTag)
    {
        var result = await gate.GetPackumentAsync(name).ConfigureAwait(false);
        if (result.Entry is not { } entry)
        {
            await PackumentFailureAsync(ctx, name, result).ConfigureAwait(false);
            return;
        }

        var doc = entry.Filtered.FullDocument;
        var version = doc["dist-tags"]?[versionOrTag]?.GetValue<string>() ?? versionOrTag;
        if (entry.Filtered.Withheld.TryGetValue(version, out var withheld))
        {
            await RefusedAsync(ctx, name, version, withheld.Findings).ConfigureAwait(false);
            return;
        }

        if (doc["versions"]?[version] is not JsonObject v)
        {
            await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"{name} has no version or tag '{versionOrTag}'").ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(PackumentFilter.Serialize(v), ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task TarballAsync(HttpContext ctx, string name, string file)
    {
        if (!ValidName(name) || file.Length > 512 || !file.EndsWith(".tgz", StringComparison.Ordinal) || file.Contains('/', StringComparison.Ordinal) || file.Contains('\\', StringComparison.Ordinal) || file.StartsWith('.'))
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "not a valid tarball path").ConfigureAwait(false);
            return;
        }

        var result = await gate.GetTarballAsync(name, file, ctx.RequestAborted).ConfigureAwait(false);
        switch (result.Status)
        {
            case TarballStatus.Ok:
                ctx.Response.ContentType = "application/octet-stream";
                ctx.Response.ContentLength = result.Length;
                ctx.Response.Headers["X-Vouch-Verified"] = result.Report!.Passed ? "passed" : "approved";
                if (!HttpMethods.IsHead(ctx.Request.Method))
                {
                    await ctx.Response.SendFileAsync(result.Path!, ctx.RequestAborted).ConfigureAwait(false);
                }

                return;
            case TarballStatus.Refused:
                await RefusedAsync(ctx, result.Name!, result.Version!, result.Findings!).ConfigureAwait(false);
                return;
            default:
                await TarballErrorAsync(ctx, result).ConfigureAwait(false);
                return;
        }
    }

    // A tarball and a verify request fail the same way when there is no tarball or evidence to give.
    private static Task TarballErrorAsync(HttpContext ctx, TarballResult result) => result.Status switch
    {
        TarballStatus.NotFound => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, result.Error ?? "not found"),
        TarballStatus.IntegrityMismatch => GateJson.ErrorAsync(ctx, 502, GateCodes.IntegrityMismatch, result.Error!),
        TarballStatus.ForeignUrl => GateJson.ErrorAsync(ctx, 502, GateCodes.ForeignUrl, result.Error!),
        TarballStatus.UpstreamUnavailable => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamUnavailable, result.Error ?? "the upstream registry failed"),
        TarballStatus.VerificationIncomplete => EvidenceHttp.IncompleteAsync(ctx, result),
        _ => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamInvalid, result.Error ?? "the upstream registry answered something unusable"),
    };

    private static Task RefusedAsync(HttpContext ctx, string name, string version, IReadOnlyList<ReleaseFinding> findings)
    {
        var f = findings[0];
        return GateJson.WriteAsync(ctx, 403, new
        {
            error = $"{name}@{version} is withheld by the vouch gate: rule {f.Rule} ({f.Code}): {f.Message}. To ask for an exception: vouch approve request {name}@{version} --rule {f.Rule}",
            code = f.Code,
            rule = f.Rule,
            name,
            version,
            findings = findings.Select(x => new { rule = x.Rule, code = x.Code, reason = x.Message }),
        });
    }

    private async Task KeysAsync(HttpContext ctx)
    {
        if (_keys is not { } cached || DateTimeOffset.UtcNow - cached.At > TimeSpan.FromMinutes(10))
        {
            var r = await gate.Upstream.GetAsync(gate.Upstream.Resolve("-/npm/v1/keys"), "application/json", 1024 * 1024, null, ctx.RequestAborted).ConfigureAwait(false);
            if (r.Status != UpstreamStatus.Ok)
            {
                await UpstreamFailureAsync(ctx, r).ConfigureAwait(false);
                return;
            }

            cached = (r.Body!, DateTimeOffset.UtcNow);
            _keys = cached;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(cached.Body, ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task ProxyGetAsync(HttpContext ctx, string path, long maxBytes)
    {
        var r = await gate.Upstream.GetAsync(gate.Upstream.Resolve(path), "application/json", maxBytes, null, ctx.RequestAborted).ConfigureAwait(false);
        if (r.Status != UpstreamStatus.Ok)
        {
            await UpstreamFailureAsync(ctx, r).ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(r.Body!, ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task ProxyAuditAsync(HttpContext ctx, string path)
    {
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var r = await gate.Upstream.SendAsync(HttpMethod.Post, gate.Upstream.Resolve(path), body, ctx.Request.ContentType, options.MaxPackumentBytes, ctx.RequestAborted).ConfigureAwait(false);
        if (r.Status != UpstreamStatus.Ok)
        {
            await UpstreamFailureAsync(ctx, r).ConfigureAwait(false);
            return;
        }

        ctx.Response.StatusCode = r.HttpStatus ?? 200;
        ctx.Response.ContentType = r.ContentType ?? "application/json";
        await ctx.Response.Body.WriteAsync(r.Body!, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static Task UpstreamFailureAsync(HttpContext ctx, UpstreamResponse r) => r.Status switch
    {
        UpstreamStatus.NotFound => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, r.Error ?? "not found upstream"),
        UpstreamStatus.Unavailable => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamUnavailable, r.Error ?? "the upstream registry failed"),
        _ => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamInvalid, r.Error ?? "the upstream registry answered something unusable"),
    };

    private async Task<byte[]?> ReadBodyAsync(HttpContext ctx)
    {
        if (ctx.Request.ContentLength is { } declared && declared > options.MaxRequestBodyBytes)
        {
            await GateJson.ErrorAsync(ctx, 413, GateCodes.BadRequest, $"the request body exceeds {options.MaxRequestBodyBytes} bytes").ConfigureAwait(false);
            return null;
        }

        using var ms = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + read > options.MaxRequestBodyBytes)
            {
                await GateJson.ErrorAsync(ctx, 413, GateCodes.BadRequest, $"the request body exceeds {options.MaxRequestBodyBytes} bytes").ConfigureAwait(false);
                return null;
            }

            ms.Write(buffer, 0, read);
        }

        return ms.ToArray();
    }

    // ---- /-/vouch/ : the gate's own API and dashboard ----

    private async Task VouchAsync(HttpContext ctx, string rest)
    {
        var method = ctx.Request.Method;
        if (rest is "" or "dashboard")
        {
            if (!HttpMethods.IsGet(method))
            {
                await GateJson.ErrorAsync(ctx, 405, GateCodes.BadRequest, "GET only").ConfigureAwait(false);
                return;
            }

            await Dashboard.RenderAsync(ctx, gate, auth.Authenticate(ctx, allowCookie: true)).ConfigureAwait(false);
            return;
        }

        if (!rest.StartsWith("v1/", StringComparison.Ordinal))
        {
            await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"no such endpoint: /-/vouch/{rest}").ConfigureAwait(false);
            return;
        }

        var api = rest[3..];
        if (api == "health" && HttpMethods.IsGet(method))
        {
            await GateJson.WriteAsync(ctx, 200, new { status = "ok", policy = gate.Decider.PolicyVersion, approvalsVersion = gate.Approvals.Version, database = gate.Store.Provider.ToString().ToLowerInvariant(), fourEyes = !options.AllowSelfApprovalUnsafe, trust = gate.Ledger.Trust }).ConfigureAwait(false);
            return;
        }

        if (api.StartsWith("verify/", StringComparison.Ordinal) && HttpMethods.IsGet(method))
        {
            await VerifyAsync(ctx, api["verify/".Length..]).ConfigureAwait(false);
            return;
        }

        var token = auth.Authenticate(ctx, allowCookie: false);
        if (token is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await GateJson.ErrorAsync(ctx, 401, GateCodes.Unauthorized, "a gate token is required (Authorization: Bearer <token>)").ConfigureAwait(false);
            return;
        }

        switch (api)
        {
            case "whoami" when HttpMethods.IsGet(method):
                await GateJson.WriteAsync(ctx, 200, new { name = token.Name, role = token.Role.ToString().ToLowerInvariant() }).ConfigureAwait(false);
                return;
            case "approvals" when HttpMethods.IsGet(method):
                var status = ctx.Request.Query["status"].ToString();
                if (status.Length > 0 && status is not ("pending" or "granted" or "denied"))
                {
                    await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "status must be pending, granted or denied").ConfigureAwait(false);
                    return;
                }

                var list = await gate.Store.ListApprovalsAsync(status.Length == 0 ? null : status, ctx.RequestAborted).ConfigureAwait(false);
                await GateJson.WriteAsync(ctx, 200, new { approvals = list.Select(GateJson.Approval) }).ConfigureAwait(false);
                return;
            case "approvals" when HttpMethods.IsPost(method):
                await RequestApprovalAsync(ctx, token).ConfigureAwait(false);
                return;
            case "audit" when HttpMethods.IsGet(method):
                var limit = int.TryParse(ctx.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 10000) : 500;
                var entries = await gate.Store.AuditLogAsync(limit, ctx.RequestAborted).ConfigureAwait(false);
                await GateJson.WriteAsync(ctx, 200, new { entries = entries.Select(GateJson.Audit) }).ConfigureAwait(false);
                return;
            case "reverify" when HttpMethods.IsPost(method):
                await EvidenceHttp.ReverifyAsync(ctx, gate, token, ReadJsonObjectAsync).ConfigureAwait(false);
                return;
            case "packages" when HttpMethods.IsGet(method):
                await GateJson.WriteAsync(ctx, 200, new
                {
                    packages = gate.CachedPackuments.OrderBy(p => p.Filtered.Name, StringComparer.Ordinal).Select(p => new
                    {
                        name = p.Filtered.Name,
                        versions = p.Filtered.Upstream.Versions.Count,
                        withheld = p.Filtered.Withheld.Values.Select(w => new { version = w.Version, rule = w.First.Rule, code = w.First.Code, reason = w.First.Message }),
                    }),
                }).ConfigureAwait(false);
                return;
        }

        var parts = api.Split('/');
        if (parts.Length == 3 && parts[0] == "approvals" && parts[2] is ("grant" or "deny") && HttpMethods.IsPost(method))
        {
            if (!long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "the approval id must be a number").ConfigureAwait(false);
                return;
            }

            await DecideAsync(ctx, token, id, parts[2] == "grant").ConfigureAwait(false);
            return;
        }

        await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"no such endpoint: {method} /-/vouch/{rest}").ConfigureAwait(false);
    }

    private async Task VerifyAsync(HttpContext ctx, string spec)
    {
        var slash = spec.LastIndexOf('/');
        var name = slash > 0 ? spec[..slash] : "";
        var version = slash > 0 ? spec[(slash + 1)..] : "";
        if (!ValidName(name) || SemVersion.ParseOrNull(version) is null)
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "expected /-/vouch/v1/verify/{name}/{version} with an exact version").ConfigureAwait(false);
            return;
        }

        var result = await gate.VerifyAsync(name, version, ctx.RequestAborted).ConfigureAwait(false);
        switch (result.Status)
        {
            case TarballStatus.Ok:
                ctx.Response.ContentType = "application/json";
                await ctx.Response.Body.WriteAsync(EvidenceJson.SerializeToUtf8(result.Report!), ctx.RequestAborted).ConfigureAwait(false);
                return;
            default:
                await TarballErrorAsync(ctx, result).ConfigureAwait(false);
                return;
        }
    }

    private async Task<JsonObject?> ReadJsonObjectAsync(HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        if (body is null)
        {
            return null;
        }

        try
        {
            if (body.Length == 0)
            {
                return [];
            }

            if (JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) is JsonObject o)
            {
                return o;
            }
        }
        catch (JsonException)
        {
        }

        await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "the body must be a JSON object").ConfigureAwait(false);
        return null;
    }

    private static string? Text(JsonObject o, string field) => o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private async Task RequestApprovalAsync(HttpContext ctx, GateToken token)
    {
        var body = await ReadJsonObjectAsync(ctx).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var name = Text(body, "name");
        var version = Text(body, "version");
        var rule = Text(body, "rule");
        var reason = Text(body, "reason");
        var errors = new List<string>();
        if (name is null || !ValidName(name))
        {
            errors.Add("name: not a valid package name");
        }

        // Exact, normalised versions and rule names or '*' (Approvals/ApprovalInput.cs).
        if (Approvals.ApprovalInput.CheckVersion(version) is { } versionError)
        {
            errors.Add(versionError);
        }

        if (Approvals.ApprovalInput.CheckRule(rule) is { } ruleError)
        {
            errors.Add(ruleError);
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

        var approval = await gate.Store.RequestAsync(name!, version!, rule!, token.Name, reason, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 201, GateJson.Approval(approval)).ConfigureAwait(false);
    }

    private async Task DecideAsync(HttpContext ctx, GateToken token, long id, bool grant)
    {
        if (token.Role < GateRole.Approver)
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Forbidden, $"'{token.Name}' is a {token.Role.ToString().ToLowerInvariant()}; granting and denying needs the approver or admin role").ConfigureAwait(false);
            return;
        }

        var body = await ReadJsonObjectAsync(ctx).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var reason = Text(body, "reason");
        DateTimeOffset? expires = null;
        if (Text(body, "expires") is { } e)
        {
            // RFC 3339 with an offset, in the future (Approvals/ApprovalInput.cs).
            if (!Approvals.ApprovalInput.TryParseExpiry(e, gate.Time.GetUtcNow(), out var at, out var expiresError))
            {
                await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, expiresError!).ConfigureAwait(false);
                return;
            }

            expires = at;
        }

        if (reason is { Length: > 2000 })
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "reason: longer than 2000 characters").ConfigureAwait(false);
            return;
        }

        var (outcome, approval) = await gate.Store.DecideAsync(id, grant, token.Name, reason, expires, options.AllowSelfApprovalUnsafe, ctx.RequestAborted).ConfigureAwait(false);
        switch (outcome)
        {
            case DecideOutcome.NotFound:
                await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"no approval {id}").ConfigureAwait(false);
                return;
            case DecideOutcome.NotPending:
                await GateJson.ErrorAsync(ctx, 409, GateCodes.Conflict, $"approval {id} is already {approval!.Status}").ConfigureAwait(false);
                return;
            case DecideOutcome.SameIdentity:
                await GateJson.ErrorAsync(ctx, 403, GateCodes.FourEyes, $"approval {id} was requested by '{token.Name}': another approver must grant it (four eyes)").ConfigureAwait(false);
                return;
        }

        // Decisions take effect on this instance at once; other instances see them at their next poll.
        await gate.RefreshApprovalsAsync(ctx.RequestAborted).ConfigureAwait(false);
        var list = await gate.Store.ListApprovalsAsync(null, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 200, GateJson.Approval(list.First(a => a.Id == id))).ConfigureAwait(false);
    }
}
