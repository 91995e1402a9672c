using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Gate.Api;
using Vouch.Gate.Storage;
using Vouch.Policy.Publish;
using Vouch.Provenance;

namespace Vouch.Gate.Publish;

/// <summary>
/// <c>PUT /&lt;name&gt;</c> (npm publish): a token of role <c>publisher</c>, the body under its cap,
/// structure validated (<see cref="PublishRequest"/>), then <see cref="PublishService"/> decides.
/// Every answer is JSON with <c>error</c> (what npm prints), <c>code</c> and, for a rule, <c>rule</c>.
/// Without <c>--publish-to</c> the gate stays read-only.
/// </summary>
internal sealed class PublishEndpoint(GateAuth auth, GateStore store, PublishService? service, GatePublishOptions? options, StagedPublishes? staged = null)
{
    public bool Enabled => service is not null;

    /// <summary><c>GET /-/vouch/v1/publish/staged</c>: the publishes held for an approver.</summary>
    public Task StagedAsync(HttpContext ctx) => GateJson.WriteAsync(ctx, 200, new { staged = staged?.List() ?? [] });

    public async Task HandleAsync(HttpContext ctx, string name)
    {
        if (service is null || options is null)
        {
            await GateJson.ErrorAsync(ctx, 405, GateCodes.ReadOnly, "the vouch gate is read-only: publish, unpublish and dist-tag changes go to the upstream registry").ConfigureAwait(false);
            return;
        }

        var token = auth.Authenticate(ctx, allowCookie: false);
        if (token is null)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await GateJson.ErrorAsync(ctx, 401, GateCodes.Unauthorized, "publishing through the vouch gate needs a gate token of role publisher (//gate/:_authToken in .npmrc)").ConfigureAwait(false);
            return;
        }

        if (token.Role != GateRole.Publisher)
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Forbidden, $"'{token.Name}' is a {token.Role.ToString().ToLowerInvariant()}; publishing needs a token of role publisher").ConfigureAwait(false);
            return;
        }

        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxBodyBytes;
        }

        var body = await RequestBody.ReadAsync(ctx, options.MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            await store.AppendAuditAsync(token.Name, "publish-rejected", name, null, null, $"{PublishCodes.TooLarge}: the request body exceeds {options.MaxBodyBytes} bytes", ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        var request = PublishRequest.Parse(body, name, options.MaxTarballBytes, out var code, out var error);
        if (request is null)
        {
            var status = code == PublishCodes.TooLarge ? 413 : 400;
            await store.AppendAuditAsync(token.Name, "publish-rejected", name, null, null, $"{code}: {error}", ctx.RequestAborted).ConfigureAwait(false);
            await GateJson.WriteAsync(ctx, status, new { error = $"{name}: the publish is refused by the vouch gate before any check ({code}): {error}", code }).ConfigureAwait(false);
            return;
        }

        var outcome = await service.PublishAsync(request, token, ctx.RequestAborted).ConfigureAwait(false);
        if (outcome.Status == 202)
        {
            // npm prints the npm-notice header: the client sees that the version is not published yet.
            ctx.Response.Headers["npm-notice"] = $"staged by the vouch gate: approval #{outcome.ApprovalId} must be granted before {request.Id} is published";
        }

        await GateJson.WriteAsync(ctx, outcome.Status, new
        {
            ok = outcome.Status is 201 or 202 ? outcome.Message : null,
            error = outcome.Status is 201 or 202 ? null : outcome.Message,
            code = outcome.Code,
            rule = outcome.Rule,
            name = request.Name,
            version = request.Version.ToString(),
            approval = outcome.ApprovalId,
            findings = outcome.Findings.Count == 0 ? null : outcome.Findings.Select(f => new { rule = f.Rule, code = f.Code, action = f.Action.ToString().ToLowerInvariant(), reason = f.Message, fix = f.Fix }),
        }).ConfigureAwait(false);
    }
}

/// <summary>Wiring of the publish path into the gate's composition root (GateHost calls these).</summary>
internal static class PublishComposition
{
    public static async Task<PublishPolicy> LoadPolicyAsync(GateOptions options, CancellationToken ct)
    {
        if (options.Publish is not { } publish)
        {
            return PublishPolicy.None;
        }

        if (publish.Policy is { } given)
        {
            return given;
        }

        if (options.PolicyPath is not { } path)
        {
            return PublishPolicy.None;
        }

        try
        {
            return (await Policy.PolicyLoader.LoadAsync(path, null, ct).ConfigureAwait(false)).Publish;
        }
        catch (Exception e) when (e is Policy.PolicyFormatException or Policy.PolicyFetchException or IOException)
        {
            throw new GateConfigurationException([$"policy: {e.Message}"]);
        }
    }

    public static void Add(ServiceCollection s, GateOptions options, GateDependencies deps, PublishPolicy policy)
    {
        if (options.Publish is not { } publish)
        {
            s.AddSingleton(sp => new PublishEndpoint(sp.GetRequiredService<GateAuth>(), sp.GetRequiredService<GateStore>(), null, null));
            return;
        }

        s.AddSingleton(publish);
        s.AddSingleton(sp =>
        {
            // Same outbound rule as the upstream, for the organisation's registry: nothing else is reached, no redirect followed.
            var handler = Upstream.OutboundPolicyHandler.Wrap(new Upstream.OutboundPolicy(publish.Target), deps.PublishHandler ?? new SocketsHttpHandler { AllowAutoRedirect = false });
            return new OrgRegistry(new HttpClient(handler) { Timeout = options.UpstreamTimeout + options.UpstreamTimeout }, publish, options.MaxPackumentBytes);
        });
        s.AddSingleton<StagedPublishes>();
        s.AddSingleton(sp =>
        {
            var digest = options.PolicyPath is { } p && File.Exists(p) ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p)))[..16] : "default";
            return new PublishService(sp.GetRequiredService<OrgRegistry>(), policy, new NpmAttestationVerifier(deps.Sigstore, deps.TrustedKeys), sp.GetRequiredService<GateStore>(), sp.GetRequiredService<StagedPublishes>(), digest);
        });
        s.AddSingleton(sp => new PublishEndpoint(sp.GetRequiredService<GateAuth>(), sp.GetRequiredService<GateStore>(), sp.GetRequiredService<PublishService>(), publish, sp.GetRequiredService<StagedPublishes>()));
    }

    /// <summary>Starts the poller that forwards granted staged publishes.</summary>
    public static void Start(IServiceProvider services)
    {
        if (services.GetService<StagedPublishes>() is { } staged)
        {
            staged.Start(services.GetRequiredService<OrgRegistry>());
        }
    }
}
