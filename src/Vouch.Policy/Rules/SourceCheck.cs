using Vouch.Provenance;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Source binding (`source`): provenance from an allowed repository, workflow, ref, builder and issuer.</summary>
internal sealed class SourceCheck : IPolicyRule
{
    public string Name => PolicyRules.SourceName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => Source(f, rules.Source);

    private static RuleOutcome Source(PolicyFacts f, SourceRule? rule)
    {
        const string name = PolicyRules.SourceName;
        var constraints = rule?.For(f.Name) ?? [];
        const string requirement = "provenance from an allowed repository, workflow, ref, builder and issuer";
        if (Skip(f, name, rule?.Severity, constraints.Count > 0, requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Severity;
        var allowed = string.Join("; or ", constraints.Select(Describe));
        if (!f.ProvenanceOk)
        {
            var ev = f.IsAdvertised ? "dist.attestations: none (packument)" : $"provenance: {f.ProvenanceStatus} (verified)";
            return Fail(name, severity, ev, allowed, new PolicyFinding(PolicyCodes.SourceUnverified, name, severity,
                $"{f.Id} has no verified provenance, so nothing shows it was built from an allowed source", ev,
                $"publish from an allowed source with provenance: {allowed}"));
        }

        if (f.IsAdvertised || f.Claims is null)
        {
            return Pass(name, severity, "dist.attestations advertised; the source is checked on the verified provenance before the tarball is served", allowed);
        }

        var claims = f.Claims;
        var evidence = $"built from {claims.SourceRepository} {claims.SourceRef} by {claims.WorkflowPath}, builder {claims.BuilderId}, issuer {f.Issuer}, runner {f.RunnerEnvironment ?? "unknown"} (verified provenance)";
        List<PolicyFinding>? best = null;
        foreach (var c in constraints)
        {
            var failures = SourceFailures(f, c, severity, evidence);
            if (failures.Count == 0)
            {
                return Pass(name, severity, $"{evidence}; allowed by {c.Location}", allowed);
            }

            if (best is null || failures.Count < best.Count)
            {
                best = failures;
            }
        }

        return Fail(name, severity, evidence, allowed, [.. best!]);
    }

    private static List<PolicyFinding> SourceFailures(PolicyFacts f, SourceConstraint c, PolicySeverity severity, string evidence)
    {
        var claims = f.Claims!;
        var failures = new List<PolicyFinding>();
        void Check(IReadOnlyList<string> patterns, string? value, string code, string what, bool ignoreCase = false)
        {
            if (patterns.Count > 0 && (value is null || !patterns.Any(p => Glob.MatchSource(p, value, ignoreCase))))
            {
                failures.Add(new PolicyFinding(code, PolicyRules.SourceName, severity,
                    $"{f.Id} was built from {what} {value ?? "(unknown)"}, which {c.Location} does not allow (allowed: {string.Join(", ", patterns)})",
                    evidence,
                    $"publish {f.Name} from an allowed {what}; if this build is not yours, the package may have been hijacked: do not install it"));
            }
        }

        Check(c.Repositories, SourceBinding.Normalize(claims.SourceRepository), PolicyCodes.SourceRepository, "repository", ignoreCase: true);
        Check(c.Workflows, claims.WorkflowPath, PolicyCodes.SourceWorkflow, "workflow");
        Check(c.Refs, claims.SourceRef, PolicyCodes.SourceRef, "ref");
        Check(c.Builders, claims.BuilderId, PolicyCodes.SourceBuilder, "builder");
        Check(c.Issuers, f.Issuer, PolicyCodes.SourceIssuer, "OIDC issuer");
        if (c.HostedRunnersOnly && !IsHosted(f.RunnerEnvironment))
        {
            failures.Add(new PolicyFinding(PolicyCodes.SourceRunner, PolicyRules.SourceName, severity,
                $"{f.Id} was built on a {f.RunnerEnvironment ?? "runner of unknown kind"}, and {c.Location} allows hosted runners only",
                evidence,
                "build the release on a hosted runner (a self-hosted runner is as trustworthy as the machine it runs on)"));
        }

        return failures;
    }

    private static bool IsHosted(string? runner) =>
        runner is not null && runner.EndsWith("-hosted", StringComparison.Ordinal) && runner != "self-hosted";

    private static string Describe(SourceConstraint c)
    {
        var parts = new List<string>();
        if (c.Repositories.Count > 0)
        {
            parts.Add($"repository {string.Join("|", c.Repositories)}");
        }

        if (c.Workflows.Count > 0)
        {
            parts.Add($"workflow {string.Join("|", c.Workflows)}");
        }

        if (c.Refs.Count > 0)
        {
            parts.Add($"ref {string.Join("|", c.Refs)}");
        }

        if (c.Builders.Count > 0)
        {
            parts.Add($"builder {string.Join("|", c.Builders)}");
        }

        if (c.Issuers.Count > 0)
        {
            parts.Add($"issuer {string.Join("|", c.Issuers)}");
        }

        if (c.HostedRunnersOnly)
        {
            parts.Add("hosted runner");
        }

        return string.Join(", ", parts);
    }
}
