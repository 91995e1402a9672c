using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit;

/// <summary>How much a finding counts: errors fail the audit (exit 1), warnings and notes are reported only.</summary>
public enum AuditSeverity
{
    Error,
    Warning,
    Note,
}

/// <summary>Where a finding comes from.</summary>
public enum FindingSource
{
    /// <summary>A failed check of the registry evidence (<c>VOUCH_*</c> of src/Vouch.Provenance).</summary>
    Evidence,

    /// <summary>A check the audit makes between the lockfile and the registry (<c>VOUCH_AUDIT_*</c>).</summary>
    Audit,

    /// <summary>A lockfile integrity check (lint).</summary>
    Lockfile,

    /// <summary>An organisation policy rule.</summary>
    Policy,
}

/// <summary>One problem found about a package (or about the lockfile when <see cref="AuditEntry"/> is absent).</summary>
public sealed record AuditFinding(string Code, AuditSeverity Severity, FindingSource Source, string Message)
{
    /// <summary>The policy rule that produced it, when it comes from policy.</summary>
    public string? Rule { get; init; }

    /// <summary>How to fix or approve, when known.</summary>
    public string? Fix { get; init; }
}

/// <summary>The verdict on one lockfile entry.</summary>
public enum AuditStatus
{
    /// <summary>Every check passed.</summary>
    Passed,

    /// <summary>At least one error finding.</summary>
    Failed,

    /// <summary>Not from a registry, or bundled: nothing to verify against.</summary>
    Skipped,

    /// <summary>The registry or the network failed: unknown, not negative.</summary>
    NetworkError,
}

/// <summary>How an entry differs from the base lockfile (<c>--diff</c>/<c>--base</c>).</summary>
public enum DiffChange
{
    Added,
    Upgraded,
    Downgraded,

    /// <summary>Same name and version, different integrity or source: the bytes changed under a fixed version.</summary>
    Changed,

    Removed,
}

/// <summary>What the base lockfile had for a changed package.</summary>
public sealed record DiffInfo(DiffChange Change, string? BaseVersion, string? BaseIntegrity)
{
    /// <summary>The evidence of the base version (upgrades and downgrades), to show the trust before and after.</summary>
    public PackageReport? BaseReport { get; init; }
}

/// <summary>Everything the audit established about one distinct package of the lockfile.</summary>
public sealed record AuditEntry
{
    public required LockfilePackage Package { get; init; }

    public required AuditStatus Status { get; init; }

    /// <summary>The registry evidence (null when skipped, or when the registry could not answer).</summary>
    public PackageReport? Report { get; init; }

    public IReadOnlyList<AuditFinding> Findings { get; init; } = [];

    /// <summary>The SLSA Build level the verified evidence earns (null without evidence).</summary>
    public Vouch.Provenance.Slsa.SlsaAssessment? Slsa { get; init; }

    /// <summary>True when the evidence came from the on-disk result cache.</summary>
    public bool FromCache { get; init; }

    /// <summary>The policy verdict (null when no policy applied).</summary>
    public bool? PolicyAllowed { get; init; }

    /// <summary>Set when the audit compares with a base lockfile.</summary>
    public DiffInfo? Diff { get; init; }

    public string? NetworkError { get; init; }

    public string Id => $"{Package.Name}@{Package.Version}";
}

/// <summary>Counts over the audited packages, in the spirit of npm's summary.</summary>
public sealed record AuditTotals
{
    public int Packages { get; init; }

    public int Audited { get; init; }

    public int Passed { get; init; }

    public int Failed { get; init; }

    public int Skipped { get; init; }

    public int NetworkErrors { get; init; }

    public int SignaturesVerified { get; init; }

    public int SignaturesInvalid { get; init; }

    public int SignaturesMissing { get; init; }

    public int ProvenanceVerified { get; init; }

    public int ProvenanceInvalid { get; init; }

    public int ProvenanceAbsent { get; init; }

    public int FromCache { get; init; }

    public int Errors { get; init; }

    public int Warnings { get; init; }

    public static AuditTotals Compute(IReadOnlyList<AuditEntry> entries, IReadOnlyList<AuditFinding> lockfileFindings)
    {
        var audited = entries.Where(e => e.Report is not null && e.Status is not AuditStatus.NetworkError).ToList();
        var all = entries.SelectMany(e => e.Findings).Concat(lockfileFindings).ToList();
        return new AuditTotals
        {
            Packages = entries.Count(e => e.Diff?.Change is not DiffChange.Removed),
            Audited = audited.Count,
            Passed = entries.Count(e => e.Status == AuditStatus.Passed),
            Failed = entries.Count(e => e.Status == AuditStatus.Failed),
            Skipped = entries.Count(e => e.Status == AuditStatus.Skipped),
            NetworkErrors = entries.Count(e => e.Status == AuditStatus.NetworkError),
            SignaturesVerified = audited.Count(e => e.Report!.Signature.Status == "verified"),
            SignaturesInvalid = audited.Count(e => e.Report!.Signature.Status == "invalid"),
            SignaturesMissing = audited.Count(e => e.Report!.Signature.Status == "absent"),
            ProvenanceVerified = audited.Count(e => e.Report!.Provenance.Status == EvidenceStatus.Verified),
            ProvenanceInvalid = audited.Count(e => e.Report!.Provenance.Status == EvidenceStatus.Invalid),
            ProvenanceAbsent = audited.Count(e => e.Report!.Provenance.Status == EvidenceStatus.Absent),
            FromCache = entries.Count(e => e.FromCache),
            Errors = all.Count(f => f.Severity == AuditSeverity.Error),
            Warnings = all.Count(f => f.Severity == AuditSeverity.Warning),
        };
    }
}

/// <summary>The result of one audit: what every formatter renders (docs/audit.md).</summary>
public sealed record AuditReport
{
    /// <summary>The lockfile as given (formatters print it relative to the working directory).</summary>
    public required string LockfilePath { get; init; }

    public required LockfileFormat Format { get; init; }

    /// <summary>One per distinct package, in lockfile order.</summary>
    public required IReadOnlyList<AuditEntry> Entries { get; init; }

    /// <summary>Findings about the lockfile that no single package carries.</summary>
    public IReadOnlyList<AuditFinding> LockfileFindings { get; init; } = [];

    public required AuditTotals Totals { get; init; }

    /// <summary>The base lockfile (or git ref) of a diff audit.</summary>
    public string? DiffBase { get; init; }

    /// <summary>Where the trusted root and registry keys came from.</summary>
    public string? TrustSource { get; init; }

    /// <summary>The registry the audit asked.</summary>
    public string? Registry { get; init; }

    public bool HasErrors => Totals.Errors > 0 || Entries.Any(e => e.Status == AuditStatus.Failed);

    public bool HasNetworkErrors => Entries.Any(e => e.Status == AuditStatus.NetworkError);
}
