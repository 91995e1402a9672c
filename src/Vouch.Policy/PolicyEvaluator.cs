using System.Globalization;
using Vouch.Advisories;
using Vouch.Npm;
using Vouch.Policy.Rules;
using Vouch.Provenance;

namespace Vouch.Policy;

/// <summary>
/// Applies a <see cref="PolicyDocument"/> to one package version. Rules decide on typed evidence;
/// allow entries and approvals then lift what they cover (an expired one stops lifting and says
/// so), and deny entries refuse whatever the rules say.
/// </summary>
public sealed class PolicyEvaluator
{
    private readonly PolicyDocument _policy;
    private readonly TimeProvider _time;
    private readonly IAdvisoryDatabase? _advisories;
    private readonly Vouch.Reviews.IReviewEvidence? _reviews;

    /// <param name="advisories">The local advisory database for the <c>advisories</c> and <c>malware</c> rules; null when none exists (the rules then say so).</param>
    /// <param name="reviews">The organisation's reviews (<see cref="PolicyDocument.ReviewStore"/>, loaded by the caller) for the <c>reviews</c> rule; null when none were loaded (the rule then fails, never passes silently).</param>
    public PolicyEvaluator(PolicyDocument policy, TimeProvider time, IAdvisoryDatabase? advisories = null, Vouch.Reviews.IReviewEvidence? reviews = null)
    {
        _policy = policy;
        _time = time;
        _advisories = advisories;
        _reviews = reviews;
    }

    public PolicyDocument Policy => _policy;

    /// <summary>The full decision on verified evidence.</summary>
    public PolicyVerdict Evaluate(PolicySubject subject) => Verdict(Explain(subject));

    /// <summary>
    /// Cheap decision from the packument alone (no tarball, no attestation fetch). Rules needing
    /// verified evidence pass when the packument ADVERTISES it (the full <see cref="Evaluate"/>
    /// runs before a tarball is served); rules the packument settles decide here.
    /// </summary>
    public PolicyVerdict Prefilter(Packument packument, PackageVersion version, IReadOnlyList<Approval> approvals) =>
        Verdict(Outcomes(PolicyFacts.Advertised(packument, version, approvals)));

    /// <summary>Every rule's outcome with its evidence (<c>vouch policy explain</c>).</summary>
    public IReadOnlyList<RuleOutcome> Explain(PolicySubject subject) => Outcomes(PolicyFacts.Verified(subject));

    private static PolicyVerdict Verdict(IReadOnlyList<RuleOutcome> outcomes) => PolicyVerdict.FromOutcomes(outcomes);

    private List<RuleOutcome> Outcomes(PolicyFacts facts)
    {
        var f = facts with { Advisories = _advisories, Reviews = _reviews };
        var now = _time.GetUtcNow();
        var results = new List<RuleOutcome>();
        if (f.Entry is null)
        {
            results.Add(new RuleOutcome
            {
                Rule = "policy",
                Severity = PolicySeverity.Error,
                Verdict = "fail",
                Evidence = $"{f.Id} is not in the packument",
                Requirement = "a version the registry lists",
                Findings = [new PolicyFinding(PolicyCodes.VersionUnknown, "policy", PolicySeverity.Error, $"{f.Id} is not in the packument, so no rule can be decided", "packument versions", "check the version; an unknown version is never allowed")],
            });
            return results;
        }

        results.Add(Deny(f, now));
        var rules = _policy.Rules;
        foreach (var rule in PolicyRuleRegistry.All)
        {
            var outcome = Lift(f, now, rule.Evaluate(f, rules, now));
            results.Add(rules.ReportOnly.Contains(outcome.Rule) ? Report(outcome) : outcome);
        }

        return results;
    }

    /// <summary>A rule in <c>mode: report</c>: decided as ever, but what would be an error is a warning marked as a dry run.</summary>
    private static RuleOutcome Report(RuleOutcome outcome) => outcome.Severity != PolicySeverity.Error && outcome.Findings.All(x => x.Severity != PolicySeverity.Error)
        ? outcome
        : outcome with
        {
            Severity = outcome.Severity == PolicySeverity.Error ? PolicySeverity.Warn : outcome.Severity,
            Findings = outcome.Findings.Select(x => x.Severity == PolicySeverity.Error ? x with { Severity = PolicySeverity.Warn, ReportOnly = true } : x).ToList(),
        };

