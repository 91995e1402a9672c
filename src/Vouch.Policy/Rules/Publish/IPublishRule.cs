using Vouch.Policy.Publish;

namespace Vouch.Policy.Rules.Publish;

/// <summary>
/// One rule of the <c>publish:</c> section: decides on the typed facts of one publish under one
/// entry covering the package. Adding a rule is one class, one line in <see cref="PublishRuleRegistry"/>,
/// one key in the parser and a section in docs/policy.md.
/// </summary>
internal interface IPublishRule
{
    /// <summary>The rule's name in findings, audit rows and approvals (always <c>publish-...</c>, so a publish approval never lifts a consumption rule).</summary>
    string Name { get; }

    PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust);
}

/// <summary>Every publish rule, in the order findings are reported.</summary>
internal static class PublishRuleRegistry
{
    public static readonly IReadOnlyList<IPublishRule> All =
    [
        new PublishProvenanceCheck(),
        new PublishSourceCheck(),
        new TrustedPublisherCheck(),
        new PublishTrustDowngradeCheck(),
        new NewMajorCheck(),
        new NewPublisherCheck(),
        new AddedInstallScriptCheck(),
    ];

    /// <summary>Rule names as they appear in findings.</summary>
    public static IReadOnlyList<string> Names => All.Select(r => r.Name).ToList();
}
