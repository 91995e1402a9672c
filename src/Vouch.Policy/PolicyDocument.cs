using Vouch.Npm;

namespace Vouch.Policy;

/// <summary>A parsed, validated policy (after <c>extends:</c> is resolved). Immutable.</summary>
public sealed class PolicyDocument
{
    internal const string DefaultSource = "built-in default";

    internal PolicyDocument(string source, IReadOnlyList<string> chain, PolicyRules rules, IReadOnlyList<PolicyException> allow, IReadOnlyList<PolicyException> deny)
    {
        Source = source;
        Chain = chain;
        Rules = rules;
        Allow = allow;
        Deny = deny;
    }

    /// <summary>
    /// The policy when no file is found: registry signatures and deprecation warn, a trust downgrade
    /// (evidence or source repository, on the version's own release line) is an error; nothing else
    /// is enforced. Documented in docs/policy.md.
    /// </summary>
    public static PolicyDocument Default { get; } = new(
        DefaultSource,
        [DefaultSource],
        new PolicyRules
        {
            Signature = new ScopedRule(PolicySeverity.Warn, ["*"], []),
            TrustDowngrade = new TrustDowngradeRule(new ScopedRule(PolicySeverity.Error, ["*"], []), CheckSourceRepository: true),
            Deprecated = new ScopedRule(PolicySeverity.Warn, ["*"], []),
        },
        [],
        []);

    /// <summary>The rules for publishing into the organisation's registry (the gate's publish path); <see cref="Publish.PublishPolicy.None"/> when no document has a publish: section.</summary>
    public Publish.PublishPolicy Publish { get; init; } = Vouch.Policy.Publish.PublishPolicy.None;

    /// <summary>The file path or URL it was loaded from, or <c>built-in default</c>.</summary>
    public string Source { get; }

    /// <summary>This document first, then every document it extends, in order.</summary>
    public IReadOnlyList<string> Chain { get; }

    internal PolicyRules Rules { get; }

    internal IReadOnlyList<PolicyException> Allow { get; }

    /// <summary>
    /// The SLSA mapping this policy configures (the <c>slsa</c> rule's hosted issuers, runner environments,
    /// isolated builders), or the documented default: what `verify`, `audit`, VSAs and the gate report as a
    /// version's level, so they all agree with the level the rule enforces.
    /// </summary>
    public Vouch.Provenance.Slsa.SlsaMappingOptions SlsaMapping => Rules.Slsa?.Mapping ?? Vouch.Provenance.Slsa.SlsaMappingOptions.Default;

    internal IReadOnlyList<PolicyException> Deny { get; }

    /// <summary>Every rule name and its severity (rules not configured are <c>off</c>).</summary>
    public IReadOnlyList<(string Rule, PolicySeverity Severity)> RuleSeverities =>
        PolicyRules.Names.Select(n => (n, Rules.Severity(n))).ToList();

    /// <summary>
    /// The supply-chain directory the <c>reviews</c> rule reads (absolute; resolved against the policy file
    /// that configures the rule), or null when the rule is not configured or is off. The composition root
    /// loads it and hands the evaluator an <see cref="Vouch.Reviews.IReviewEvidence"/>.
    /// </summary>
    public string? ReviewStore => Rules.Reviews is { Severity: not PolicySeverity.Off } r ? r.Store : null;

    /// <summary>The <c>reviews</c> rule's settings (criteria per pattern, accepted reviewers, trust), or null like <see cref="ReviewStore"/>.</summary>
    public Vouch.Reviews.ReviewRule? ReviewRule => Rules.Reviews is { Severity: not PolicySeverity.Off } r ? r.Rule : null;

    /// <summary>The allow/deny exceptions: kind, package pattern, versions, rules, reason, expiry.</summary>
    public IReadOnlyList<ExceptionInfo> Exceptions =>
        Allow.Select(a => a.Info("allow")).Concat(Deny.Select(d => d.Info("deny"))).ToList();
}

/// <summary>One allow/deny entry as <c>vouch policy check</c> lists it.</summary>
public sealed record ExceptionInfo(string Kind, string Package, string? Versions, IReadOnlyList<string> Rules, string Reason, DateTimeOffset Expires, string Location);

