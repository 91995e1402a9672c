using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>New dependency (`new-dependency`): requirements on a package new to the project.</summary>
internal sealed class NewDependencyCheck : IPolicyRule
{
    public string Name => PolicyRules.NewDependencyName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => NewDependency(f, rules.NewDependency);

    private static RuleOutcome NewDependency(PolicyFacts f, RequirementRule? rule)
    {
        const string name = PolicyRules.NewDependencyName;
        var requirement = rule is null ? "" : $"for a package new to the project: {string.Join(", ", rule.Require.Select(RequirementName))}";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        if (!f.IsNewDependency)
        {
            return NotApplicable(name, rule!.Scope.Severity, $"{f.Name} is not new to the project (or no base lockfile was given)", requirement);
        }

        return Requirements(f, name, rule!, PolicyCodes.NewDependency, $"{f.Name} is new to the project", requirement);
    }
}
