using System.Globalization;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Policy;

/// <summary>
/// Applies a <see cref="PolicyDocument"/> to one package version. Rules decide on typed evidence;
/// allow entries and approvals then lift what they cover (an expired one stops lifting and says
/// so), and deny entries refuse whatever the rules say.
/// </summary>
public sealed class PolicyEvaluator
{
    private readonly PolicyDocument _policy;
    private readonly TimeProvider _time;

    public PolicyEvaluator(PolicyDocument policy, TimeProvider time)
    {
        _policy = policy;
        _time = time;
    }

    public PolicyDocument Policy => _policy;

    /// <summary>The full decision on verified evidence.</summary>
    public PolicyVerdict Evaluate(PolicySubject subject) => Verdict(Explain(subject));

    /// <summary>
    /// Cheap decision from the packument alone (no tarball, no attestation fetch). Rules needing
    /// verified evidence pass when the packument ADVERTISES it (the full <see cref="Evaluate"/>
    /// runs before a tarball is served); rules the packument settles decide here.
    /// </summary>
    public PolicyVerdict Prefilter(Packument packument, PackageVersion version, IReadOnlyList<Approval> approvals) =>
        Verdict(Outcomes(Facts.Advertised(packument, version, approvals)));

    /// <summary>Every rule's outcome with its evidence (<c>vouch policy explain</c>).</summary>
    public IReadOnlyList<RuleOutcome> Explain(PolicySubject subject) => Outcomes(Facts.Verified(subject));

    private static PolicyVerdict Verdict(IReadOnlyList<RuleOutcome> outcomes) => PolicyVerdict.FromOutcomes(outcomes);

    private List<RuleOutcome> Outcomes(Facts f)
    {
        var now = _time.GetUtcNow();
        var results = new List<RuleOutcome>();
        if (f.Entry is null)
        {
            results.Add(new RuleOutcome
            {
                Rule = "policy",
                Severity = PolicySeverity.Error,
                Verdict = "fail",
                Evidence = $"{f.Id} is not in the packument",
                Requirement = "a version the registry lists",
                Findings = [new PolicyFinding(PolicyCodes.VersionUnknown, "policy", PolicySeverity.Error, $"{f.Id} is not in the packument, so no rule can be decided", "packument versions", "check the version; an unknown version is never allowed")],
            });
            return results;
        }

        results.Add(Deny(f, now));
        var rules = _policy.Rules;
        results.Add(Lift(f, now, Signature(f, rules.Signature)));
        results.Add(Lift(f, now, Provenance(f, rules.Provenance)));
        results.Add(Lift(f, now, Source(f, rules.Source)));
        results.Add(Lift(f, now, TrustDowngrade(f, rules.TrustDowngrade)));
        results.Add(Lift(f, now, MajorBump(f, rules.MajorBump)));
        results.Add(Lift(f, now, NewDependency(f, rules.NewDependency)));
        results.Add(Lift(f, now, ReleaseAge(f, rules.ReleaseAge, now)));
        results.Add(Lift(f, now, InstallScripts(f, rules.InstallScripts)));
        results.Add(Lift(f, now, Deprecated(f, rules.Deprecated)));
        return results;
    }

    // ---- exceptions ----------------------------------------------------------------------------

    private RuleOutcome Deny(Facts f, DateTimeOffset now)
    {
        var findings = new List<PolicyFinding>();
        foreach (var d in _policy.Deny.Where(d => d.Matches(f.Name, f.Version)))
        {
            findings.Add(new PolicyFinding(PolicyCodes.Denied, "deny", PolicySeverity.Error,
                $"{f.Id} is denied: {d.Reason}",
                $"deny entry at {d.Location}: package {d.Package}{(d.Versions is null ? "" : $", versions {d.Versions.Raw}")}",
                "use another version or package; the deny entry must be removed from the policy to allow it"));
            if (d.Expires <= now)
            {
                // A deny that lapses silently would re-admit a known-bad version: keep denying, ask for a review.
                findings.Add(new PolicyFinding(PolicyCodes.ExceptionExpired, "deny", PolicySeverity.Warn,
                    $"the deny entry at {d.Location} expired on {d.ExpiresText}; it still denies {f.Id}",
                    $"expires {d.ExpiresText}, now {Day(now)}",
                    "review the entry: renew its expiry, or remove it if the package is safe again"));
            }
        }

        return new RuleOutcome
        {
            Rule = "deny",
            Severity = findings.Count > 0 ? PolicySeverity.Error : PolicySeverity.Off,
            Verdict = findings.Count > 0 ? "fail" : "pass",
            Evidence = findings.Count > 0 ? findings[0].Evidence : $"no deny entry matches {f.Id}",
            Requirement = "no deny entry matches the version",
            Findings = findings,
        };
    }

