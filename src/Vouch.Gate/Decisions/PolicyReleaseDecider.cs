using Vouch.Advisories;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;

namespace Vouch.Gate.Decisions;

/// <summary>
/// The organisation policy (<c>vouch.policy.yml</c>, or the built-in default) as the gate's
/// decider: policy findings of severity error withhold a version. On top of the policy, the gate
/// fails closed on evidence: a version whose verification found problems (an invalid signature or
/// provenance, a source mismatch) is withheld by <c>verified-evidence</c> whatever the policy's
/// severities, because the gate never hands on bytes it could not vouch for. Approvals lift either.
/// </summary>
public sealed class PolicyReleaseDecider : IReleaseDecider
{
    private readonly PolicyEvaluator _evaluator;
    private readonly string _policyVersion;
    private readonly IAdvisoryDatabase? _advisories;
    private readonly Provenance.Slsa.SlsaMappingOptions _slsaMapping;

    /// <param name="advisories">The advisory database for the <c>advisories</c> and <c>malware</c> rules (the gate's is read-only); null when none is configured.</param>
    /// <param name="reviews">The organisation's reviews for the <c>reviews</c> rule (the policy's store plus the gate's stored reviews); null when the policy has no such rule.</param>
    public PolicyReleaseDecider(PolicyDocument policy, string policyVersion, TimeProvider time, IAdvisoryDatabase? advisories = null, Vouch.Reviews.IReviewEvidence? reviews = null)
    {
        _evaluator = new PolicyEvaluator(policy, time, advisories, reviews);
        _policyVersion = policyVersion;
        _advisories = advisories;
        _slsaMapping = policy.SlsaMapping;
    }

    /// <summary>The policy's own SLSA mapping (its <c>slsa</c> rule's platforms and builders), or the default.</summary>
    public Provenance.Slsa.SlsaMappingOptions SlsaMapping => _slsaMapping;

    /// <summary>The policy digest and, with an advisory database, its snapshot: a new import changes every cache key.</summary>
    public string PolicyVersion => _advisories is { } db ? $"{_policyVersion}+osv:{SnapshotKey(db.Snapshot)}" : _policyVersion;

    /// <summary>The advisory snapshot decisions are made under (null without a database).</summary>
    public SnapshotInfo? AdvisorySnapshot => _advisories?.Snapshot;

    private static string SnapshotKey(SnapshotInfo s) =>
        s.Digest.StartsWith("sha256:", StringComparison.Ordinal) && s.Digest.Length >= 23 ? s.Digest[7..23] : s.Digest;

    public ReleaseDecision Prefilter(Packument packument, PackageVersion version, IReadOnlyList<GrantedApproval> approvals)
    {
        var verdict = _evaluator.Prefilter(packument, version, Map(approvals, version));
        var findings = Errors(verdict);
        if (string.IsNullOrEmpty(version.Dist.Integrity) && string.IsNullOrEmpty(version.Dist.Shasum))
        {
            findings.Add(new ReleaseFinding(GateRules.IntegrityRule, GateCodes.NoIntegrity, $"{version.Name}@{version.Version} publishes neither dist.integrity nor dist.shasum"));
        }

        return WithReported(Lift(findings, version, approvals), verdict);
    }

    public ReleaseDecision Evaluate(PackageReport report, Packument packument, PackageVersion version, IReadOnlyList<GrantedApproval> approvals)
    {
        var verdict = _evaluator.Evaluate(new PolicySubject { Report = report, Packument = packument, Approvals = Map(approvals, version) });
        var findings = Errors(verdict);
        if (report.Problems.Count > 0)
        {
            findings.Add(new ReleaseFinding(GateRules.EvidenceRule, GateCodes.VerificationFailed,
                $"{report.Name}@{report.Version} failed verification: " + string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}"))));
        }

        return WithReported(Lift(findings, version, approvals), verdict);
    }

    // Issue 19, dry run: a rule in mode: report is decided and shown, never withholding.
    private static ReleaseDecision WithReported(ReleaseDecision decision, PolicyVerdict verdict)
    {
        if (!verdict.Findings.Any(f => f.ReportOnly))
        {
            return decision;
        }

        return decision with { Reported = verdict.Findings.Where(f => f.ReportOnly).Select(f => new ReleaseFinding(f.Rule, f.Code, f.Message)).ToList() };
    }

    private static List<ReleaseFinding> Errors(PolicyVerdict verdict) =>
        verdict.Findings.Where(f => f.Severity == PolicySeverity.Error)
            .Select(f => new ReleaseFinding(f.Rule, f.Code, Describe(f)) { Records = f.AdvisoryIds, AdvisorySnapshot = f.AdvisorySnapshot })
            .ToList();

    // Advisory findings name the snapshot in the text too, for clients that print only the message.
    private static string Describe(PolicyFinding f)
    {
        var text = string.IsNullOrEmpty(f.Fix) ? f.Message : $"{f.Message} (fix: {f.Fix})";
        return f.AdvisorySnapshot is { } snapshot ? $"{text} [advisory snapshot {snapshot}]" : text;
    }

    private static List<Approval> Map(IReadOnlyList<GrantedApproval> approvals, PackageVersion version) =>
        approvals.Where(a => a.Name == version.Name && a.Version == version.Version.ToString())
            .Select(a => new Approval(a.Name, a.Version, a.Rule, a.GrantedBy, a.Expires, "gate approval"))
            .ToList();

    // The policy already honours approvals for its own rules; this lifts the gate's rules too.
    private static ReleaseDecision Lift(List<ReleaseFinding> findings, PackageVersion version, IReadOnlyList<GrantedApproval> approvals)
    {
        var v = version.Version.ToString();
        // Malware is never lifted: not by an approval for the rule, not by a blanket one.
        findings.RemoveAll(f => f.Rule != GateRules.MalwareRule
            && approvals.Any(a => a.Name == version.Name && a.Version == v && (a.Rule == f.Rule || a.Rule == "*")));
        return findings.Count == 0 ? ReleaseDecision.Allow : new ReleaseDecision(findings);
    }
}
