using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Gate.Decisions;

/// <summary>One reason a version is withheld: the rule, its stable code, and what happened.</summary>
public sealed record ReleaseFinding(string Rule, string Code, string Message)
{
    /// <summary>The OSV records behind an <c>advisories</c> or <c>malware</c> finding (empty for other rules).</summary>
    public IReadOnlyList<string> Records { get; init; } = [];

    /// <summary>The digest of the advisory snapshot an <c>advisories</c> or <c>malware</c> finding came from.</summary>
    public string? AdvisorySnapshot { get; init; }
}

/// <summary>A granted approval in force: the named rule does not block that exact version.</summary>
public sealed record GrantedApproval(string Name, string Version, string Rule, string GrantedBy, DateTimeOffset? Expires);

/// <summary>The gate's answer for one version: allowed, or withheld by the listed findings.</summary>
public sealed record ReleaseDecision(IReadOnlyList<ReleaseFinding> Blocking)
{
    public static readonly ReleaseDecision Allow = new([]);

    /// <summary>Findings of rules in <c>mode: report</c> (a dry run): they would withhold the version, and do not.</summary>
    public IReadOnlyList<ReleaseFinding> Reported { get; init; } = [];

    public bool Allowed => Blocking.Count == 0;
}

/// <summary>
/// Where the gate's policy decisions come from. The gate only ever asks these two questions, so the
/// policy engine behind them is swapped in one place.
/// </summary>
public interface IReleaseDecider
{
    /// <summary>Changes whenever a decision could change (the policy file's digest); part of every cache key.</summary>
    string PolicyVersion { get; }

    /// <summary>
    /// The cheap decision from the packument alone, used to filter packuments. Rules that need verified
    /// evidence pass here when the packument advertises it; <see cref="Evaluate"/> must still run
    /// before a tarball is served.
    /// </summary>
    ReleaseDecision Prefilter(Packument packument, PackageVersion version, IReadOnlyList<GrantedApproval> approvals);

    /// <summary>The full decision on verified evidence, before a tarball is served.</summary>
    ReleaseDecision Evaluate(PackageReport report, Packument packument, PackageVersion version, IReadOnlyList<GrantedApproval> approvals);

    /// <summary>How verified evidence maps to a SLSA Build level under this decider's policy (a VSA states that level).</summary>
    Vouch.Provenance.Slsa.SlsaMappingOptions SlsaMapping => Vouch.Provenance.Slsa.SlsaMappingOptions.Default;
}

/// <summary>The rules the gate enforces itself, on top of the organisation policy.</summary>
public static class GateRules
{
    /// <summary>A version without dist.integrity or dist.shasum: its bytes cannot be checked.</summary>
    public const string IntegrityRule = "integrity-required";

    /// <summary>Verification found problems (invalid signature or provenance, source mismatch).</summary>
    public const string EvidenceRule = "verified-evidence";

    /// <summary>The policy's <c>malware</c> rule (a MAL record lists the version): no approval lifts it in the gate.</summary>
    public const string MalwareRule = "malware";
}
