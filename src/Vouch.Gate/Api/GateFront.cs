using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Vouch.Gate.Api;

/// <summary>
/// The first thing every request meets. The raw request target goes through <see cref="GatePath"/>
/// (refused with 400 when it does not parse); npm's hot routes are answered here by
/// <see cref="NpmRoutes"/> without routing overhead; <c>/-/vouch/...</c> continues to endpoint routing
/// (<see cref="AdminApi"/>) with the request path replaced by the parser's canonical decoded path,
/// so both stages see the same typed values. No exception becomes a 500 with details.
/// </summary>
internal sealed class GateFront(NpmRoutes npm, TextWriter? log, Observability.GateMetrics? metrics = null, Observability.JsonLog? json = null)
{
    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        if (json is { AccessLogEnabled: true })
        {
            await LoggedAsync(ctx, next, json).ConfigureAwait(false);
            return;
        }

        await HandleAsync(ctx, next).ConfigureAwait(false);
    }

    // Issue 19: with the access log on, every answer carries X-Request-Id and gets one JSON line.
    private async Task LoggedAsync(HttpContext ctx, RequestDelegate next, Observability.JsonLog log)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        ctx.Response.Headers["X-Request-Id"] = Observability.JsonLog.RequestId(ctx);
        await HandleAsync(ctx, next).ConfigureAwait(false);
        log.Access(ctx, ctx.Features.Get<GateRoute>()?.Kind.ToString().ToLowerInvariant() ?? "npm", started);
    }

    private async Task HandleAsync(HttpContext ctx, RequestDelegate next)
    {
        // Every answer is JSON, a tarball or a page that says its type: never sniffed into HTML.
        ctx.Response.Headers.XContentTypeOptions = "nosniff";
        try
        {
            var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
            if (!GatePath.TryParse(raw, out var route, out var error))
            {
                metrics?.BadPath();
                await GateJson.ErrorAsync(ctx, 400, GateCodes.BadPath, $"bad request path: {error}").ConfigureAwait(false);
                return;
            }

            if (route.Kind == RouteKind.Vouch)
            {
                // Approvals, audit rows, evidence and pages are per token: no cache in front may keep them.
                ctx.Response.Headers.CacheControl = "no-store";
                ctx.Features.Set(route);
                ctx.Request.Path = new PathString(route.VouchPath);
                await next(ctx).ConfigureAwait(false);
                metrics?.Request(route.Kind, ctx.Response.StatusCode, ctx.Response.ContentLength);
                return;
            }

            await npm.HandleAsync(ctx, route).ConfigureAwait(false);
            metrics?.Request(route.Kind, ctx.Response.StatusCode, HttpMethods.IsHead(ctx.Request.Method) ? null : ctx.Response.ContentLength);
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
            if (json is not null)
            {
                json.Error(ctx, e);
            }
            else
            {
                log?.WriteLine($"vouch gate: {ctx.Request.Method} {ctx.Request.Path}: {e.GetType().Name}: {e.Message}");
            }
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

    /// <summary>After endpoint routing: no endpoint is a 404, a known path with another method a 405, both with a code.</summary>
    public static Task UnmatchedAsync(HttpContext ctx, RequestDelegate next)
    {
        var endpoint = ctx.GetEndpoint();
        if (endpoint is null)
        {
            return GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}");
        }

        if (endpoint.RequestDelegate is null || endpoint.DisplayName == "405 HTTP Method Not Supported")
        {
            return GateJson.ErrorAsync(ctx, 405, GateCodes.MethodNotAllowed, $"{ctx.Request.Method} is not allowed on {ctx.Request.Path}");
        }

        return next(ctx);
    }
}