    // ---- exceptions ----------------------------------------------------------------------------

    private RuleOutcome Deny(PolicyFacts f, DateTimeOffset now)
    {
        var findings = new List<PolicyFinding>();
        foreach (var d in _policy.Deny.Where(d => d.Matches(f.Name, f.Version)))
        {
            findings.Add(new PolicyFinding(PolicyCodes.Denied, "deny", PolicySeverity.Error,
                $"{f.Id} is denied: {d.Reason}",
                $"deny entry at {d.Location}: package {d.Package}{(d.Versions is null ? "" : $", versions {d.Versions.Raw}")}",
                "use another version or package; the deny entry must be removed from the policy to allow it"));
            if (d.Expires <= now)
            {
                // A deny that lapses silently would re-admit a known-bad version: keep denying, ask for a review.
                findings.Add(new PolicyFinding(PolicyCodes.ExceptionExpired, "deny", PolicySeverity.Warn,
                    $"the deny entry at {d.Location} expired on {d.ExpiresText}; it still denies {f.Id}",
                    $"expires {d.ExpiresText}, now {Day(now)}",
                    "review the entry: renew its expiry, or remove it if the package is safe again"));
            }
        }

        return new RuleOutcome
        {
            Rule = "deny",
            Severity = findings.Count > 0 ? PolicySeverity.Error : PolicySeverity.Off,
            Verdict = findings.Count > 0 ? "fail" : "pass",
            Evidence = findings.Count > 0 ? findings[0].Evidence : $"no deny entry matches {f.Id}",
            Requirement = "no deny entry matches the version",
            Findings = findings,
        };
    }

    /// <summary>Allow entries (policy) and approvals (the gate's) lift a failed rule; expired ones do not, and say so.</summary>
    private RuleOutcome Lift(PolicyFacts f, DateTimeOffset now, RuleOutcome outcome)
    {
        // Known malware is never lifted, by an allow entry or an approval.
        if (outcome.Verdict != "fail" || outcome.Rule == PolicyRules.MalwareName)
        {
            return outcome;
        }

        var expired = new List<PolicyFinding>();
        foreach (var a in _policy.Allow.Where(a => a.Matches(f.Name, f.Version) && a.CoversRule(outcome.Rule)))
        {
            if (a.Expires > now)
            {
                return outcome with
                {
                    Verdict = "exempt",
                    Evidence = $"{outcome.Evidence}; exempted by the allow entry at {a.Location} ({a.Reason}), until {a.ExpiresText}",
                    Findings = [],
                };
            }

            expired.Add(new PolicyFinding(PolicyCodes.ExceptionExpired, outcome.Rule, PolicySeverity.Warn,
                $"the allow entry at {a.Location} ({a.Reason}) expired on {a.ExpiresText}; it no longer exempts {f.Id} from {outcome.Rule}",
                $"expires {a.ExpiresText}, now {Day(now)}",
                "satisfy the rule, or renew the entry with a new expiry after a fresh review"));
        }

        foreach (var a in f.Approvals.Where(a => a.Name == f.Name && a.Version == f.VersionText && (a.Rule == outcome.Rule || a.Rule == "*")))
        {
            if (a.Expires is null || a.Expires > now)
            {
                return outcome with
                {
                    Verdict = "exempt",
                    Evidence = $"{outcome.Evidence}; approved by {a.GrantedBy} ({a.Reason}){(a.Expires is { } e ? $", until {Day(e)}" : "")}",
                    Findings = [],
                };
            }

            expired.Add(new PolicyFinding(PolicyCodes.ApprovalExpired, outcome.Rule, PolicySeverity.Warn,
                $"the approval of {f.Id} for {outcome.Rule} by {a.GrantedBy} expired on {Day(a.Expires.Value)}",
                $"expires {Day(a.Expires.Value)}, now {Day(now)}",
                "ask for a new approval, or satisfy the rule"));
        }

        return expired.Count == 0 ? outcome : outcome with { Findings = [.. outcome.Findings, .. expired] };
    }

    private static string Day(DateTimeOffset t) => RuleOutcomes.Day(t);
}
