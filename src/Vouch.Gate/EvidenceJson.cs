using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Provenance;

namespace Vouch.Gate;

/// <summary>
/// The evidence JSON of <c>vouch verify --json</c> (docs/verify.md), for the verification API and
/// the evidence table. It also reads back into a <see cref="PackageReport"/> so evidence verified
/// once (by any gate instance) is decided on again without re-verifying.
/// </summary>
public static class EvidenceJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        MaxDepth = Limits.MaxJsonDepth,
    };

    public static string Serialize(PackageReport r) => JsonSerializer.Serialize(ToDto(r), Options);

    public static byte[] SerializeToUtf8(PackageReport r) => JsonSerializer.SerializeToUtf8Bytes(ToDto(r), Options);

    public static PackageReport Deserialize(string json)
    {
        var d = JsonSerializer.Deserialize<Report>(json, Options) ?? throw new JsonException("empty evidence");
        var claims = d.Provenance.PredicateType is null ? null : new ProvenanceClaims
        {
            PredicateType = d.Provenance.PredicateType,
            SourceRepository = d.Provenance.SourceRepository,
            SourceRef = d.Provenance.SourceRef,
            SourceCommit = d.Provenance.SourceCommit,
            WorkflowPath = d.Provenance.WorkflowPath,
            BuilderId = d.Provenance.BuilderId,
            BuildTrigger = d.Provenance.BuildTrigger,
            InvocationUrl = d.Provenance.InvocationUrl,
        };
        return new PackageReport
        {
            Name = d.Name,
            Version = d.Version,
            Integrity = new IntegrityReport(d.Integrity.Status, d.Integrity.Algorithm),
            Signature = new SignatureReport(d.Signature.Status, d.Signature.KeyId),
            Provenance = new ProvenanceEvidence
            {
                Status = Status(d.Provenance.Status),
                Claims = claims,
                Issuer = d.Provenance.Issuer,
                CertificateIdentity = d.Provenance.CertificateIdentity,
                RunnerEnvironment = d.Provenance.RunnerEnvironment,
                LogIndex = d.Provenance.LogIndex,
                BundleSha256 = d.Provenance.BundleSha256,
            },
            PublishAttestation = new PublishAttestationEvidence
            {
                Status = Status(d.PublishAttestation.Status),
                KeyId = d.PublishAttestation.KeyId,
                LogIndex = d.PublishAttestation.LogIndex,
                IntegratedTime = d.PublishAttestation.IntegratedTime,
                BundleSha256 = d.PublishAttestation.BundleSha256,
            },
            EvidenceLevel = d.Publisher.EvidenceLevel switch
            {
                "staged-publish" => EvidenceLevel.StagedPublish,
                "trusted-publisher" => EvidenceLevel.TrustedPublisher,
                "provenance" => EvidenceLevel.Provenance,
                _ => EvidenceLevel.None,
            },
            TrustedPublisher = d.Publisher.TrustedPublisher,
            Approver = d.Publisher.Approver,
            PublishTime = d.PublishTime,
            PublishTimeSource = d.PublishTimeSource,
            RepositoryUrl = d.Repository,
            Problems = d.Problems.Select(p => new Problem(p.Code, p.Message)).ToList(),
            Notes = d.Notes,
            NetworkError = d.NetworkError,
        };
    }

    private static EvidenceStatus Status(string s) => s switch
    {
        "verified" => EvidenceStatus.Verified,
        "invalid" => EvidenceStatus.Invalid,
        _ => EvidenceStatus.Absent,
    };

    private static Report ToDto(PackageReport r) => new(
        r.Name,
        r.Version,
        r.Passed,
        new IntegrityDto(r.Integrity.Status, r.Integrity.Algorithm),
        new SignatureDto(r.Signature.Status, r.Signature.KeyId),
        new ProvenanceDto(
            PackageVerifier.Status(r.Provenance.Status),
            r.Provenance.Claims?.PredicateType,
            r.Provenance.Claims?.SourceRepository,
            r.Provenance.Claims?.SourceRef,
            r.Provenance.Claims?.SourceCommit,
            r.Provenance.Claims?.WorkflowPath,
            r.Provenance.Claims?.BuilderId,
            r.Provenance.Claims?.BuildTrigger,
            r.Provenance.Claims?.InvocationUrl,
            r.Provenance.Issuer,
            r.Provenance.CertificateIdentity,
            r.Provenance.RunnerEnvironment,
            r.Provenance.LogIndex,
            r.Provenance.BundleSha256),
        new PublishDto(PackageVerifier.Status(r.PublishAttestation.Status), r.PublishAttestation.KeyId, r.PublishAttestation.LogIndex, r.PublishAttestation.IntegratedTime, r.PublishAttestation.BundleSha256),
        new PublisherDto(EvidenceLevels.Name(r.EvidenceLevel), r.TrustedPublisher, r.Approver),
        r.PublishTime,
        r.PublishTimeSource,
        r.RepositoryUrl,
        r.Problems.Select(p => new ProblemDto(p.Code, p.Message)).ToList(),
        r.Notes.ToList(),
        r.NetworkError);

    // Property order and names mirror `vouch verify --json`; a test compares the two.
    private sealed record Report(
        string Name,
        string Version,
        bool Passed,
        IntegrityDto Integrity,
        SignatureDto Signature,
        ProvenanceDto Provenance,
        PublishDto PublishAttestation,
        PublisherDto Publisher,
        DateTimeOffset? PublishTime,
        string? PublishTimeSource,
        string? Repository,
        List<ProblemDto> Problems,
        List<string> Notes,
        string? NetworkError);

    private sealed record IntegrityDto(string Status, string? Algorithm);

    private sealed record SignatureDto(string Status, string? KeyId);

    private sealed record ProvenanceDto(
        string Status,
        string? PredicateType,
        string? SourceRepository,
        string? SourceRef,
        string? SourceCommit,
        string? WorkflowPath,
        string? BuilderId,
        string? BuildTrigger,
        string? InvocationUrl,
        string? Issuer,
        string? CertificateIdentity,
        string? RunnerEnvironment,
        long? LogIndex,
        string? BundleSha256 = null);

    // Evidence stored before bundle digests were kept reads back with none (its VSA lists no inputs).
    private sealed record PublishDto(string Status, string? KeyId, long? LogIndex, DateTimeOffset? IntegratedTime, string? BundleSha256 = null);

    private sealed record PublisherDto(string EvidenceLevel, string? TrustedPublisher, string? Approver);

    private sealed record ProblemDto(string Code, string Message);
}
