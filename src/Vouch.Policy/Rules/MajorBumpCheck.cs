using Vouch.Npm;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Major bump (`major-bump`): requirements on a new major version.</summary>
internal sealed class MajorBumpCheck : IPolicyRule
{
    public string Name => PolicyRules.MajorBumpName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => MajorBump(f, rules.MajorBump);

    private static RuleOutcome MajorBump(PolicyFacts f, RequirementRule? rule)
    {
        const string name = PolicyRules.MajorBumpName;
        var requirement = rule is null ? "" : $"for an upgrade to a new release line: {string.Join(", ", rule.Require.Select(RequirementName))}";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        if (f.BaseVersion is null || SemVersion.ParseOrNull(f.BaseVersion) is not { } baseVersion)
        {
            return NotApplicable(name, rule!.Scope.Severity, "no base version to compare with (not a lockfile upgrade)", requirement);
        }

        if (!ReleaseLine.IsMajorBump(baseVersion, f.Entry!.Version))
        {
            return Pass(name, rule!.Scope.Severity, $"{f.BaseVersion} -> {f.VersionText} stays on release line {ReleaseLine.Of(baseVersion)} or goes down", requirement);
        }

        return Requirements(f, name, rule!, PolicyCodes.MajorBump, $"the upgrade {f.Name} {f.BaseVersion} -> {f.VersionText} crosses release lines ({ReleaseLine.Of(baseVersion)} -> {ReleaseLine.Of(f.Entry.Version)})", requirement);
    }
}
