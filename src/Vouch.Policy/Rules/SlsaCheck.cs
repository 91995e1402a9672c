using Vouch.Provenance.Slsa;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>SLSA Build level (`slsa`): the level the verified evidence earns (docs/slsa.md) meets the minimum for the name.</summary>
internal sealed class SlsaCheck : IPolicyRule
{
    public string Name => PolicyRules.SlsaName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now)
    {
        const string name = PolicyRules.SlsaName;
        var rule = rules.Slsa;
        var covered = rule is not null && rule.Minimums.Any(m => m.Packages.Any(p => Glob.MatchName(p, f.Name)) && !m.Exclude.Any(p => Glob.MatchName(p, f.Name)));
        if (Skip(f, name, rule?.Severity, covered, "the minimum SLSA Build level for the package's name") is { } skip)
        {
            return skip;
        }

        var severity = rule!.Severity;
        if (f.Report is null)
        {
            // The packument cannot show a level (only verified certificates can); the full evaluation
            // runs on verified evidence before a tarball is served, so the prefilter defers to it.
            return NotApplicable(name, severity, $"dist.attestations: {(f.ProvenanceOk ? "advertised" : "none")} (packument); the level is decided on verified evidence", "the minimum SLSA Build level for the package's name");
        }

        var assessment = SlsaLevels.Assess(f.Report, rule.Mapping);
        var verdict = SlsaRequirement.Evaluate(f.Name, assessment, rule.Minimums, Glob.MatchName);
        var requirement = verdict.Required is { } r ? $"{SlsaLevels.VsaName(r)} or higher" : "no minimum";
        var evidence = $"{f.Id}: {assessment.VsaLevel} (row {assessment.Row}{(assessment.Platform is null ? "" : $", {assessment.Platform}")}{(assessment.RunnerEnvironment is null ? "" : $", runner {assessment.RunnerEnvironment}")}) (verified)";
        if (verdict.Satisfied)
        {
            return Pass(name, severity, evidence, requirement);
        }

        return Fail(name, severity, evidence, requirement, new PolicyFinding(PolicyCodes.SlsaLevel, name, severity,
            $"{f.Id}: {verdict.Message}", evidence,
            assessment.Level switch
            {
                SlsaBuildLevel.L0 => $"publish {f.Name} from a hosted CI runner with provenance (trusted publishing, or npm publish --provenance), or use a version that has it",
                SlsaBuildLevel.L1 => $"publish {f.Name} from a hosted runner of a known platform (GitHub-hosted or GitLab.com shared runners), or list the platform under hosted-issuers if the organisation runs it as a hosted platform",
                _ => $"build {f.Name} with an isolated builder (the SLSA GitHub generator from a release tag), or lower the minimum for {f.Name}",
            }));
    }
}
