using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Vouch.Provenance.Slsa;

namespace Vouch.Gate.Api;

/// <summary>
/// The gate's VSA signer (docs/slsa.md): its key, loaded and checked at start-up, the verifier id it signs
/// as, and the policy file every decision is made under (name and SHA-256 of its bytes). Null key: the gate
/// signs nothing and the route answers 404 <see cref="GateCodes.VsaDisabled"/>.
/// </summary>
internal sealed class GateVsa(ECDsa? key, string verifierId, string? policyUri, string? policySha256) : IDisposable
{
    public ECDsa? Key => key;

    public string VerifierId => verifierId;

    public string? PolicyUri => policyUri;

    public string? PolicySha256 => policySha256;

    public void Dispose() => key?.Dispose();
}

/// <summary>
/// <c>GET /-/vouch/v1/vsa/{name}/{version}</c>: a signed SLSA verification summary for a version this gate
/// has verified. Only stored, complete evidence is summarised (the route never starts a verification), the
/// subject is the SHA-512 the tarball was verified against, the level is the one the gate's policy maps the
/// evidence to, and PASSED means the evidence passed and the policy allows the version on its own (an approval
/// lifts a withheld version for this organisation, never in a statement others rely on).
/// </summary>
internal static class VsaHttp
{
    private static readonly string GateVersion =
        typeof(VsaHttp).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static async Task VsaAsync(HttpContext ctx, GateService gate, GateVsa vsa, TimeProvider time)
    {
        if (ctx.Features.Get<GateRoute>() is not { Name: { } name, Version: { } version })
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "expected /-/vouch/v1/vsa/{name}/{version} with an exact version").ConfigureAwait(false);
            return;
        }

        if (vsa.Key is not { } key)
        {
            await GateJson.ErrorAsync(ctx, 404, GateCodes.VsaDisabled, "this gate signs no verification summaries (no VSA key is configured)").ConfigureAwait(false);
            return;
        }

        var evidence = await gate.VerifiedEvidenceAsync(name, version, ctx.RequestAborted).ConfigureAwait(false);
        switch (evidence.Status)
        {
            case EvidenceLookupStatus.Ok:
                break;
            case EvidenceLookupStatus.NotFound:
                await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, evidence.Error ?? $"{name}@{version} is not in the upstream registry").ConfigureAwait(false);
                return;
            case EvidenceLookupStatus.NotVerified:
                await GateJson.ErrorAsync(ctx, 409, GateCodes.NotVerified, evidence.Error!).ConfigureAwait(false);
                return;
            case EvidenceLookupStatus.UpstreamUnavailable:
                await GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamUnavailable, evidence.Error ?? "the upstream registry failed").ConfigureAwait(false);
                return;
            default:
                await GateJson.ErrorAsync(ctx, 502, GateCodes.UpstreamInvalid, evidence.Error ?? "the upstream registry answered something unusable").ConfigureAwait(false);
                return;
        }

        var report = evidence.Report!;
        var pv = evidence.Version!;
        var decision = gate.Decider.Evaluate(report, evidence.Packument!, pv, []);
        var assessment = SlsaLevels.Assess(report, gate.Decider.SlsaMapping);
        var envelope = Vsa.Sign(new VsaRequest
        {
            PackageName = report.Name,
            Version = report.Version,
            TarballSha512 = evidence.Sha512!,
            VerifierId = vsa.VerifierId,
            VerifierVersion = GateVersion,
            TimeVerified = time.GetUtcNow(),
            PolicyUri = vsa.PolicyUri,
            PolicySha256Hex = vsa.PolicySha256,
            Passed = report.Passed && decision.Allowed,
            Level = assessment.Level,
            InputAttestations = Vsa.Inputs(report, pv.Dist.Attestations?.Url),
        }, key);

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.WriteAsync(envelope, ctx.RequestAborted).ConfigureAwait(false);
    }
}
