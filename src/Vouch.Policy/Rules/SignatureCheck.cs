using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Registry signatures (`signature`): a dist.signatures entry that verifies with the registry key.</summary>
internal sealed class SignatureCheck : IPolicyRule
{
    public string Name => PolicyRules.SignatureName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => Signature(f, rules.Signature);

    private static RuleOutcome Signature(PolicyFacts f, ScopedRule? rule)
    {
        const string name = PolicyRules.SignatureName;
        const string requirement = "a registry signature (dist.signatures) that verifies with the registry's key";
        if (Skip(f, name, rule?.Severity, rule?.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        if (f.SignatureOk)
        {
            return Pass(f, name, rule!.Severity, () => Evidence(f), requirement);
        }

        var evidence = Evidence(f);
        return Fail(name, rule!.Severity, evidence, requirement, new PolicyFinding(PolicyCodes.SignatureRequired, name, rule.Severity,
            $"{f.Id} has no valid registry signature", evidence,
            "install from a registry that signs versions and serves its keys (/-/npm/v1/keys), or add an allow entry for rules: [signature] with a reason and expiry"));
    }

    private static string Evidence(PolicyFacts f) => f.IsAdvertised
        ? $"dist.signatures: {(f.SignatureOk ? $"{f.Entry!.Dist.Signatures.Count} advertised (verified before the tarball is served)" : "none")} (packument)"
        : $"registry signature: {f.SignatureStatus}{(f.SignatureKey is { } k ? $" (key {k})" : "")} (verified)";
}
