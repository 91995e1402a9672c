using System.Text.Json.Nodes;
using Vouch.Gate.Storage;
using Vouch.Policy.Publish;
using Vouch.Provenance;

namespace Vouch.Gate.Publish;

/// <summary>How a publish ended: the HTTP status the client gets, a code, the rule (if one decided) and a readable message.</summary>
internal sealed record PublishOutcome(int Status, string Code, string? Rule, string Message, IReadOnlyList<PublishFinding> Findings, long? ApprovalId = null);

/// <summary>
/// The publish path: a validated request is checked against the organisation's registry (a version
/// that exists is a 409), its provenance bundle verified against the gate's trust material (subject =
/// this tarball), the publish policy decides on the typed facts, and the gate then refuses it, holds it
/// (staged until an approver grants it) or forwards it with its own credential. Every outcome is an
/// audit row.
/// </summary>
internal sealed class PublishService(OrgRegistry registry, PublishPolicy policy, NpmAttestationVerifier verifier, GateStore store, StagedPublishes staged, string policyVersion)
{
    public PublishPolicy Policy => policy;

    public async Task<PublishOutcome> PublishAsync(PublishRequest request, GateToken token, CancellationToken ct)
    {
        var existing = await registry.GetAsync(request.Name, ct).ConfigureAwait(false);
        if (existing.Failed)
        {
            return await AuditAsync(token, "publish-failed", request, null, new PublishOutcome(502, PublishCodes.TargetFailed, null, $"{request.Id} was not published: {existing.Error}", []), ct).ConfigureAwait(false);
        }

        if (existing.Versions.Any(v => v.Version.ToString() == request.Version.ToString()))
        {
            return await AuditAsync(token, "publish-refused", request, null, new PublishOutcome(409, PublishCodes.VersionExists, null,
                $"{request.Id} is already in the organisation's registry: a published version never changes; publish a new version", []), ct).ConfigureAwait(false);
        }

        if (staged.Find(request.Name, request.Version.ToString()) is { } pending)
        {
            return await AuditAsync(token, "publish-refused", request, null, new PublishOutcome(409, PublishCodes.VersionExists, null,
                $"{request.Id} is already staged at the gate (approval #{pending.ApprovalId}); an approver grants or denies it", []), ct).ConfigureAwait(false);
        }

        PublishProvenance? provenance = null;
        long? logIndex = null;
        if (request.Bundle is { } bundle)
        {
            var evidence = verifier.Verify(request.Name, request.Version.ToString(), request.Sha512, [(SlsaProvenance.V1, bundle)]).Provenance;
            if (evidence.Status != EvidenceStatus.Verified || evidence.Claims is not { } claims)
            {
                var problem = evidence.Problem is { } p ? $"{p.Code}: {p.Message}" : "it could not be verified";
                return await AuditAsync(token, "publish-refused", request, "provenance-valid", new PublishOutcome(403, PublishCodes.ProvenanceInvalid, "provenance-valid",
                    $"{request.Id} carries a provenance bundle the gate cannot verify against its trust material ({problem}). Fix: attach the bundle `npm publish --provenance` made for this very tarball, signed by a Sigstore instance the gate trusts", []), ct).ConfigureAwait(false);
            }

            provenance = new PublishProvenance
            {
                Repository = claims.SourceRepository,
                WorkflowPath = claims.WorkflowPath,
                Ref = claims.SourceRef,
                BuilderId = claims.BuilderId,
                Issuer = evidence.Issuer,
                CertificateIdentity = evidence.CertificateIdentity,
            };
            logIndex = evidence.LogIndex;
        }

        var facts = new PublishFacts
        {
            Name = request.Name,
            Version = request.Version,
            Publisher = token.Name,
            Provenance = provenance,
            HasInstallScript = request.InstallScripts.Count > 0,
            InstallScripts = request.InstallScripts,
            Existing = existing.Versions,
        };
        var decision = policy.Evaluate(facts);
        if (decision.Refused)
        {
            var first = decision.Findings.First(f => f.Action == PublishAction.Error);
            return await AuditAsync(token, "publish-refused", request, first.Rule, new PublishOutcome(403, first.Code, first.Rule,
                $"{request.Id} is refused by the vouch gate: rule {first.Rule} ({first.Code}): {first.Message}. Fix: {first.Fix}", decision.Findings), ct).ConfigureAwait(false);
        }

        var document = request.ForwardDocument(Evidence(request, token, decision, provenance, logIndex));
        if (decision.Held)
        {
            var held = decision.Findings.Where(f => f.Action == PublishAction.Hold).ToList();
            var record = await staged.StageAsync(request, token, held, document, ct).ConfigureAwait(false);
            await store.AppendAuditAsync(token.Name, "publish-staged", request.Name, request.Version.ToString(), held[0].Rule, string.Join("; ", held.Select(h => h.Message)), ct).ConfigureAwait(false);
            return new PublishOutcome(202, PublishCodes.Staged, held[0].Rule,
                $"{request.Id} is staged by the vouch gate, not yet published: rule {held[0].Rule} ({held[0].Code}): {held[0].Message}. An approver other than '{token.Name}' grants approval #{record.ApprovalId} (vouch approve grant {record.ApprovalId}); then the gate publishes it", decision.Findings, record.ApprovalId);
        }

        var (status, error) = await registry.PutAsync(request.Name, document, ct).ConfigureAwait(false);
        if (status is >= 200 and < 300)
        {
            await store.AppendAuditAsync(token.Name, "published", request.Name, request.Version.ToString(), null, $"forwarded to {registry.Target} (trust {OrgRegistry.TrustName(decision.Trust)})", ct).ConfigureAwait(false);
            return new PublishOutcome(201, "ok", null, $"{request.Id} published", decision.Findings);
        }

        var outcome = status == 409
            ? new PublishOutcome(409, PublishCodes.VersionExists, null, $"{request.Id}: the organisation's registry refused it as existing ({error})", [])
            : new PublishOutcome(502, PublishCodes.TargetFailed, null, $"{request.Id} was not published: the organisation's registry answered {(status == 0 ? "nothing" : status.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {error}", []);
        return await AuditAsync(token, "publish-failed", request, null, outcome, ct).ConfigureAwait(false);
    }

    /// <summary>What the gate verified, written into the forwarded version document (and read back for later trust-downgrade checks).</summary>
    private JsonObject Evidence(PublishRequest request, GateToken token, PublishDecision decision, PublishProvenance? provenance, long? logIndex)
    {
        var e = new JsonObject
        {
            ["gate"] = "vouch",
            ["trust"] = OrgRegistry.TrustName(decision.Trust),
            ["publisher"] = token.Name,
            ["policy"] = policyVersion,
            ["integrity"] = request.Integrity,
            ["installScripts"] = request.InstallScripts.Count > 0,
        };
        if (provenance is not null)
        {
            e["repository"] = provenance.Repository;
            e["workflow"] = provenance.WorkflowPath;
            e["ref"] = provenance.Ref;
            e["builder"] = provenance.BuilderId;
            e["issuer"] = provenance.Issuer;
            e["identity"] = provenance.CertificateIdentity;
            e["logIndex"] = logIndex;
        }

        return e;
    }

    private async Task<PublishOutcome> AuditAsync(GateToken token, string action, PublishRequest request, string? rule, PublishOutcome outcome, CancellationToken ct)
    {
        await store.AppendAuditAsync(token.Name, action, request.Name, request.Version.ToString(), rule ?? outcome.Rule, $"{outcome.Code}: {outcome.Message}", ct).ConfigureAwait(false);
        return outcome;
    }
}
