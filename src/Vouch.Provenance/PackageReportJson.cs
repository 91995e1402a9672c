using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Provenance;

/// <summary>
/// The one JSON shape of a <see cref="PackageReport"/>: `vouch verify --json`, the evidence of each
/// package in `vouch audit --format json` and the gate's verification API all print it. Field names
/// are a contract (docs/verify.md); add fields, never rename them.
/// </summary>
public static class PackageReportJson
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every field of `vouch verify --json` except the caller's own (e.g. the CLI's `policy`).</summary>
    public static JsonObject ToJsonObject(PackageReport r)
    {
        var o = new JsonObject
        {
            ["name"] = r.Name,
            ["version"] = r.Version,
            ["passed"] = r.Passed,
        };
        foreach (var (key, value) in Evidence(r).ToList())
        {
            o[key] = value?.DeepClone();
        }

        o["networkError"] = r.NetworkError;
        return o;
    }

    /// <summary>What was established about the version: integrity through notes.</summary>
    public static JsonObject Evidence(PackageReport r) => (JsonObject)JsonSerializer.SerializeToNode(
        new
        {
            integrity = new { status = r.Integrity.Status, algorithm = r.Integrity.Algorithm },
            signature = new { status = r.Signature.Status, keyId = r.Signature.KeyId },
            provenance = new
            {
                status = PackageVerifier.Status(r.Provenance.Status),
                predicateType = r.Provenance.Claims?.PredicateType,
                sourceRepository = r.Provenance.Claims?.SourceRepository,
                sourceRef = r.Provenance.Claims?.SourceRef,
                sourceCommit = r.Provenance.Claims?.SourceCommit,
                workflowPath = r.Provenance.Claims?.WorkflowPath,
                builderId = r.Provenance.Claims?.BuilderId,
                buildTrigger = r.Provenance.Claims?.BuildTrigger,
                invocationUrl = r.Provenance.Claims?.InvocationUrl,
                issuer = r.Provenance.Issuer,
                certificateIdentity = r.Provenance.CertificateIdentity,
                runnerEnvironment = r.Provenance.RunnerEnvironment,
                logIndex = r.Provenance.LogIndex,
                bundleSha256 = r.Provenance.BundleSha256,
            },
            publishAttestation = new
            {
                status = PackageVerifier.Status(r.PublishAttestation.Status),
                keyId = r.PublishAttestation.KeyId,
                logIndex = r.PublishAttestation.LogIndex,
                integratedTime = r.PublishAttestation.IntegratedTime,
                bundleSha256 = r.PublishAttestation.BundleSha256,
            },
            publisher = new
            {
                evidenceLevel = EvidenceLevels.Name(r.EvidenceLevel),
                trustedPublisher = r.TrustedPublisher,
                approver = r.Approver,
            },
            publishTime = r.PublishTime,
            publishTimeSource = r.PublishTimeSource,
            repository = r.RepositoryUrl,
            problems = r.Problems.Select(p => new { code = p.Code, message = p.Message }),
            notes = r.Notes,
        },
        Options)!;
}