/// <summary>Which packages a rule covers and how hard it bites.</summary>
internal sealed record ScopedRule(PolicySeverity Severity, IReadOnlyList<string> Packages, IReadOnlyList<string> Exclude)
{
    public bool Covers(string name) =>
        Severity != PolicySeverity.Off
        && Packages.Any(p => Glob.MatchName(p, name))
        && !Exclude.Any(p => Glob.MatchName(p, name));
}

internal sealed record SourceConstraint(
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> Repositories,
    IReadOnlyList<string> Workflows,
    IReadOnlyList<string> Refs,
    IReadOnlyList<string> Builders,
    IReadOnlyList<string> Issuers,
    bool HostedRunnersOnly,
    string Location);

internal sealed record SourceRule(PolicySeverity Severity, IReadOnlyList<SourceConstraint> Allowed)
{
    public IReadOnlyList<SourceConstraint> For(string name) =>
        Severity == PolicySeverity.Off ? [] : Allowed.Where(c => c.Packages.Any(p => Glob.MatchName(p, name))).ToList();
}

internal sealed record TrustDowngradeRule(ScopedRule Scope, bool CheckSourceRepository);

internal enum Requirement
{
    Signature,
    Provenance,
    TrustedPublisher,
    StagedPublish,
    Approval,
}

internal sealed record RequirementRule(ScopedRule Scope, IReadOnlyList<Requirement> Require);

internal sealed record ReleaseAgeRule(ScopedRule Scope, TimeSpan Minimum, IReadOnlyList<string> Exempt);

internal sealed record InstallScriptsRule(ScopedRule Scope, IReadOnlyList<string> Allow);

/// <summary>Rule <c>advisories</c>: scope plus threshold, ignore entries and VEX statements (Vouch.Advisories).</summary>
internal sealed record AdvisoriesRule(ScopedRule Scope, Vouch.Advisories.AdvisoryRuleOptions Options);

/// <summary>Rule <c>slsa</c>: minimum SLSA Build levels per name pattern, under a (configurable) mapping.</summary>
internal sealed record SlsaRule(PolicySeverity Severity, IReadOnlyList<Vouch.Provenance.Slsa.SlsaMinimum> Minimums, Vouch.Provenance.Slsa.SlsaMappingOptions Mapping);

/// <summary>Rule <c>reviews</c>: criteria per name pattern, accepted reviewers and organisations, trust depth (Vouch.Reviews), and the supply-chain directory.</summary>
internal sealed record ReviewsRule(PolicySeverity Severity, Vouch.Reviews.ReviewRule Rule, string Store);

/// <summary>The configured rules; null = not configured (off).</summary>
internal sealed record PolicyRules
{
    public const string SignatureName = "signature";
    public const string ProvenanceName = "provenance";
    public const string SourceName = "source";
    public const string TrustDowngradeName = "trust-downgrade";
    public const string MajorBumpName = "major-bump";
    public const string NewDependencyName = "new-dependency";
    public const string ReleaseAgeName = "release-age";
    public const string InstallScriptsName = "install-scripts";
    public const string DeprecatedName = "deprecated";
    public const string SlsaName = "slsa";
    public const string AdvisoriesName = "advisories";
    public const string MalwareName = "malware";
    public const string ReviewsName = "reviews";

    /// <summary>Rule names in evaluation order. New rules (known malware, reviews) are appended.</summary>
    public static readonly IReadOnlyList<string> Names =
        [SignatureName, ProvenanceName, SourceName, TrustDowngradeName, MajorBumpName, NewDependencyName, ReleaseAgeName, InstallScriptsName, DeprecatedName, SlsaName, AdvisoriesName, MalwareName, ReviewsName];

    public ScopedRule? Signature { get; init; }

    public ScopedRule? Provenance { get; init; }

    public SourceRule? Source { get; init; }

    public TrustDowngradeRule? TrustDowngrade { get; init; }

    public RequirementRule? MajorBump { get; init; }

    public RequirementRule? NewDependency { get; init; }

    public ReleaseAgeRule? ReleaseAge { get; init; }

    public InstallScriptsRule? InstallScripts { get; init; }

    public ScopedRule? Deprecated { get; init; }

