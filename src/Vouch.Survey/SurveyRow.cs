using Vouch.Provenance;

namespace Vouch.Survey;

/// <summary>
/// Evidence tiers, weakest first. Each is decided on VERIFIED evidence only: a packument that
/// advertises attestations or a trusted publisher whose evidence does not verify gets the tier of
/// what did verify (docs/survey.md).
/// </summary>
public enum EvidenceTier
{
    /// <summary>Nothing verifies: no registry signature (or one that fails), no attestation.</summary>
    None = 0,

    /// <summary>The registry's ECDSA signature over name@version:integrity verifies.</summary>
    RegistrySignature = 1,

    /// <summary>npm's publish attestation (signed by the registry key, logged in Rekor) verifies.</summary>
    PublishAttestation = 2,

    /// <summary>SLSA provenance from a CI build verifies (Fulcio certificate, transparency log, subject = tarball).</summary>
    Provenance = 3,

    /// <summary>Verified provenance, and `_npmUser.trustedPublisher` says it was published through OIDC trusted publishing.</summary>
    TrustedPublisher = 4,

    /// <summary>Verified provenance, and a human approved the staged publish (`_npmUser.approver`).</summary>
    StagedPublish = 5,
}

public static class EvidenceTiers
{
    public static IReadOnlyList<EvidenceTier> All { get; } = Enum.GetValues<EvidenceTier>();

    public static string Name(EvidenceTier tier) => tier switch
    {
        EvidenceTier.RegistrySignature => "registry-signature",
        EvidenceTier.PublishAttestation => "publish-attestation",
        EvidenceTier.Provenance => "provenance",
        EvidenceTier.TrustedPublisher => "trusted-publisher",
        EvidenceTier.StagedPublish => "staged-publish",
        _ => "none",
    };

    public static EvidenceTier? Parse(string? name) => All.Cast<EvidenceTier?>().FirstOrDefault(t => Name(t!.Value) == name);

    /// <summary>The tier a verification report earns: only evidence the verifier accepted counts.</summary>
    public static EvidenceTier Of(PackageReport report)
    {
        if (report.Provenance.Status == EvidenceStatus.Verified)
        {
            return report.EvidenceLevel switch
            {
                EvidenceLevel.StagedPublish => EvidenceTier.StagedPublish,
                EvidenceLevel.TrustedPublisher => EvidenceTier.TrustedPublisher,
                _ => EvidenceTier.Provenance,
            };
        }

        if (report.PublishAttestation.Status == EvidenceStatus.Verified)
        {
            return EvidenceTier.PublishAttestation;
        }

        return report.Signature.Status == "verified" ? EvidenceTier.RegistrySignature : EvidenceTier.None;
    }
}

/// <summary>Row status: `ok`, or why the package could not be surveyed.</summary>
public static class RowStatus
{
    public const string Ok = "ok";
    public const string NotFound = "not-found";
    public const string NoVersion = "no-version";
    public const string NetworkError = "network-error";
    public const string InvalidResponse = "invalid-response";
}

/// <summary>Who published the latest surveyed version: `ci`, `person` or `unknown`.</summary>
public static class PublisherKinds
{
    public const string Ci = "ci";
    public const string Person = "person";
    public const string Unknown = "unknown";
}

/// <summary>One surveyed version and the tier its verified evidence earns.</summary>
public sealed record SurveyedVersion(string Version, string Line, DateTimeOffset? Published, EvidenceTier Tier, bool ProvenanceAdvertised, IReadOnlyList<string> Problems);

/// <summary>
/// A trust downgrade found by the policy's `trust-downgrade` rule: <see cref="Version"/> carries weaker
/// evidence (or another source repository) than a lower, earlier version of its release line.
/// <see cref="Verified"/>: the version's own evidence was verified (it was surveyed); otherwise the
/// packument's advertised evidence was compared.
/// </summary>
public sealed record SurveyDowngrade(string Version, string Line, string Code, bool Verified, DateTimeOffset? Published, string Message);

/// <summary>One package's survey result: one JSON Lines row and one CSV row (fields in docs/survey.md).</summary>
public sealed record SurveyRow
{
    public required int Index { get; init; }

    public int? Rank { get; init; }

    public required string Name { get; init; }

    public required string Status { get; init; }

    public string? Code { get; init; }

    public string? Error { get; init; }

    public string? LatestVersion { get; init; }

    public EvidenceTier? LatestTier { get; init; }

    /// <summary>`repository` of the latest version's package.json, as the packument gives it.</summary>
    public string? RepositoryUrl { get; init; }

    /// <summary>Normalised `host/owner/repo` of <see cref="RepositoryUrl"/>.</summary>
    public string? Repository { get; init; }

    public string? RepositoryHost { get; init; }

    /// <summary>The source repository the latest version's VERIFIED provenance names.</summary>
    public string? ProvenanceRepository { get; init; }

    /// <summary>Null when there is no verified provenance or package.json names no repository.</summary>
    public bool? RepositoryMatchesProvenance { get; init; }

    public string Publisher { get; init; } = PublisherKinds.Unknown;

    public string PublisherEvidence { get; init; } = "";

    /// <summary>`github-actions`, `gitlab-ci` or another builder, when verified provenance names one.</summary>
    public string? CiProvider { get; init; }

    public string? PublishedBy { get; init; }

    public string? FirstProvenanceVersion { get; init; }

    public DateTimeOffset? FirstProvenanceTime { get; init; }

    public IReadOnlyList<SurveyedVersion> Versions { get; init; } = [];

    public IReadOnlyList<SurveyDowngrade> Downgrades { get; init; } = [];

    public int VersionCount { get; init; }

    public bool IsGitHub => RepositoryHost == "github.com";

    public bool HasProvenance => LatestTier >= EvidenceTier.Provenance;
}
