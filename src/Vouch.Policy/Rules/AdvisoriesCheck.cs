using Vouch.Advisories;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Known vulnerabilities (`advisories`): OSV advisories at or above the threshold, minus unexpired ignores and VEX suppressions.</summary>
internal sealed class AdvisoriesCheck : IPolicyRule
{
    public string Name => PolicyRules.AdvisoriesName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now)
    {
        const string name = PolicyRules.AdvisoriesName;
        var rule = rules.Advisories;
        var requirement = $"no advisory at or above {rule?.Options.Threshold.ToString().ToLowerInvariant() ?? "the threshold"} severity, unless ignored (with a reason, until an expiry) or suppressed by VEX";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Scope.Severity;
        var lookup = AdvisoryLookup.Find(f, name, severity, requirement, explicitlyRequired: true);
        if (lookup.Outcome is { } early)
        {
            return early;
        }

        var findings = AdvisoryRules.Advisories(f.Name, f.Version!, lookup.Matches, rule.Options, lookup.Snapshot!, now);
        return AdvisoryLookup.ToOutcome(f, name, severity, requirement, lookup.Snapshot!, findings);
    }
}

/// <summary>Known malware (`malware`): a MAL record for the version is always an error (no ignore, VEX, allow or approval lifts it).</summary>
internal sealed class MalwareCheck : IPolicyRule
{
    public string Name => PolicyRules.MalwareName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now)
    {
        const string name = PolicyRules.MalwareName;
        const string requirement = "no malicious-package (MAL) record lists the version";

        // On in every policy: only a database that was never downloaded keeps it from running, and a
        // policy that names the rule is then told so (see AdvisoryLookup.Find).
        var lookup = AdvisoryLookup.Find(f, name, PolicySeverity.Error, requirement, explicitlyRequired: rules.Malware is not null);
        if (lookup.Outcome is { } early)
        {
            return early;
        }

        var findings = AdvisoryRules.Malware(f.Name, f.Version!, lookup.Matches, lookup.Snapshot!);
        return AdvisoryLookup.ToOutcome(f, name, PolicySeverity.Error, requirement, lookup.Snapshot!, findings);
    }
}

/// <summary>The shared half of the two advisory rules: ask the injected database, map its findings.</summary>
internal static class AdvisoryLookup
{
    internal sealed record Result(RuleOutcome? Outcome, IReadOnlyList<AdvisoryMatch> Matches, SnapshotInfo? Snapshot);

    internal static Result Find(PolicyFacts f, string rule, PolicySeverity severity, string requirement, bool explicitlyRequired)
    {
        if (f.Advisories is not { } db)
        {
            if (!explicitlyRequired)
            {
                return new(NotApplicable(rule, severity, "no advisory database (run 'vouch db update')", requirement), [], null);
            }

            // A policy that asks for the rule must never pass silently because the data is missing.
            const string evidence = "no advisory database (run 'vouch db update')";
            return new(new RuleOutcome
            {
                Rule = rule,
                Severity = PolicySeverity.Warn,
                Verdict = "fail",
                Evidence = evidence,
                Requirement = requirement,
                Findings = [new PolicyFinding(PolicyCodes.AdvisoryDatabaseMissing, rule, PolicySeverity.Warn,
                    $"{f.Id} was not checked against known {(rule == PolicyRules.MalwareName ? "malware" : "advisories")}: the policy requires it, but there is no advisory database",
                    evidence, "run 'vouch db update' (or import a snapshot with 'vouch db update --from FILE'), then run again")],
            }, [], null);
        }

        if (f.Version is null)
        {
            return new(NotApplicable(rule, severity, $"{f.VersionText} is not a semantic version; advisories name semantic versions", requirement), [], null);
        }

        try
        {
            return new(null, db.Lookup(f.Name, f.Version), db.Snapshot);
        }
        catch (AdvisoryException e)
        {
            return new(new RuleOutcome
            {
                Rule = rule,
                Severity = PolicySeverity.Error,
                Verdict = "fail",
                Evidence = $"advisory database: {e.Code}",
                Requirement = requirement,
                Findings = [new PolicyFinding(PolicyCodes.AdvisoryDatabaseMissing, rule, PolicySeverity.Error,
                    $"{f.Id} could not be checked: the advisory database failed ({e.Code}: {e.Message})", $"advisory database: {e.Code}",
                    "rebuild the database with 'vouch db update'")],
            }, [], null);
        }
    }

    internal static RuleOutcome ToOutcome(PolicyFacts f, string rule, PolicySeverity severity, string requirement, SnapshotInfo snapshot, IReadOnlyList<AdvisoryFinding> findings)
    {
        var notes = findings.Where(x => x.Level == FindingLevel.Note).Select(x => $"{x.Code}: {x.Reason}").ToList();
        var evidence = $"advisory snapshot {snapshot.Id} ({snapshot.RecordCount} records): "
            + (findings.Count == 0 ? $"no record lists {f.Id}" : string.Join("; ", findings.Select(x => $"{x.Advisory?.Id ?? x.Code} ({x.Code})")));
        var policyFindings = findings
            .Where(x => x.Level != FindingLevel.Note)
            .Select(x => new PolicyFinding(x.Code, rule, x.Level == FindingLevel.Error ? severity : PolicySeverity.Warn, x.Reason,
                $"{evidence}{(x.Advisory is { } a ? $"; {a.Id} severity {a.Severity.Label}, ids {string.Join(", ", a.Ids)}" : "")}", x.Fix)
            {
                AdvisoryIds = x.Advisory?.Ids ?? [],
                AdvisorySnapshot = snapshot.Digest,
            })
            .ToList();
        if (policyFindings.Count == 0)
        {
            return Pass(rule, severity, notes.Count == 0 ? evidence : $"{evidence}; {string.Join("; ", notes)}", requirement);
        }

        return Fail(rule, severity, evidence, requirement, [.. policyFindings]);
    }
}
