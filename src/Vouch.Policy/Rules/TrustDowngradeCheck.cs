using Vouch.Npm;
using Vouch.Provenance;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Trust downgrade (`trust-downgrade`): evidence no weaker than the earlier versions of the release line.</summary>
internal sealed class TrustDowngradeCheck : IPolicyRule
{
    public string Name => PolicyRules.TrustDowngradeName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => TrustDowngrade(f, rules.TrustDowngrade);

    private static RuleOutcome TrustDowngrade(PolicyFacts f, TrustDowngradeRule? rule)
    {
        const string name = PolicyRules.TrustDowngradeName;
        const string requirement = "evidence at least as strong as (and the same source repository as) the lower, earlier versions of its release line";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Scope.Severity;
        var version = f.Entry!.Version;
        var line = ReleaseLine.Of(version);
        var history = ReleaseLine.Predecessors(f.Packument, version);
        if (history.Count == 0)
        {
            return Pass(name, severity, $"no lower version of line {line} was published before {f.Id}", requirement);
        }

        // The strongest earlier evidence, and the latest version that showed it.
        var baseline = history.Select(v => (Version: v, Level: AdvertisedLevel(v))).OrderBy(x => x.Level).ThenBy(x => x.Version.Version).Last();
        var candidateWhere = f.IsAdvertised ? "advertised by the packument" : "verified";
        var evidence = $"{f.Id}: {EvidenceLevels.Name(f.Level)} ({candidateWhere}); strongest of {history.Count} lower, earlier version(s) on line {line}: {f.Name}@{baseline.Version.Version} with {EvidenceLevels.Name(baseline.Level)} (advertised by the packument: dist.attestations, _npmUser.trustedPublisher, _npmUser.approver)";
        var findings = new List<PolicyFinding>();
        if (f.Level < baseline.Level)
        {
            findings.Add(new PolicyFinding(PolicyCodes.TrustDowngrade, name, severity,
                $"{f.Id} carries weaker evidence ({EvidenceLevels.Name(f.Level)}) than {f.Name}@{baseline.Version.Version} ({EvidenceLevels.Name(baseline.Level)}) before it on release line {line}",
                evidence,
                $"stay on {f.Name}@{baseline.Version.Version} (pin it); a genuine release should be republished through the same pipeline (trusted publishing / provenance); once reviewed, an approval or an allow entry for rules: [trust-downgrade] lifts this"));
        }

        if (rule.CheckSourceRepository)
        {
            var withSource = history.Where(v => v.Dist.Attestations is not null && SourceBinding.Normalize(v.Repository?.Url) is not null).ToList();
            var candidateRepo = f.IsAdvertised
                ? (f.Entry.Dist.Attestations is not null ? SourceBinding.Normalize(f.Entry.Repository?.Url) : null)
                : SourceBinding.Normalize(f.Claims?.SourceRepository);
            if (withSource.Count > 0 && candidateRepo is not null)
            {
                var previous = withSource[^1];
                var previousRepo = SourceBinding.Normalize(previous.Repository!.Url)!;
                if (previousRepo != candidateRepo)
                {
                    var ev = $"{f.Id} built from {candidateRepo} ({(f.IsAdvertised ? "package.json, bound by the registry to its provenance" : "verified provenance")}); {f.Name}@{previous.Version} came from {previousRepo} (package.json of a version with provenance, packument)";
                    findings.Add(new PolicyFinding(PolicyCodes.TrustDowngradeSource, name, severity,
                        $"{f.Id} was built from another repository ({candidateRepo}) than {f.Name}@{previous.Version} ({previousRepo}) before it on release line {line}",
                        ev,
                        "if the project moved, confirm the move with its maintainers, then add an allow entry for rules: [trust-downgrade] (or pin the new repository with a source rule); otherwise do not install it"));
                    evidence = $"{evidence}; {ev}";
                }
            }
        }

        return findings.Count == 0 ? Pass(name, severity, evidence, requirement) : Fail(name, severity, evidence, requirement, [.. findings]);
    }

    internal static EvidenceLevel AdvertisedLevel(PackageVersion v) =>
        EvidenceLevels.Rank(v.Dist.Attestations is not null, v.NpmUser?.TrustedPublisher is not null, v.NpmUser?.Approver is not null);
}
