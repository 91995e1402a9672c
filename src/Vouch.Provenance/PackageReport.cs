
namespace Vouch.Provenance;

/// <summary>
/// Everything Vouch established about one package version: the evidence `vouch verify --json`
/// prints (field names are a contract, docs/verify.md) and policy decides on.
/// </summary>
public sealed record PackageReport
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public IntegrityReport Integrity { get; init; } = new("absent", null);

    public SignatureReport Signature { get; init; } = new("absent", null);

    public ProvenanceEvidence Provenance { get; init; } = new();

    public PublishAttestationEvidence PublishAttestation { get; init; } = new();

    public EvidenceLevel EvidenceLevel { get; init; }

    public string? TrustedPublisher { get; init; }

    public string? Approver { get; init; }

    public DateTimeOffset? PublishTime { get; init; }

    /// <summary>`transparency-log` (Rekor integrated time of the publish attestation) or `packument` (the registry's `time`).</summary>
    public string? PublishTimeSource { get; init; }

    public string? RepositoryUrl { get; init; }

    public IReadOnlyList<Problem> Problems { get; init; } = [];

    /// <summary>Notes that are not failures (e.g. a registry that serves no trust metadata at all).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The registry or network failed: the answer is unknown, not negative.</summary>
    public string? NetworkError { get; init; }

    public bool Passed => Problems.Count == 0 && NetworkError is null;
}

public sealed record IntegrityReport(string Status, string? Algorithm);

public sealed record SignatureReport(string Status, string? KeyId);
