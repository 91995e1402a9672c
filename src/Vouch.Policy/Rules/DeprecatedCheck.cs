using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Deprecation (`deprecated`): a version that is not deprecated.</summary>
internal sealed class DeprecatedCheck : IPolicyRule
{
    public string Name => PolicyRules.DeprecatedName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => Deprecated(f, rules.Deprecated);

    private static RuleOutcome Deprecated(PolicyFacts f, ScopedRule? rule)
    {
        const string name = PolicyRules.DeprecatedName;
        const string requirement = "a version that is not deprecated";
        if (Skip(f, name, rule?.Severity, rule?.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        if (f.Entry!.Deprecated is not { } message)
        {
            return Pass(name, rule!.Severity, "not deprecated (packument)", requirement);
        }

        var evidence = $"deprecated (packument): {message}";
        return Fail(name, rule!.Severity, evidence, requirement, new PolicyFinding(PolicyCodes.Deprecated, name, rule.Severity,
            $"{f.Id} is deprecated: {message}", evidence,
            "upgrade to a version that is not deprecated, or replace the package"));
    }
}
