using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Provenance (`provenance`): verified SLSA provenance bound to the tarball.</summary>
internal sealed class ProvenanceCheck : IPolicyRule
{
    public string Name => PolicyRules.ProvenanceName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => Provenance(f, rules.Provenance);

    private static RuleOutcome Provenance(PolicyFacts f, ScopedRule? rule)
    {
        const string name = PolicyRules.ProvenanceName;
        const string requirement = "verified SLSA provenance (Sigstore-signed, logged, bound to this tarball)";
        if (Skip(f, name, rule?.Severity, rule?.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var evidence = f.IsAdvertised
            ? $"dist.attestations: {(f.ProvenanceOk ? "advertised (verified before the tarball is served)" : "none")} (packument)"
            : $"provenance: {f.ProvenanceStatus}{(f.Claims is { } c ? $" ({c.SourceRepository} {c.SourceRef}, {c.WorkflowPath})" : "")} (verified)";
        return f.ProvenanceOk
            ? Pass(name, rule!.Severity, evidence, requirement)
            : Fail(name, rule!.Severity, evidence, requirement, new PolicyFinding(PolicyCodes.ProvenanceRequired, name, rule.Severity,
                $"{f.Id} has no verified provenance, and the policy requires it for {string.Join(", ", rule.Packages)}", evidence,
                $"publish {f.Name} from CI with provenance (trusted publishing, or npm publish --provenance); if this version was not published by its maintainers, do not install it"));
    }
}
