using Vouch.Npm;

namespace Vouch.Reviews.Records;

/// <summary>Where an entry was written (1-based line and column).</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>A named criterion and the criteria it implies (docs/reviews.md, "Criteria").</summary>
public sealed record CriterionDefinition(string Name, string? Description, IReadOnlyList<string> Implies, SourceLocation Location);

public enum AuditKind
{
    /// <summary>A whole version was reviewed.</summary>
    Full,

    /// <summary>The change from one version to another was reviewed (`delta = "a -> b"`).</summary>
    Delta,

    /// <summary>Versions in a range are known not to meet the criteria (`violation = "range"`).</summary>
    Violation,
}

/// <summary>One `[[audits.NAME]]` entry.</summary>
public sealed record AuditEntry
{
    public required string Package { get; init; }

    public required AuditKind Kind { get; init; }

    /// <summary>The reviewed version (full) or the delta's target.</summary>
    public string? Version { get; init; }

    /// <summary>The delta's base version.</summary>
    public string? From { get; init; }

    public SemVerRange? Violation { get; init; }

    public required IReadOnlyList<string> Criteria { get; init; }

    public IReadOnlyList<string> Who { get; init; } = [];

    public string? Notes { get; init; }

    public required SourceLocation Location { get; init; }
}

/// <summary>One `[[exemptions.NAME]]` entry: a version accepted without review, for a reason, until a date.</summary>
public sealed record ExemptionEntry
{
    public required string Package { get; init; }

    public required string Version { get; init; }

    public required IReadOnlyList<string> Criteria { get; init; }

    public string? Reason { get; init; }

    /// <summary>The last day the exemption counts (UTC); null: no expiry (cargo-vet's files have none).</summary>
    public DateOnly? Expires { get; init; }

    public required SourceLocation Location { get; init; }
}

/// <summary>
/// One `[[trusted.NAME]]` (or cargo-vet `[[wildcard-audits.NAME]]`) entry: releases by a publisher
/// identity or from a source repository, published within the dates, count as audited.
/// </summary>
public sealed record TrustedPublisherEntry
{
    public required string Package { get; init; }

    public required IReadOnlyList<string> Criteria { get; init; }

    /// <summary>A trusted-publisher identity: the Fulcio certificate SAN of the release workflow (`https://github.com/o/r/.github/workflows/release.yml@refs/...` prefixes match).</summary>
    public string? Publisher { get; init; }

    /// <summary>A source repository as provenance names it (`https://github.com/o/r`).</summary>
    public string? Repository { get; init; }

    /// <summary>cargo-vet's crates.io user id; parsed for compatibility, never matched for npm.</summary>
    public long? UserId { get; init; }

    public DateOnly? Start { get; init; }

    public DateOnly? End { get; init; }

    public required SourceLocation Location { get; init; }
}

/// <summary>One `[imports.NAME]`: another organisation's audit file, pinned by digest.</summary>
public sealed record ImportSpec
{
    public required string Name { get; init; }

    public required Uri Url { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file's bytes; null when unpinned (such an import is never used).</summary>
    public string? Sha256 { get; init; }

    /// <summary>Their criterion → ours. Built-in criteria map to themselves unless mapped.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CriteriaMap { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Packages whose imported audits are ignored.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    public required SourceLocation Location { get; init; }
}

/// <summary>One `[policy.PATTERN]`: criteria required of matching packages.</summary>
public sealed record PackagePolicy
{
    /// <summary>A package name, or a pattern with `*` (`@acme/*`).</summary>
    public required string Pattern { get; init; }

    public IReadOnlyList<string>? Criteria { get; init; }

    public IReadOnlyList<string>? DevCriteria { get; init; }

    public required SourceLocation Location { get; init; }
}

/// <summary>Everything one supply-chain file holds. Audit files and config files share the shape (cargo-vet splits them).</summary>
public sealed record SupplyChainDocument
{
    public required string Path { get; init; }

    public IReadOnlyList<CriterionDefinition> Criteria { get; init; } = [];

    public IReadOnlyList<AuditEntry> Audits { get; init; } = [];

    public IReadOnlyList<TrustedPublisherEntry> Trusted { get; init; } = [];

    public IReadOnlyList<ExemptionEntry> Exemptions { get; init; } = [];

    public IReadOnlyList<ImportSpec> Imports { get; init; } = [];

    public IReadOnlyList<PackagePolicy> Policies { get; init; } = [];

    /// <summary>`[default] criteria` (default safe-to-deploy).</summary>
    public IReadOnlyList<string>? DefaultCriteria { get; init; }

    /// <summary>`[default] dev-criteria` (default safe-to-run).</summary>
    public IReadOnlyList<string>? DefaultDevCriteria { get; init; }

    /// <summary>cargo-vet `imports.lock`: the audits cached per import.</summary>
    public IReadOnlyDictionary<string, SupplyChainDocument> ImportedAudits { get; init; } = new Dictionary<string, SupplyChainDocument>();

    /// <summary>cargo-vet `imports.lock` `[[publisher.NAME]]` entries (counted, not used for npm).</summary>
    public int PublisherEntries { get; init; }
}
