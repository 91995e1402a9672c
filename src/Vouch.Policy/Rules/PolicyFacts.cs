using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Policy.Rules;

/// <summary>The evidence rules decide on, from a verified report or from the packument alone.</summary>
internal sealed record PolicyFacts
{
    public required string Name { get; init; }

    public required string VersionText { get; init; }

    public SemVersion? Version => Entry?.Version ?? SemVersion.ParseOrNull(VersionText);

    public required PackageVersion? Entry { get; init; }

    public required Packument Packument { get; init; }

    public required bool IsAdvertised { get; init; }

    public required EvidenceLevel Level { get; init; }

    public required bool SignatureOk { get; init; }

    public string SignatureStatus { get; init; } = "absent";

    public string? SignatureKey { get; init; }

    public required bool ProvenanceOk { get; init; }

    public string ProvenanceStatus { get; init; } = "absent";

    public ProvenanceClaims? Claims { get; init; }

    public string? Issuer { get; init; }

    public string? RunnerEnvironment { get; init; }

    public DateTimeOffset? PublishTime { get; init; }

    public string? PublishTimeSource { get; init; }

    public string? BaseVersion { get; init; }

    public bool IsNewDependency { get; init; }

    public IReadOnlyList<Approval> Approvals { get; init; } = [];

    /// <summary>The advisory database the evaluator was given (null: none was downloaded).</summary>
    public Vouch.Advisories.IAdvisoryDatabase? Advisories { get; init; }

    /// <summary>The organisation's reviews for the <c>reviews</c> rule (null: the caller loaded none).</summary>
    public Vouch.Reviews.IReviewEvidence? Reviews { get; init; }

    /// <summary>The verified report (null when deciding on the packument alone).</summary>
    public PackageReport? Report { get; init; }

    /// <summary>Passing rules need not describe their evidence (<see cref="PolicySubject.VerdictOnly"/>).</summary>
    public bool VerdictOnly { get; init; }

    public string Id => $"{Name}@{VersionText}";

    public static PolicyFacts Verified(PolicySubject s)
    {
        var r = s.Report;
        s.Packument.Versions.TryGetValue(r.Version, out var entry);
        var provenanceOk = r.Provenance.Status == EvidenceStatus.Verified;
        return new PolicyFacts
        {
            Name = r.Name,
            VersionText = r.Version,
            Entry = entry,
            Packument = s.Packument,
            IsAdvertised = false,
            Level = r.EvidenceLevel,
            SignatureOk = r.Signature.Status == "verified",
            SignatureStatus = r.Signature.Status,
            SignatureKey = r.Signature.KeyId,
            ProvenanceOk = provenanceOk,
            ProvenanceStatus = PackageVerifier.Status(r.Provenance.Status),
            Claims = provenanceOk ? r.Provenance.Claims : null,
            Issuer = r.Provenance.Issuer,
            RunnerEnvironment = r.Provenance.RunnerEnvironment,
            PublishTime = r.PublishTime,
            PublishTimeSource = r.PublishTimeSource,
            BaseVersion = s.BaseVersion,
            IsNewDependency = s.IsNewDependency,
            Approvals = s.Approvals,
            Report = r,
            VerdictOnly = s.VerdictOnly,
        };
    }

    public static PolicyFacts Advertised(Packument p, PackageVersion v, IReadOnlyList<Approval> approvals)
    {
        var time = p.Time.TryGetValue(v.Version.Version, out var t) ? t : (DateTimeOffset?)null;
        return new PolicyFacts
        {
            Name = v.Name,
            VersionText = v.Version.Version,
            Entry = v,
            Packument = p,
            IsAdvertised = true,
            Level = TrustDowngradeCheck.AdvertisedLevel(v),
            SignatureOk = v.Dist.Signatures.Count > 0,
            ProvenanceOk = v.Dist.Attestations is not null,
            PublishTime = time,
            PublishTimeSource = time is null ? null : "packument",
            Approvals = approvals,
        };
    }
}
