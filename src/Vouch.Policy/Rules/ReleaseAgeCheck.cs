using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Release age (`release-age`): a minimum time since publication.</summary>
internal sealed class ReleaseAgeCheck : IPolicyRule
{
    public string Name => PolicyRules.ReleaseAgeName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => ReleaseAge(f, rules.ReleaseAge, now);

    private static RuleOutcome ReleaseAge(PolicyFacts f, ReleaseAgeRule? rule, DateTimeOffset now)
    {
        const string name = PolicyRules.ReleaseAgeName;
        var requirement = rule is null ? "" : $"published at least {Span(rule.Minimum)} ago";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Scope.Severity;
        if (rule.Exempt.FirstOrDefault(p => Glob.MatchName(p, f.Name)) is { } exempt)
        {
            return NotApplicable(name, severity, $"{f.Name} is exempt (exempt: {exempt})", requirement);
        }

        if (f.PublishTime is not { } published)
        {
            const string ev = "no publish time: no verified publish attestation and no packument time";
            return Fail(name, severity, ev, requirement, new PolicyFinding(PolicyCodes.ReleaseTimeUnknown, name, severity,
                $"nothing shows when {f.Id} was published, so its age cannot be checked", ev,
                "use a registry that serves full packuments (with time) or publish attestations; or exempt the package"));
        }

        var source = f.PublishTimeSource == "transparency-log"
            ? "transparency-log: the Rekor integrated time of the verified publish attestation"
            : "packument: the registry's time field (no verified publish attestation)";
        var age = now - published;
        var evidence = $"published {published.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z ({source}); age {Span(age)}";
        if (age >= rule.Minimum)
        {
            return Pass(name, severity, evidence, requirement);
        }

        return Fail(name, severity, evidence, requirement, new PolicyFinding(PolicyCodes.ReleaseAge, name, severity,
            $"{f.Id} was published {Span(age)} ago; the policy wants {Span(rule.Minimum)} before it is used",
            evidence,
            $"wait until {(published + rule.Minimum).UtcDateTime:yyyy-MM-dd HH:mm}Z (new releases are when hijacked and typosquatted packages do their damage), use an older version, or exempt the package"));
    }
}