    /// <summary>Allow entries (policy) and approvals (the gate's) lift a failed rule; expired ones do not, and say so.</summary>
    private RuleOutcome Lift(Facts f, DateTimeOffset now, RuleOutcome outcome)
    {
        if (outcome.Verdict != "fail")
        {
            return outcome;
        }

        var expired = new List<PolicyFinding>();
        foreach (var a in _policy.Allow.Where(a => a.Matches(f.Name, f.Version) && a.CoversRule(outcome.Rule)))
        {
            if (a.Expires > now)
            {
                return outcome with
                {
                    Verdict = "exempt",
                    Evidence = $"{outcome.Evidence}; exempted by the allow entry at {a.Location} ({a.Reason}), until {a.ExpiresText}",
                    Findings = [],
                };
            }

            expired.Add(new PolicyFinding(PolicyCodes.ExceptionExpired, outcome.Rule, PolicySeverity.Warn,
                $"the allow entry at {a.Location} ({a.Reason}) expired on {a.ExpiresText}; it no longer exempts {f.Id} from {outcome.Rule}",
                $"expires {a.ExpiresText}, now {Day(now)}",
                "satisfy the rule, or renew the entry with a new expiry after a fresh review"));
        }

        foreach (var a in f.Approvals.Where(a => a.Name == f.Name && a.Version == f.VersionText && (a.Rule == outcome.Rule || a.Rule == "*")))
        {
            if (a.Expires is null || a.Expires > now)
            {
                return outcome with
                {
                    Verdict = "exempt",
                    Evidence = $"{outcome.Evidence}; approved by {a.GrantedBy} ({a.Reason}){(a.Expires is { } e ? $", until {Day(e)}" : "")}",
                    Findings = [],
                };
            }

            expired.Add(new PolicyFinding(PolicyCodes.ApprovalExpired, outcome.Rule, PolicySeverity.Warn,
                $"the approval of {f.Id} for {outcome.Rule} by {a.GrantedBy} expired on {Day(a.Expires.Value)}",
                $"expires {Day(a.Expires.Value)}, now {Day(now)}",
                "ask for a new approval, or satisfy the rule"));
        }

        return expired.Count == 0 ? outcome : outcome with { Findings = [.. outcome.Findings, .. expired] };
    }

    // ---- rules ---------------------------------------------------------------------------------