    public SlsaRule? Slsa { get; init; }

    public AdvisoriesRule? Advisories { get; init; }

    /// <summary>Named in the policy (always <c>error</c>); null still runs the rule whenever a database exists.</summary>
    public ScopedRule? Malware { get; init; }

    public ReviewsRule? Reviews { get; init; }

    public PolicySeverity Severity(string rule) => rule switch
    {
        SignatureName => Signature?.Severity,
        ProvenanceName => Provenance?.Severity,
        SourceName => Source?.Severity,
        TrustDowngradeName => TrustDowngrade?.Scope.Severity,
        MajorBumpName => MajorBump?.Scope.Severity,
        NewDependencyName => NewDependency?.Scope.Severity,
        ReleaseAgeName => ReleaseAge?.Scope.Severity,
        InstallScriptsName => InstallScripts?.Scope.Severity,
        DeprecatedName => Deprecated?.Severity,
        SlsaName => Slsa?.Severity,
        AdvisoriesName => Advisories?.Scope.Severity,
        MalwareName => PolicySeverity.Error,
        ReviewsName => Reviews?.Severity,
        _ => null,
    } ?? PolicySeverity.Off;

    /// <summary><paramref name="child"/>'s rules replace this document's rule by rule (extends:).</summary>
    /// <summary>Rules in <c>mode: report</c>: evaluated and shown, their errors downgraded to warnings marked <see cref="PolicyFinding.ReportOnly"/>.</summary>
    public IReadOnlySet<string> ReportOnly { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Whether this file configures the rule (an overlay then takes its settings and its mode from here).</summary>
    public bool Defines(string rule) => rule switch
    {
        SignatureName => Signature is not null,
        ProvenanceName => Provenance is not null,
        SourceName => Source is not null,
        TrustDowngradeName => TrustDowngrade is not null,
        MajorBumpName => MajorBump is not null,
        NewDependencyName => NewDependency is not null,
        ReleaseAgeName => ReleaseAge is not null,
        InstallScriptsName => InstallScripts is not null,
        DeprecatedName => Deprecated is not null,
        SlsaName => Slsa is not null,
        AdvisoriesName => Advisories is not null,
        MalwareName => Malware is not null,
        ReviewsName => Reviews is not null,
        _ => false,
    };

    public PolicyRules Overlay(PolicyRules child) => new()
    {
        // A rule's mode travels with its settings: the child's definition replaces the parent's, mode included.
        ReportOnly = child.ReportOnly.Concat(ReportOnly.Where(r => !child.Defines(r))).ToHashSet(StringComparer.Ordinal),
        Signature = child.Signature ?? Signature,
        Provenance = child.Provenance ?? Provenance,
        Source = child.Source ?? Source,
        TrustDowngrade = child.TrustDowngrade ?? TrustDowngrade,
        MajorBump = child.MajorBump ?? MajorBump,
        NewDependency = child.NewDependency ?? NewDependency,
        ReleaseAge = child.ReleaseAge ?? ReleaseAge,
        InstallScripts = child.InstallScripts ?? InstallScripts,
        Deprecated = child.Deprecated ?? Deprecated,
        Slsa = child.Slsa ?? Slsa,
        Advisories = child.Advisories ?? Advisories,
        Malware = child.Malware ?? Malware,
        Reviews = child.Reviews ?? Reviews,
    };
}

/// <summary>An allow or deny entry: which versions, which rules (empty = all), why, until when.</summary>
internal sealed record PolicyException(string Package, SemVerRange? Versions, IReadOnlyList<string> Rules, string Reason, DateTimeOffset Expires, string Location)
{
    /// <summary>The expiry as written (a date means through the end of that day, UTC).</summary>
    public string ExpiresText { get; init; } = Expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public bool Matches(string name, SemVersion? version) =>
        Glob.MatchName(Package, name) && (Versions is null || (version is not null && Versions.IsSatisfiedBy(version)));

    public bool CoversRule(string rule) => Rules.Count == 0 || Rules.Contains(rule, StringComparer.Ordinal);

    public ExceptionInfo Info(string kind) => new(kind, Package, Versions?.Raw, Rules, Reason, Expires, Location);
}
