using Microsoft.AspNetCore.Http;
using Vouch.Gate.Decisions;
using Vouch.Gate.Packuments;
using Vouch.Gate.Upstream;
using Vouch.Gate.Verification;

namespace Vouch.Gate.Api;

/// <summary>
/// npm's routes, answered by hand (the hot path: a cached packument is a dictionary lookup and a
/// copy of pre-serialized bytes, a verified tarball a cached decision and a file send). Every
/// handler takes the parser's <see cref="GateRoute"/>; upstream URLs come from <see cref="UpstreamUrls"/>.
/// </summary>
internal sealed class NpmRoutes(GateService gate, KeysCache keys, UpstreamUrls urls, GateOptions options, Publish.PublishEndpoint publish)
{
    private const string AbbreviatedType = "application/vnd.npm.install-v1+json";

    public Task HandleAsync(HttpContext ctx, GateRoute route)
    {
        var method = ctx.Request.Method;
        var read = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        return route.Kind switch
        {
            RouteKind.Root when read => Redirect(ctx),
            RouteKind.Packument when read => PackumentAsync(ctx, route.Name!),
            RouteKind.Version when read => VersionAsync(ctx, route.Name!, route.Version!),
            RouteKind.Tarball when read => TarballAsync(ctx, route.Name!, route.File!),
            RouteKind.Ping when read => GateJson.WriteAsync(ctx, 200, new { }),
            RouteKind.Keys when read => KeysAsync(ctx),
            RouteKind.Attestations when read => AttestationsAsync(ctx, route.Name!, route.Version!),
            RouteKind.Audit when HttpMethods.IsPost(method) => ProxyAuditAsync(ctx, route.Audit),
            RouteKind.Search => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, "the vouch gate does not offer search; search the upstream registry directly"),
            RouteKind.Account => GateJson.ErrorAsync(ctx, 405, GateCodes.ReadOnly, "the vouch gate is read-only: log in and publish to the upstream registry"),
            RouteKind.Unknown => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, "no such endpoint"),
            RouteKind.Packument when HttpMethods.IsPut(method) && publish.Enabled => publish.HandleAsync(ctx, route.Name!),
            RouteKind.Packument or RouteKind.Version or RouteKind.Tarball when HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsPost(method) || HttpMethods.IsPatch(method)
                => GateJson.ErrorAsync(ctx, 405, GateCodes.ReadOnly, "the vouch gate is read-only: publish, unpublish and dist-tag changes go to the upstream registry"),
            _ => GateJson.ErrorAsync(ctx, 405, GateCodes.MethodNotAllowed, $"{method} is not allowed here"),
        };
    }

    private static Task Redirect(HttpContext ctx)
    {
        ctx.Response.Redirect("/-/vouch/dashboard");
        return Task.CompletedTask;
    }

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
        var headers = ctx.Response.Headers;
        byte[] body;
        string etag;
        if (result.Status == PackumentStatus.Stale)
        {
            var (full, abbrev) = entry.StaleForms();
            body = abbreviated ? abbrev : full;
            etag = PackumentFilter.ETag(body);
            MarkStale(ctx);
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

        if (f.ReportHeader.Length > 0)
        {
            headers["X-Vouch-Report"] = f.ReportHeader;
        }

        if (ctx.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            ctx.Response.StatusCode = 304;
            return;
        }

        await SendAsync(ctx, abbreviated ? AbbreviatedType : "application/json", body).ConfigureAwait(false);
    }

    private static void MarkStale(HttpContext ctx)
    {
        ctx.Response.Headers["X-Vouch-Stale"] = "true";
        ctx.Response.Headers["Warning"] = "110 - \"Response is Stale\"";
    }

    private static Task SendAsync(HttpContext ctx, string contentType, byte[] body)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(ctx.Request.Method) ? Task.CompletedTask : ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
    }

    private static Task PackumentFailureAsync(HttpContext ctx, string name, PackumentResult result) => result.Status switch
    {
        PackumentStatus.NotFound => GateJson.ErrorAsync(ctx, 404, result.Code ?? GateCodes.NotFound, result.Code is null ? $"{name} is not in the upstream registry" : result.Error!),
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

        if (entry.Filtered.VersionDocument(versionOrTag) is not { } found)
        {
            await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"{name} has no version or tag '{versionOrTag}'").ConfigureAwait(false);
            return;
        }

        if (entry.Filtered.Withheld.TryGetValue(found.Version, out var withheld))
        {
            await RefusedAsync(ctx, name, found.Version, withheld.Findings).ConfigureAwait(false);
            return;
        }

        var body = found.Document;
        if (result.Status == PackumentStatus.Stale)
        {
            body = PackumentFilter.MarkStale(body, entry.FetchedAt);
            MarkStale(ctx);
        }

        await SendAsync(ctx, "application/json", body).ConfigureAwait(false);
    }

    private async Task TarballAsync(HttpContext ctx, string name, string file)
    {
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

    /// <summary>A tarball and a verify request fail the same way when there is no tarball or evidence to give.</summary>
    public static Task TarballErrorAsync(HttpContext ctx, TarballResult result) => result.Status switch
    {
        TarballStatus.NotFound => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, result.Error ?? "not found"),
        TarballStatus.IntegrityMismatch => GateJson.ErrorAsync(ctx, 502, GateCodes.IntegrityMismatch, result.Error!),
        TarballStatus.ForeignUrl => GateJson.ErrorAsync(ctx, 502, GateCodes.ForeignUrl, result.Error!),
        TarballStatus.UpstreamUnavailable => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamUnavailable, result.Error ?? "the upstream registry failed"),
        TarballStatus.VerificationIncomplete => EvidenceHttp.IncompleteAsync(ctx, result),
        _ => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamInvalid, result.Error ?? "the upstream registry answered something unusable"),
    };

    public static Task RefusedAsync(HttpContext ctx, string name, string version, IReadOnlyList<ReleaseFinding> findings)
    {
        var f = findings[0];
        return GateJson.WriteAsync(ctx, 403, new
        {
            error = $"{name}@{version} is withheld by the vouch gate: rule {f.Rule} ({f.Code}): {f.Message}. To ask for an exception: vouch approve request {name}@{version} --rule {f.Rule}",
            code = f.Code,
            rule = f.Rule,
            name,
            version,
            records = f.Records.Count > 0 ? f.Records : null,
            advisorySnapshot = f.AdvisorySnapshot,
            findings = findings.Select(x => new { rule = x.Rule, code = x.Code, reason = x.Message, records = x.Records.Count > 0 ? x.Records : null, advisorySnapshot = x.AdvisorySnapshot }),
        });
    }

    private async Task KeysAsync(HttpContext ctx)
    {
        var r = await keys.DocumentAsync(ctx.RequestAborted).ConfigureAwait(false);
        if (r.Status != UpstreamStatus.Ok)
        {
            await UpstreamFailureAsync(ctx, r).ConfigureAwait(false);
            return;
        }

        await SendAsync(ctx, "application/json", r.Body!).ConfigureAwait(false);
    }

    // Attestations describe a version's bytes: handed out only for a version the filter offers.
    private async Task AttestationsAsync(HttpContext ctx, string name, string version)
    {
        var allowed = await gate.AttestationsAllowedAsync(name, version).ConfigureAwait(false);
        switch (allowed.Status)
        {
            case TarballStatus.Ok:
                break;
            case TarballStatus.Refused:
                await RefusedAsync(ctx, name, version, allowed.Findings!).ConfigureAwait(false);
                return;
            default:
                await TarballErrorAsync(ctx, allowed).ConfigureAwait(false);
                return;
        }

        var r = await gate.GetAttestationsAsync(name, version, ctx.RequestAborted).ConfigureAwait(false);
        if (r.Status != UpstreamStatus.Ok)
        {
            await UpstreamFailureAsync(ctx, r).ConfigureAwait(false);
            return;
        }

        await SendAsync(ctx, "application/json", r.Body!).ConfigureAwait(false);
    }

    private async Task ProxyAuditAsync(HttpContext ctx, AuditEndpoint endpoint)
    {
        var body = await RequestBody.ReadAsync(ctx, options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var r = await gate.Upstream.SendAsync(HttpMethod.Post, urls.Audit(endpoint), body, ctx.Request.ContentType, options.MaxPackumentBytes, ctx.RequestAborted).ConfigureAwait(false);
        if (r.Status != UpstreamStatus.Ok)
        {
            await UpstreamFailureAsync(ctx, r).ConfigureAwait(false);
            return;
        }

        // npm reads JSON here; the upstream's own Content-Type is not relayed, so a hostile upstream
        // cannot have the gate's origin serve HTML or script next to the dashboard's cookies.
        ctx.Response.StatusCode = r.HttpStatus ?? 200;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(r.Body!, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static Task UpstreamFailureAsync(HttpContext ctx, UpstreamResponse r) => r.Status switch
    {
        UpstreamStatus.NotFound => GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, r.Error ?? "not found upstream"),
        UpstreamStatus.Unavailable => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamUnavailable, r.Error ?? "the upstream registry failed"),
        UpstreamStatus.Refused => GateJson.ErrorAsync(ctx, 502, GateCodes.OutboundRefused, r.Error ?? "refused: outside the upstream"),
        _ => GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamInvalid, r.Error ?? "the upstream registry answered something unusable"),
    };
}
