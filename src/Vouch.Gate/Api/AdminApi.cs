using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Vouch.Gate.Storage;
using Vouch.Npm;

namespace Vouch.Gate.Api;

/// <summary>
/// The gate's own API and dashboard under <c>/-/vouch</c>: low traffic, so ASP.NET Core endpoint
/// routing with one thin handler per endpoint. Paths reaching here were parsed by <see cref="GatePath"/>
/// (the request path is its canonical form; verify's name and version come from the parsed route).
/// </summary>
internal sealed partial class AdminApi(GateService gate, GateAuth auth, GateOptions options, TimeProvider time, Publish.PublishEndpoint publish, GateVsa vsa, Reviews.GateReviews reviews)
{
    private readonly GateOptions _options = options;
    private readonly GateVsa _vsa = vsa;

    private TimeProvider Clock => time;

    private GateService Gate => gate;

    private TimeProvider Time => time;

    private Publish.PublishEndpoint PublishApi => publish;

    /// <summary>Maps every endpoint; <paramref name="api"/> answers null until the gate's services exist.</summary>
    public static void Map(IEndpointRouteBuilder app, Func<AdminApi?> api)
    {
        RequestDelegate With(Func<AdminApi, HttpContext, Task> handler) => ctx => api() is { } a
            ? handler(a, ctx)
            : GateJson.ErrorAsync(ctx, 503, GateCodes.UpstreamUnavailable, "the gate is starting");

        var root = app.MapGroup("/-/vouch");
        root.MapGet("", With((a, ctx) => a.DashboardAsync(ctx)));
        root.MapGet("/dashboard", With((a, ctx) => a.DashboardAsync(ctx)));
        root.MapGet("/dashboard/package/{**name}", With((a, ctx) => a.PackagePageAsync(ctx)));

        // Issue 19: search, audit log (with export), summary; no script on these pages (Api/DashboardPages.cs).
        root.MapGet("/dashboard/search", With((a, ctx) => DashboardPages.SearchAsync(ctx, a.Gate, a.Cookie(ctx))));
        root.MapGet("/dashboard/audit", With((a, ctx) => DashboardPages.AuditAsync(ctx, a.Gate, a.Cookie(ctx))));
        root.MapGet("/dashboard/summary", With((a, ctx) => DashboardPages.SummaryAsync(ctx, a.Gate, a.Cookie(ctx))));
        root.MapGet("/dashboard/audit/export", With(async (a, ctx) =>
        {
            if (await DashboardLayout.RequireReaderAsync(ctx, a.Cookie(ctx)).ConfigureAwait(false) is { } t)
            {
                await AuditExport.ExportAsync(ctx, a.Gate, t, htmlErrors: true).ConfigureAwait(false);
            }
        }));

        var v1 = root.MapGroup("/v1");
        v1.MapGet("/health", With((a, ctx) => a.HealthAsync(ctx)));
        v1.MapGet("/verify/{**spec}", With((a, ctx) => a.VerifyAsync(ctx)));

        // Issue 18: a signed SLSA verification summary of stored evidence (Api/VsaHttp.cs); readers and up.
        v1.MapGet("/vsa/{**spec}", With((a, ctx) => a.Authed(ctx, GateRole.Reader, (c, _) => VsaHttp.VsaAsync(c, a.Gate, a._vsa, a.Clock))));
        v1.MapGet("/whoami", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.WhoamiAsync)));
        v1.MapGet("/approvals", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.ListApprovalsAsync)));
        v1.MapPost("/approvals", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.RequestApprovalAsync)));
        v1.MapPost("/approvals/{id}/grant", With((a, ctx) => a.TokenOrSession(ctx, GateRole.Approver, (c, t) => a.DecideAsync(c, t, grant: true))));
        v1.MapPost("/approvals/{id}/deny", With((a, ctx) => a.TokenOrSession(ctx, GateRole.Approver, (c, t) => a.DecideAsync(c, t, grant: false))));
        // Issue 17: reviews shared through the gate (Api/ReviewsApi.cs); posting needs the approver role.
        v1.MapGet("/reviews", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.ListReviewsAsync)));
        v1.MapGet("/reviews/{id}", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.GetReviewAsync)));
        v1.MapPost("/reviews", With((a, ctx) => a.Authed(ctx, GateRole.Approver, a.PostReviewAsync)));
        v1.MapGet("/audit", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.AuditAsync)));
        v1.MapGet("/packages", With((a, ctx) => a.Authed(ctx, GateRole.Reader, a.PackagesAsync)));
        v1.MapGet("/audit/export", With((a, ctx) => a.Authed(ctx, GateRole.Reader, (c, t) => AuditExport.ExportAsync(c, a.Gate, t, htmlErrors: false))));
        v1.MapGet("/digest", With((a, ctx) => a.Authed(ctx, GateRole.Reader, (c, _) => Notifications.Digest.HandleAsync(c, a.Gate, a.Clock, a.Gate.PublicUrl))));

        // Issue 16: `vouch watch` webhooks; the HMAC signature is the credential (no token).
        v1.MapPost("/watch/events", With((a, ctx) => WatchEventsEndpoint.HandleAsync(ctx, a.Gate, a._options, a.Time)));

        // Issue 20: publishes held by a publish rule until an approver grants them.
        v1.MapGet("/publish/staged", With((a, ctx) => a.Authed(ctx, GateRole.Reader, (c, _) => a.PublishApi.StagedAsync(c))));

        // Issue 12: forget stored evidence and verify again; admin only (checked in EvidenceHttp), audit-logged.
        v1.MapPost("/reverify", With((a, ctx) => a.Authed(ctx, GateRole.Reader, (c, t) => EvidenceHttp.ReverifyAsync(c, a.Gate, t, a._options.MaxRequestBodyBytes))));
    }

    private async Task Authed(HttpContext ctx, GateRole role, Func<HttpContext, GateToken, Task> handler)
    {
        var token = auth.Authenticate(ctx, allowCookie: false);
        if (token is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await GateJson.ErrorAsync(ctx, 401, GateCodes.Unauthorized, "a gate token is required (Authorization: Bearer <token>)").ConfigureAwait(false);
            return;
        }

        if (token.Role < role)
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Forbidden, $"'{token.Name}' is a {token.Role.ToString().ToLowerInvariant()}; granting, denying and posting reviews need the approver or admin role").ConfigureAwait(false);
            return;
        }

        await handler(ctx, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Issue 19: the dashboard's grant/deny buttons with an OpenID Connect session. A browser sends the
    /// session cookie by itself, so the call must also carry the page's anti-forgery token (CSRF).
    /// </summary>
    private async Task TokenOrSession(HttpContext ctx, GateRole role, Func<HttpContext, GateToken, Task> handler)
    {
        if (ctx.Request.Headers.Authorization.Count > 0 || SignIn.OidcSignIn.Session(ctx) is not { } session)
        {
            await Authed(ctx, role, handler).ConfigureAwait(false);
            return;
        }

        if (!await SignIn.OidcSignIn.ValidCsrfAsync(ctx).ConfigureAwait(false))
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Csrf, "the anti-forgery token (X-Vouch-Csrf) is missing or wrong: use the dashboard page").ConfigureAwait(false);
            return;
        }

        if (session.Role < role)
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Forbidden, $"'{session.Name}' is a {session.Role.ToString().ToLowerInvariant()}; granting and denying needs the approver or admin role").ConfigureAwait(false);
            return;
        }

        await handler(ctx, session).ConfigureAwait(false);
    }

    // Issue 19: one package's timeline and provenance (Api/PackagePage.cs).
    private Task PackagePageAsync(HttpContext ctx) => PackagePage.RenderAsync(ctx, Gate, auth.Authenticate(ctx, allowCookie: true), ctx.Request.RouteValues["name"] as string ?? "");

    private GateToken? Cookie(HttpContext ctx) => auth.Authenticate(ctx, allowCookie: true);

    private Task DashboardAsync(HttpContext ctx) => Dashboard.RenderAsync(ctx, Gate, auth.Authenticate(ctx, allowCookie: true), oidc: _options.Oidc is not null);

    private Task HealthAsync(HttpContext ctx) => GateJson.WriteAsync(ctx, 200, new
    {
        status = "ok",
        policy = Gate.Decider.PolicyVersion,
        approvalsVersion = Gate.Approvals.Version,
        database = Gate.Store.Provider.ToString().ToLowerInvariant(),
        fourEyes = !_options.AllowSelfApprovalUnsafe,
        trust = Gate.Ledger.Trust,
    });

    private async Task VerifyAsync(HttpContext ctx)
    {
        if (ctx.Features.Get<GateRoute>() is not { Name: { } name, Version: { } version })
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "expected /-/vouch/v1/verify/{name}/{version} with an exact version").ConfigureAwait(false);
            return;
        }

        var result = await Gate.VerifyAsync(name, version, ctx.RequestAborted).ConfigureAwait(false);
        if (result.Status != TarballStatus.Ok)
        {
            await NpmRoutes.TarballErrorAsync(ctx, result).ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(EvidenceJson.SerializeToUtf8(result.Report!), ctx.RequestAborted).ConfigureAwait(false);
    }

    private Task WhoamiAsync(HttpContext ctx, GateToken token) =>
        GateJson.WriteAsync(ctx, 200, new { name = token.Name, role = token.Role.ToString().ToLowerInvariant() });

    private async Task ListApprovalsAsync(HttpContext ctx, GateToken token)
    {
        var status = ctx.Request.Query["status"].ToString();
        if (status.Length > 0 && status is not ("pending" or "granted" or "denied"))
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "status must be pending, granted or denied").ConfigureAwait(false);
            return;
        }

        var list = await Gate.Store.ListApprovalsAsync(status.Length == 0 ? null : status, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 200, new { approvals = list.Select(GateJson.Approval) }).ConfigureAwait(false);
    }

    private async Task AuditAsync(HttpContext ctx, GateToken token)
    {
        var limit = int.TryParse(ctx.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 10000) : 500;
        var entries = await Gate.Store.AuditLogAsync(limit, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 200, new { entries = entries.Select(GateJson.Audit) }).ConfigureAwait(false);
    }

    private Task PackagesAsync(HttpContext ctx, GateToken token) => GateJson.WriteAsync(ctx, 200, new
    {
        packages = Gate.CachedPackuments.OrderBy(p => p.Filtered.Name, StringComparer.Ordinal).Select(p => new
        {
            name = p.Filtered.Name,
            versions = p.Filtered.Upstream.Versions.Count,
            withheld = p.Filtered.Withheld.Values.Select(w => new { version = w.Version, rule = w.First.Rule, code = w.First.Code, reason = w.First.Message }),
        }),
    });

    private async Task RequestApprovalAsync(HttpContext ctx, GateToken token)
    {
        var body = await RequestBody.ReadFieldsAsync(ctx, _options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var name = body.GetValueOrDefault("name");
        var version = body.GetValueOrDefault("version");
        var rule = body.GetValueOrDefault("rule");
        var reason = body.GetValueOrDefault("reason");
        var errors = new List<string>();
        if (name is null || !GatePath.ValidName(name))
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

        var approval = await Gate.Store.RequestAsync(name!, version!, rule!, token.Name, reason, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 201, GateJson.Approval(approval)).ConfigureAwait(false);
    }

    private async Task DecideAsync(HttpContext ctx, GateToken token, bool grant)
    {
        if (!long.TryParse(ctx.Request.RouteValues["id"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "the approval id must be a number").ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadFieldsAsync(ctx, _options.MaxRequestBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var reason = body.GetValueOrDefault("reason");
        if (grant && _options.ApprovalRequiresReview && await MissingReviewAsync(id, ctx.RequestAborted).ConfigureAwait(false) is { } missing)
        {
            await GateJson.ErrorAsync(ctx, 409, GateCodes.ReviewRequired, missing).ConfigureAwait(false);
            return;
        }

        DateTimeOffset? expires = null;
        if (body.GetValueOrDefault("expires") is { } e)
        {
            // RFC 3339 with an offset, in the future (Approvals/ApprovalInput.cs).
            if (!Approvals.ApprovalInput.TryParseExpiry(e, time.GetUtcNow(), out var at, out var expiresError))
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

        var (outcome, approval) = await Gate.Store.DecideAsync(id, grant, token.Name, reason, expires, _options.AllowSelfApprovalUnsafe, ctx.RequestAborted).ConfigureAwait(false);
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

        // Decisions take effect on this instance at once; other instances on PostgreSQL hear of them
        // by LISTEN/NOTIFY (polling stays the fallback, and the only way on SQLite).
        await Gate.RefreshApprovalsAsync(ctx.RequestAborted).ConfigureAwait(false);
        var list = await Gate.Store.ListApprovalsAsync(null, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 200, GateJson.Approval(list.First(a => a.Id == id))).ConfigureAwait(false);
    }
}