    private static RuleOutcome Signature(Facts f, ScopedRule? rule)
    {
        const string name = PolicyRules.SignatureName;
        const string requirement = "a registry signature (dist.signatures) that verifies with the registry's key";
        if (Skip(f, name, rule?.Severity, rule?.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var evidence = f.IsAdvertised
            ? $"dist.signatures: {(f.SignatureOk ? $"{f.Entry!.Dist.Signatures.Count} advertised (verified before the tarball is served)" : "none")} (packument)"
            : $"registry signature: {f.SignatureStatus}{(f.SignatureKey is { } k ? $" (key {k})" : "")} (verified)";
        return f.SignatureOk
            ? Pass(name, rule!.Severity, evidence, requirement)
            : Fail(name, rule!.Severity, evidence, requirement, new PolicyFinding(PolicyCodes.SignatureRequired, name, rule.Severity,
                $"{f.Id} has no valid registry signature", evidence,
                "install from a registry that signs versions and serves its keys (/-/npm/v1/keys), or add an allow entry for rules: [signature] with a reason and expiry"));
    }

    private static RuleOutcome Provenance(Facts f, ScopedRule? rule)
    {
        const string name = PolicyRules.ProvenanceName;
        const string requirement = "verified SLSA provenance (Sigstore-signed, logged, bound to this tarball)";
        if (Skip(f, name, rule?.Severity, rule?.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var evidence = f.IsAdvertised
            ? $"dist.attestations: {(f.ProvenanceOk ? "advertised (verified before the tarball is served)" : "none")} (packument)"
            : $"provenance: {f.ProvenanceStatus}{(f.Claims is { } c ? $" ({c.SourceRepository} {c.SourceRef}, {c.WorkflowPath})" : "")} (verified)";
        return f.ProvenanceOk
            ? Pass(name, rule!.Severity, evidence, requirement)
            : Fail(name, rule!.Severity, evidence, requirement, new PolicyFinding(PolicyCodes.ProvenanceRequired, name, rule.Severity,
                $"{f.Id} has no verified provenance, and the policy requires it for {string.Join(", ", rule.Packages)}", evidence,
                $"publish {f.Name} from CI with provenance (trusted publishing, or npm publish --provenance); if this version was not published by its maintainers, do not install it"));
    }

    private static RuleOutcome Source(Facts f, SourceRule? rule)
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

    private static List<PolicyFinding> SourceFailures(Facts f, SourceConstraint c, PolicySeverity severity, string evidence)
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

    private static RuleOutcome TrustDowngrade(Facts f, TrustDowngradeRule? rule)
    {
        const string name = PolicyRules.TrustDowngradeName;
        const string requirement = "evidence at least as strong as (and the same source repository as) the lower, earlier versions of its release line";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Scope.Severity;
        var version = f.Entry!.Version;
        var line = ReleaseLine.Of(version);
        var history = ReleaseLine.Predecessors(f.Packument, version);
        if (history.Count == 0)
        {
            return Pass(name, severity, $"no lower version of line {line} was published before {f.Id}", requirement);
        }

        // The strongest earlier evidence, and the latest version that showed it.
        var baseline = history.Select(v => (Version: v, Level: AdvertisedLevel(v))).OrderBy(x => x.Level).ThenBy(x => x.Version.Version).Last();
        var candidateWhere = f.IsAdvertised ? "advertised by the packument" : "verified";
        var evidence = $"{f.Id}: {EvidenceLevels.Name(f.Level)} ({candidateWhere}); strongest of {history.Count} lower, earlier version(s) on line {line}: {f.Name}@{baseline.Version.Version} with {EvidenceLevels.Name(baseline.Level)} (advertised by the packument: dist.attestations, _npmUser.trustedPublisher, _npmUser.approver)";
        var findings = new List<PolicyFinding>();
        if (f.Level < baseline.Level)
        {
            findings.Add(new PolicyFinding(PolicyCodes.TrustDowngrade, name, severity,
                $"{f.Id} carries weaker evidence ({EvidenceLevels.Name(f.Level)}) than {f.Name}@{baseline.Version.Version} ({EvidenceLevels.Name(baseline.Level)}) before it on release line {line}",
                evidence,
                $"stay on {f.Name}@{baseline.Version.Version} (pin it); a genuine release should be republished through the same pipeline (trusted publishing / provenance); once reviewed, an approval or an allow entry for rules: [trust-downgrade] lifts this"));
        }

        if (rule.CheckSourceRepository)
        {
            var withSource = history.Where(v => v.Dist.Attestations is not null && SourceBinding.Normalize(v.Repository?.Url) is not null).ToList();
            var candidateRepo = f.IsAdvertised
                ? (f.Entry.Dist.Attestations is not null ? SourceBinding.Normalize(f.Entry.Repository?.Url) : null)
                : SourceBinding.Normalize(f.Claims?.SourceRepository);
            if (withSource.Count > 0 && candidateRepo is not null)
            {
                var previous = withSource[^1];
                var previousRepo = SourceBinding.Normalize(previous.Repository!.Url)!;
                if (previousRepo != candidateRepo)
                {
                    var ev = $"{f.Id} built from {candidateRepo} ({(f.IsAdvertised ? "package.json, bound by the registry to its provenance" : "verified provenance")}); {f.Name}@{previous.Version} came from {previousRepo} (package.json of a version with provenance, packument)";
                    findings.Add(new PolicyFinding(PolicyCodes.TrustDowngradeSource, name, severity,
                        $"{f.Id} was built from another repository ({candidateRepo}) than {f.Name}@{previous.Version} ({previousRepo}) before it on release line {line}",
                        ev,
                        "if the project moved, confirm the move with its maintainers, then add an allow entry for rules: [trust-downgrade] (or pin the new repository with a source rule); otherwise do not install it"));
                    evidence = $"{evidence}; {ev}";
                }
            }
        }

        return findings.Count == 0 ? Pass(name, severity, evidence, requirement) : Fail(name, severity, evidence, requirement, [.. findings]);
    }

    internal static EvidenceLevel AdvertisedLevel(PackageVersion v) =>
        EvidenceLevels.Rank(v.Dist.Attestations is not null, v.NpmUser?.TrustedPublisher is not null, v.NpmUser?.Approver is not null);

    private static RuleOutcome MajorBump(Facts f, RequirementRule? rule)
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

    private static RuleOutcome NewDependency(Facts f, RequirementRule? rule)
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

    private static RuleOutcome Requirements(Facts f, string name, RequirementRule rule, string code, string context, string requirement)
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

    private static bool Meets(Facts f, Requirement r) => r switch
    {
        Requirement.Provenance => f.ProvenanceOk,
        Requirement.Signature => f.SignatureOk,
        Requirement.TrustedPublisher => f.Level >= EvidenceLevel.TrustedPublisher,
        Requirement.StagedPublish => f.Level >= EvidenceLevel.StagedPublish,
        // Only an approval (which lifts the whole rule) satisfies this one.
        _ => false,
    };

    private static string RequirementName(Requirement r) => r switch
    {
        Requirement.Provenance => "provenance",
        Requirement.Signature => "signature",
        Requirement.TrustedPublisher => "trusted-publisher",
        Requirement.StagedPublish => "staged-publish",
        _ => "approval",
    };

    private static RuleOutcome ReleaseAge(Facts f, ReleaseAgeRule? rule, DateTimeOffset now)
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

    private static RuleOutcome InstallScripts(Facts f, InstallScriptsRule? rule)
    {
        const string name = PolicyRules.InstallScriptsName;
        const string requirement = "no preinstall/install/postinstall script or implicit node-gyp build, unless the package is allowlisted";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Scope.Severity;
        var scripts = InstallScriptsOf(f.Entry!);
        if (scripts.Count == 0)
        {
            return Pass(name, severity, "no install scripts (package.json scripts, gypfile, hasInstallScript in the packument)", requirement);
        }

        var evidence = $"install scripts (packument): {string.Join("; ", scripts)}";
        if (rule.Allow.FirstOrDefault(p => Glob.MatchName(p, f.Name)) is { } allowedBy)
        {
            return Pass(name, severity, $"{evidence}; allowlisted by {allowedBy}", requirement);
        }

        return Fail(name, severity, evidence, requirement, new PolicyFinding(PolicyCodes.InstallScripts, name, severity,
            $"{f.Id} runs code at install time and is not on the install-scripts allow list",
            evidence,
            $"review the scripts, then add {f.Name} to install-scripts allow:; or install with --ignore-scripts; or avoid the package"));
    }

    /// <summary>What npm would run at install time: lifecycle scripts, or node-gyp for a binding.gyp without an install script.</summary>
    internal static List<string> InstallScriptsOf(PackageVersion v)
    {
        var result = new List<string>();
        foreach (var key in new[] { "preinstall", "install", "postinstall" })
        {
            if (v.Scripts.TryGetValue(key, out var script))
            {
                result.Add($"{key}: {script}");
            }
        }

        if (v.Gypfile == true && !v.Scripts.ContainsKey("install") && !v.Scripts.ContainsKey("preinstall"))
        {
            result.Add("install: node-gyp rebuild (implicit: binding.gyp)");
        }

        if (result.Count == 0 && v.HasInstallScript == true)
        {
            result.Add("hasInstallScript: true");
        }

        return result;
    }

    private static RuleOutcome Deprecated(Facts f, ScopedRule? rule)
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

    // ---- helpers -------------------------------------------------------------------------------

    private static RuleOutcome? Skip(Facts f, string rule, PolicySeverity? severity, bool? covers, string requirement)
    {
        if (severity is null or PolicySeverity.Off)
        {
            return new RuleOutcome { Rule = rule, Severity = PolicySeverity.Off, Verdict = "off", Evidence = "the rule is off", Requirement = requirement };
        }

        return covers == true ? null : NotApplicable(rule, severity.Value, $"{f.Name} matches none of the rule's package patterns", requirement);
    }

    private static RuleOutcome NotApplicable(string rule, PolicySeverity severity, string evidence, string requirement) =>
        new() { Rule = rule, Severity = severity, Verdict = "not-applicable", Evidence = evidence, Requirement = requirement };

    private static RuleOutcome Pass(string rule, PolicySeverity severity, string evidence, string requirement) =>
        new() { Rule = rule, Severity = severity, Verdict = "pass", Evidence = evidence, Requirement = requirement };

    private static RuleOutcome Fail(string rule, PolicySeverity severity, string evidence, string requirement, params PolicyFinding[] findings) =>
        new() { Rule = rule, Severity = severity, Verdict = "fail", Evidence = evidence, Requirement = requirement, Findings = findings };

    private static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan t)
    {
        if (t < TimeSpan.Zero)
        {
            return $"-{Span(-t)}";
        }

        return t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t.Hours}h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes}m" : $"{(int)t.TotalMinutes}m";
    }

    /// <summary>The evidence rules decide on, from a verified report or from the packument alone.</summary>
    private sealed record Facts
    {
        public required string Name { get; init; }

        public required string VersionText { get; init; }

        public SemVersion? Version => Entry?.Version ?? SemVersion.ParseOrNull(VersionText);

        public required PackageVersion? Entry { get; init; }

        public required Packument Packument { get; init; }

        public required bool IsAdvertised { get; init; }

        public required EvidenceLevel Level { get; init; }

        public required bool SignatureOk { get; init; }

        public string SignatureStatus { get; init; } = "absent";

        public string? SignatureKey { get; init; }

        public required bool ProvenanceOk { get; init; }

        public string ProvenanceStatus { get; init; } = "absent";

        public ProvenanceClaims? Claims { get; init; }

        public string? Issuer { get; init; }

        public string? RunnerEnvironment { get; init; }

        public DateTimeOffset? PublishTime { get; init; }

        public string? PublishTimeSource { get; init; }

        public string? BaseVersion { get; init; }

        public bool IsNewDependency { get; init; }

        public IReadOnlyList<Approval> Approvals { get; init; } = [];

        public string Id => $"{Name}@{VersionText}";

        public static Facts Verified(PolicySubject s)
        {
            var r = s.Report;
            s.Packument.Versions.TryGetValue(r.Version, out var entry);
            var provenanceOk = r.Provenance.Status == EvidenceStatus.Verified;
            return new Facts
            {
                Name = r.Name,
                VersionText = r.Version,
                Entry = entry,
                Packument = s.Packument,
                IsAdvertised = false,
                Level = r.EvidenceLevel,
                SignatureOk = r.Signature.Status == "verified",
                SignatureStatus = r.Signature.Status,
                SignatureKey = r.Signature.KeyId,
                ProvenanceOk = provenanceOk,
                ProvenanceStatus = PackageVerifier.Status(r.Provenance.Status),
                Claims = provenanceOk ? r.Provenance.Claims : null,
                Issuer = r.Provenance.Issuer,
                RunnerEnvironment = r.Provenance.RunnerEnvironment,
                PublishTime = r.PublishTime,
                PublishTimeSource = r.PublishTimeSource,
                BaseVersion = s.BaseVersion,
                IsNewDependency = s.IsNewDependency,
                Approvals = s.Approvals,
            };
        }

        public static Facts Advertised(Packument p, PackageVersion v, IReadOnlyList<Approval> approvals)
        {
            var time = p.Time.TryGetValue(v.Version.Version, out var t) ? t : (DateTimeOffset?)null;
            return new Facts
            {
                Name = v.Name,
                VersionText = v.Version.Version,
                Entry = v,
                Packument = p,
                IsAdvertised = true,
                Level = AdvertisedLevel(v),
                SignatureOk = v.Dist.Signatures.Count > 0,
                ProvenanceOk = v.Dist.Attestations is not null,
                PublishTime = time,
                PublishTimeSource = time is null ? null : "packument",
                Approvals = approvals,
            };
        }
    }
}
