using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Policy;

/// <summary>What a policy decides on: the verified evidence of one version plus its package's history.</summary>
public sealed record PolicySubject
{
    /// <summary>The VERIFIED evidence of the candidate version (<see cref="PackageVerifier"/>).</summary>
    public required PackageReport Report { get; init; }

    /// <summary>History (release lines, times, _npmUser, dist.attestations), deprecation, scripts.</summary>
    public required Packument Packument { get; init; }

    /// <summary>The version in the base lockfile (major-bump); null when unknown or there is no base.</summary>
    public string? BaseVersion { get; init; }

    /// <summary>Absent from the base lockfile (only meaningful when a base is given).</summary>
    public bool IsNewDependency { get; init; }

    /// <summary>Granted approvals (the gate's), each for one name@version and one rule.</summary>
    public IReadOnlyList<Approval> Approvals { get; init; } = [];

    /// <summary>
    /// Only the verdict and the findings will be read (an audit of thousands of packages): a rule that
    /// passes may leave its <see cref="RuleOutcome.Evidence"/> empty instead of describing what it
    /// looked at. Verdicts and findings are exactly those of a full explanation.
    /// </summary>
    public bool VerdictOnly { get; init; }
}

/// <summary>
/// A human decision that lifts one rule for one exact version. <see cref="Rule"/> is a rule name
/// (e.g. <c>major-bump</c>) or <c>*</c> for every rule; <see cref="Expires"/> null means no expiry.
/// </summary>
public sealed record Approval(string Name, string Version, string Rule, string GrantedBy, DateTimeOffset? Expires, string Reason);

public enum PolicySeverity
{
    Off,
    Warn,
    Error,
}

/// <summary>One rule outcome that needs attention: a stable code, the rule, what was seen and how to fix it.</summary>
public sealed record PolicyFinding(string Code, string Rule, PolicySeverity Severity, string Message, string Evidence, string Fix)
{
    /// <summary>For the <c>advisories</c> and <c>malware</c> rules: the OSV record ids the finding is about (typed, so the gate can name them).</summary>
    public IReadOnlyList<string> AdvisoryIds { get; init; } = [];

    /// <summary>For the <c>advisories</c> and <c>malware</c> rules: the digest of the advisory snapshot the finding came from.</summary>
    public string? AdvisorySnapshot { get; init; }

    /// <summary>
    /// The rule runs in <c>mode: report</c> (a dry run): this finding would be an error and is shown as a
    /// warning instead; nothing is refused or withheld because of it.
    /// </summary>
    public bool ReportOnly { get; init; }
}

public sealed record PolicyVerdict(IReadOnlyList<PolicyFinding> Findings)
{
    /// <summary>The verdict every rule outcome adds up to: each finding that is not off; refused when one is an error.</summary>
    public static PolicyVerdict FromOutcomes(IEnumerable<RuleOutcome> outcomes) =>
        new(outcomes.SelectMany(o => o.Findings).Where(f => f.Severity != PolicySeverity.Off).ToList());

    /// <summary>No finding of severity <see cref="PolicySeverity.Error"/>.</summary>
    public bool Allowed => Findings.All(f => f.Severity != PolicySeverity.Error);
}

/// <summary>What one rule concluded about one version (<c>vouch policy explain</c>).</summary>
public sealed record RuleOutcome
{
    public required string Rule { get; init; }

    public required PolicySeverity Severity { get; init; }

    /// <summary><c>pass</c>, <c>fail</c>, <c>exempt</c>, <c>off</c> or <c>not-applicable</c>.</summary>
    public required string Verdict { get; init; }

    /// <summary>What the rule looked at (and where that evidence came from).</summary>
    public required string Evidence { get; init; }

    /// <summary>What satisfies the rule.</summary>
    public required string Requirement { get; init; }

    public IReadOnlyList<PolicyFinding> Findings { get; init; } = [];
}

public static class PolicySeverities
{
    public static string Name(PolicySeverity severity) => severity switch
    {
        PolicySeverity.Error => "error",
        PolicySeverity.Warn => "warn",
        _ => "off",
    };
}
