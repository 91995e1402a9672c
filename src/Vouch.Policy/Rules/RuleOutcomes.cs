using System.Globalization;
using Vouch.Provenance;

namespace Vouch.Policy.Rules;

/// <summary>What every rule builds its outcome with: off / not-applicable / pass / fail, and shared wording.</summary>
internal static class RuleOutcomes
{
    internal static RuleOutcome? Skip(PolicyFacts f, string rule, PolicySeverity? severity, bool? covers, string requirement)
    {
        if (severity is null or PolicySeverity.Off)
        {
            return new RuleOutcome { Rule = rule, Severity = PolicySeverity.Off, Verdict = "off", Evidence = "the rule is off", Requirement = requirement };
        }

        return covers == true ? null : NotApplicable(rule, severity.Value, $"{f.Name} matches none of the rule's package patterns", requirement);
    }

    internal static RuleOutcome NotApplicable(string rule, PolicySeverity severity, string evidence, string requirement) =>
        new() { Rule = rule, Severity = severity, Verdict = "not-applicable", Evidence = evidence, Requirement = requirement };

    internal static RuleOutcome Pass(string rule, PolicySeverity severity, string evidence, string requirement) =>
        new() { Rule = rule, Severity = severity, Verdict = "pass", Evidence = evidence, Requirement = requirement };

    /// <summary>A pass whose evidence is described only when someone will read it (not <see cref="PolicyFacts.VerdictOnly"/>).</summary>
    internal static RuleOutcome Pass(PolicyFacts f, string rule, PolicySeverity severity, Func<string> evidence, string requirement) =>
        Pass(rule, severity, f.VerdictOnly ? "" : evidence(), requirement);

    internal static RuleOutcome Fail(string rule, PolicySeverity severity, string evidence, string requirement, params PolicyFinding[] findings) =>
        new() { Rule = rule, Severity = severity, Verdict = "fail", Evidence = evidence, Requirement = requirement, Findings = findings };

    internal static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static string Span(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
        {
            return $"-{Span(-t)}";
        }

        return t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t.Hours}h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes}m" : $"{(int)t.TotalMinutes}m";
    }

    internal static RuleOutcome Requirements(PolicyFacts f, string name, RequirementRule rule, string code, string context, string requirement)
    {
        var unmet = rule.Require.Where(r => !Meets(f, r)).ToList();
        var evidence = $"{context}; {f.Id}: provenance {(f.ProvenanceOk ? "yes" : "no")}, signature {(f.SignatureOk ? "yes" : "no")}, evidence level {EvidenceLevels.Name(f.Level)} ({(f.IsAdvertised ? "advertised" : "verified")})";
        if (unmet.Count == 0)
        {
            return Pass(name, rule.Scope.Severity, evidence, requirement);
        }

        return Fail(name, rule.Scope.Severity, evidence, requirement, new PolicyFinding(code, name, rule.Scope.Severity,
            $"{context}, and {f.Id} lacks {string.Join(", ", unmet.Select(RequirementName))}",
            evidence,
            $"get an approval of {f.Id} for {name}{(unmet.All(u => u == Requirement.Approval) ? "" : $", or use a version that has {string.Join(", ", unmet.Where(u => u != Requirement.Approval).Select(RequirementName))}")}"));
    }

    internal static bool Meets(PolicyFacts f, Requirement r) => r switch
    {
        Requirement.Provenance => f.ProvenanceOk,
        Requirement.Signature => f.SignatureOk,
        Requirement.TrustedPublisher => f.Level >= EvidenceLevel.TrustedPublisher,
        Requirement.StagedPublish => f.Level >= EvidenceLevel.StagedPublish,
        // Only an approval (which lifts the whole rule) satisfies this one.
        _ => false,
    };

    internal static string RequirementName(Requirement r) => r switch
    {
        Requirement.Provenance => "provenance",
        Requirement.Signature => "signature",
        Requirement.TrustedPublisher => "trusted-publisher",
        Requirement.StagedPublish => "staged-publish",
        _ => "approval",
    };
}
