namespace Vouch.Reviews.Coverage;

/// <summary>What makes a version meet a criterion.</summary>
public enum CoverageKind
{
    /// <summary>A full audit of this exact version.</summary>
    Audit,

    /// <summary>A full audit of an earlier version and delta audits up to this one.</summary>
    DeltaChain,

    /// <summary>At least one link comes from an imported organisation's audits.</summary>
    Import,

    /// <summary>A trusted publisher or source repository released it within the trusted dates.</summary>
    TrustedPublisher,

    /// <summary>An unexpired exemption.</summary>
    Exemption,

    /// <summary>A signed review by a reviewer the organisation trusts (web of trust).</summary>
    SignedReview,
}

/// <summary>Facts about how a version was published, from verified provenance (never from unverified packument text).</summary>
public sealed record PublisherEvidence(string? PublisherIdentity, string? SourceRepository, DateTimeOffset? Published);

/// <summary>One step of a coverage path: an audit (full: <see cref="From"/> null) or a delta.</summary>
public sealed record CoverageStep(string? From, string To, CoverageKind Kind, string Source);

/// <summary>How one required criterion is met, or why not.</summary>
public sealed record CriterionCoverage
{
    public required string Criterion { get; init; }

    public bool Covered => Code is null;

    public CoverageKind? Kind { get; init; }

    public IReadOnlyList<CoverageStep> Path { get; init; } = [];

    /// <summary>Null when covered; else <c>VOUCH_REVIEW_NOT_COVERED</c>, <c>VOUCH_REVIEW_VIOLATION</c> or <c>VOUCH_REVIEW_EXEMPTION_EXPIRED</c>.</summary>
    public string? Code { get; init; }

    public string? Message { get; init; }

    /// <summary>Versions of the package that do meet the criterion (delta bases for `suggest`), highest first.</summary>
    public IReadOnlyList<string> CoveredVersions { get; init; } = [];
}

/// <summary>One package version's coverage of every required criterion.</summary>
public sealed record PackageCoverage
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public bool Dev { get; init; }

    public required IReadOnlyList<CriterionCoverage> Criteria { get; init; }

    public bool Covered => Criteria.All(c => c.Covered);

    /// <summary>The first failing code, or null.</summary>
    public string? Code => Criteria.FirstOrDefault(c => !c.Covered)?.Code;
}

/// <summary>A whole lockfile's coverage.</summary>
public sealed record CoverageReport
{
    public required IReadOnlyList<PackageCoverage> Packages { get; init; }

    public required IReadOnlyList<Records.ImportProblem> ImportProblems { get; init; }

    /// <summary>Lockfile entries not checked (links, workspaces, local files), with why.</summary>
    public IReadOnlyList<(string Name, string Version, string Reason)> Skipped { get; init; } = [];

    public bool Ok => ImportProblems.Count == 0 && Packages.All(p => p.Covered);
}

/// <summary>A package version to check.</summary>
public sealed record PackageRef(string Name, string Version, bool Dev = false);
