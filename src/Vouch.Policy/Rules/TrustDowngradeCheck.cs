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

        // The strongest earlier evidence, and the latest version that showed it (history is in version order).
        var baseline = history[0];
        var baselineLevel = AdvertisedLevel(baseline);
        for (var i = 1; i < history.Count; i++)
        {
            if (AdvertisedLevel(history[i]) is var level && level >= baselineLevel)
            {
                (baseline, baselineLevel) = (history[i], level);
            }
        }

        var findings = new List<PolicyFinding>();
        string Evidence() => $"{f.Id}: {EvidenceLevels.Name(f.Level)} ({(f.IsAdvertised ? "advertised by the packument" : "verified")}); strongest of {history.Count} lower, earlier version(s) on line {line}: {f.Name}@{baseline.Version} with {EvidenceLevels.Name(baselineLevel)} (advertised by the packument: dist.attestations, _npmUser.trustedPublisher, _npmUser.approver)";
        if (f.Level < baselineLevel)
        {
            findings.Add(new PolicyFinding(PolicyCodes.TrustDowngrade, name, severity,
                $"{f.Id} carries weaker evidence ({EvidenceLevels.Name(f.Level)}) than {f.Name}@{baseline.Version} ({EvidenceLevels.Name(baselineLevel)}) before it on release line {line}",
                Evidence(),
                $"stay on {f.Name}@{baseline.Version} (pin it); a genuine release should be republished through the same pipeline (trusted publishing / provenance); once reviewed, an approval or an allow entry for rules: [trust-downgrade] lifts this"));
        }

        string? moved = null;
        if (rule.CheckSourceRepository)
        {
            // The latest earlier version with provenance and a repository it names.
            PackageVersion? previous = null;
            string? previousRepo = null;
            for (var i = history.Count - 1; i >= 0 && previous is null; i--)
            {
                if (history[i].Dist.Attestations is not null && SourceBinding.Normalize(history[i].Repository?.Url) is { } repo)
                {
                    (previous, previousRepo) = (history[i], repo);
                }
            }

            var candidateRepo = previous is null ? null
                : f.IsAdvertised
                    ? (f.Entry.Dist.Attestations is not null ? SourceBinding.Normalize(f.Entry.Repository?.Url) : null)
                    : SourceBinding.Normalize(f.Claims?.SourceRepository);
            if (previous is not null && candidateRepo is not null && previousRepo != candidateRepo)
            {
                moved = $"{f.Id} built from {candidateRepo} ({(f.IsAdvertised ? "package.json, bound by the registry to its provenance" : "verified provenance")}); {f.Name}@{previous.Version} came from {previousRepo} (package.json of a version with provenance, packument)";
                findings.Add(new PolicyFinding(PolicyCodes.TrustDowngradeSource, name, severity,
                    $"{f.Id} was built from another repository ({candidateRepo}) than {f.Name}@{previous.Version} ({previousRepo}) before it on release line {line}",
                    moved,
                    "if the project moved, confirm the move with its maintainers, then add an allow entry for rules: [trust-downgrade] (or pin the new repository with a source rule); otherwise do not install it"));
            }
        }

        if (findings.Count == 0)
        {
            return Pass(f, name, severity, Evidence, requirement);
        }

        var evidence = moved is null ? Evidence() : $"{Evidence()}; {moved}";
        return Fail(name, severity, evidence, requirement, [.. findings]);
    }

    internal static EvidenceLevel AdvertisedLevel(PackageVersion v) =>
        EvidenceLevels.Rank(v.Dist.Attestations is not null, v.NpmUser?.TrustedPublisher is not null, v.NpmUser?.Approver is not null);
}
