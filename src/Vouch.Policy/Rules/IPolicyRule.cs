namespace Vouch.Policy.Rules;

/// <summary>
/// One policy rule: decides on the typed facts of one version under the policy's settings for it.
/// Adding a rule is one class implementing this, one line in <see cref="PolicyRuleRegistry"/>, and
/// one section in docs/policy.md.
/// </summary>
internal interface IPolicyRule
{
    /// <summary>The rule's name in vouch.policy.yml and in outcomes.</summary>
    string Name { get; }

    RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now);
}

/// <summary>Every rule, in the order outcomes are reported.</summary>
internal static class PolicyRuleRegistry
{
    public static readonly IReadOnlyList<IPolicyRule> All =
    [
        new SignatureCheck(),
        new ProvenanceCheck(),
        new SourceCheck(),
        new TrustDowngradeCheck(),
        new MajorBumpCheck(),
        new NewDependencyCheck(),
        new ReleaseAgeCheck(),
        new InstallScriptsCheck(),
        new DeprecatedCheck(),
        new SlsaCheck(),
        new AdvisoriesCheck(),
        new MalwareCheck(),
        new ReviewsCheck(),
    ];
}
