using Vouch.Npm;

namespace Vouch.Advisories.Check;

/// <summary>Stable codes of `vouch check` (docs/advisories.md, docs/codes.md).</summary>
public static class CheckCodes
{
    public const string Typosquat = "VOUCH_CHECK_TYPOSQUAT";
    public const string ScopeConfusion = "VOUCH_CHECK_SCOPE_CONFUSION";
    public const string LookalikeDependency = "VOUCH_CHECK_LOOKALIKE_DEPENDENCY";
    public const string NewPackage = "VOUCH_CHECK_NEW_PACKAGE";
    public const string NewVersion = "VOUCH_CHECK_NEW_VERSION";
    public const string PublisherChanged = "VOUCH_CHECK_PUBLISHER_CHANGED";
    public const string MaintainersChanged = "VOUCH_CHECK_MAINTAINERS_CHANGED";
    public const string InstallScript = "VOUCH_CHECK_INSTALL_SCRIPT";
    public const string NewInstallScript = "VOUCH_CHECK_NEW_INSTALL_SCRIPT";
    public const string NewBin = "VOUCH_CHECK_NEW_BIN";
    public const string Deprecated = "VOUCH_CHECK_DEPRECATED";
    public const string RepositoryMissing = "VOUCH_CHECK_REPOSITORY_MISSING";
    public const string RepositoryMismatch = "VOUCH_CHECK_REPOSITORY_MISMATCH";
    public const string TrustDowngrade = "VOUCH_CHECK_TRUST_DOWNGRADE";
    public const string EvidenceFailed = "VOUCH_CHECK_EVIDENCE_FAILED";
    public const string NotResolved = "VOUCH_CHECK_NOT_RESOLVED";
    public const string NotFromRegistry = "VOUCH_CHECK_NOT_FROM_REGISTRY";
    public const string NoAdvisoryDatabase = "VOUCH_CHECK_NO_ADVISORY_DATABASE";
    public const string ProjectUnreadable = "VOUCH_CHECK_PROJECT_UNREADABLE";
}

/// <summary>One finding of `vouch check` about one package version (or the run).</summary>
public sealed record CheckFinding(string Code, FindingLevel Level, string Package, string? Version, string Reason, string Fix);

/// <summary>A package version the install would add, why it is in the tree, and what the checks found.</summary>
public sealed record CheckedPackage
{
    public required string Name { get; init; }

    public required SemVersion Version { get; init; }

    /// <summary>The chain from a requested spec: <c>["a@^1", "b@^2"]</c>.</summary>
    public required IReadOnlyList<string> Path { get; init; }

    public required int Depth { get; init; }

    /// <summary>dependencies, optionalDependencies or peerDependencies of its parent (or "requested").</summary>
    public required string Edge { get; init; }

    public List<CheckFinding> Findings { get; } = [];
}

/// <summary>Trust evidence for a version, as a verifier established it.</summary>
public enum TrustTier
{
    /// <summary>Nothing verified (or verification failed).</summary>
    None = 0,

    /// <summary>A registry signature verified.</summary>
    Signed = 1,

    /// <summary>SLSA provenance verified.</summary>
    Provenance = 2,

    /// <summary>Provenance verified and published through OIDC trusted publishing.</summary>
    TrustedPublisher = 3,
}

public sealed record TrustEvidence(TrustTier Tier, string? SourceRepository, IReadOnlyList<string> Problems);

/// <summary>
/// Establishes the trust tier of a version. The CLI implements it with Vouch.Provenance's
/// PackageVerifier (verified evidence); <see cref="ClaimedTrust"/> reads the registry's claims only.
/// </summary>
public interface ITrustEvidenceSource
{
    /// <summary>True when the tiers are verified (reports say "verified" instead of "claimed").</summary>
    bool Verifies { get; }

    Task<TrustEvidence> GetAsync(Packument packument, PackageVersion version, CancellationToken cancellationToken);
}

/// <summary>The tier the packument claims (trusted publisher, attestations, signatures), unverified.</summary>
public sealed class ClaimedTrust : ITrustEvidenceSource
{
    public static readonly ClaimedTrust Instance = new();

    public bool Verifies => false;

    public Task<TrustEvidence> GetAsync(Packument packument, PackageVersion version, CancellationToken cancellationToken) =>
        Task.FromResult(new TrustEvidence(Of(version), null, []));

    public static TrustTier Of(PackageVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var provenance = version.Dist.Attestations?.ProvenancePredicateType is not null;
        if (provenance && version.NpmUser?.TrustedPublisher is not null)
        {
            return TrustTier.TrustedPublisher;
        }

        return provenance ? TrustTier.Provenance : version.Dist.Signatures.Count > 0 ? TrustTier.Signed : TrustTier.None;
    }
}

public sealed record CheckOptions
{
    /// <summary>How deep to follow dependencies: 0 checks only the requested specs; null follows everything.</summary>
    public int? Depth { get; init; }

    /// <summary>Stop resolving after this many packages (a cap on what an attacker's tree can make us fetch).</summary>
    public int MaxPackages { get; init; } = 5_000;

    public TimeSpan NewPackageAge { get; init; } = TimeSpan.FromDays(30);

    public TimeSpan NewVersionAge { get; init; } = TimeSpan.FromDays(3);

    /// <summary>Names that resemble a popular one are errors when the package is younger than this, warnings otherwise.</summary>
    public TimeSpan TyposquatYoungAge { get; init; } = TimeSpan.FromDays(90);

    public AdvisoryRuleOptions Advisories { get; init; } = new();
}

/// <summary>
/// How old the packuments a check resolved from are: how many it read, how many came from the HTTP
/// cache without a request (within the max-age, or offline), and the oldest time the registry sent or
/// confirmed one of them (null when none was read).
/// </summary>
public sealed record RegistryFreshness
{
    public int Packuments { get; init; }

    public int FromCacheUnasked { get; init; }

    public DateTimeOffset? OldestConfirmedAt { get; init; }
}

/// <summary>What the check found; <see cref="Snapshot"/> names the advisory database used (null without one).</summary>
public sealed record CheckReport
{
    public required IReadOnlyList<string> Requested { get; init; }

    public required IReadOnlyList<CheckedPackage> Packages { get; init; }

    /// <summary>Findings about the run rather than a package (unresolvable specs, missing database).</summary>
    public required IReadOnlyList<CheckFinding> General { get; init; }

    /// <summary>Packages the project's lockfile already has at a satisfying version (not fetched again).</summary>
    public required int AlreadyInstalled { get; init; }

    public SnapshotInfo? Snapshot { get; init; }

    public required string PopularNamesSource { get; init; }

    public required bool TrustVerified { get; init; }

    /// <summary>Registry or network failures; the CLI exits 3 when there are any.</summary>
    public required IReadOnlyList<string> NetworkErrors { get; init; }

    /// <summary>How fresh the registry data the tree was resolved from is (the packuments).</summary>
    public RegistryFreshness Freshness { get; init; } = new();

    public IEnumerable<CheckFinding> AllFindings => General.Concat(Packages.SelectMany(p => p.Findings));

    public bool Failed => AllFindings.Any(f => f.Level == FindingLevel.Error);
}
