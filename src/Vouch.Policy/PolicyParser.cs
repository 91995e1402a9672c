using System.Globalization;
using System.Text.RegularExpressions;
using Vouch.Npm;
using Vouch.Common.Yaml;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Vouch.Policy;

/// <summary>One policy file as written (before extends: is resolved).</summary>
internal sealed record PolicyFile(string Source, string? Extends, Mark ExtendsAt, PolicyRules Rules, IReadOnlyList<PolicyException> Allow, IReadOnlyList<PolicyException> Deny)
{
    /// <summary>The publish: section, or null when the file has none (then the extended policy's applies).</summary>
    public Publish.PublishPolicy? Publish { get; init; }
}

/// <summary>
/// Reads one <c>vouch.policy.yml</c>: YAML structure first, then every field against what it must
/// be. The first problem is reported with its line and column and what was expected; unknown keys
/// are errors (a typo must never silently turn a rule off).
/// </summary>
internal static partial class PolicyParser
{
    public const int SupportedVersion = 1;
    private const int MaxEntries = 10_000;

    public static PolicyFile Parse(string yaml, string source)
    {
        if (yaml.Length > Limits.MaxConfigFileBytes)
        {
            throw new PolicyFormatException(source, 0, 0, $"the policy is larger than {Limits.MaxConfigFileBytes} bytes");
        }

        var root = LoadRoot(yaml, source);
        var p = new Reader(source);
        var top = p.Mapping(root, "the policy (a mapping with version: 1 and rules:)");
        p.OnlyKeys(top, "version", "extends", "rules", "allow", "deny", "publish");

        var versionNode = p.Required(top, "version", "version: 1");
        if (p.Scalar(versionNode, "version: 1") != SupportedVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw p.Error(versionNode, $"version: {SupportedVersion} (the only policy format this Vouch understands)");
        }

        string? extends = null;
        var extendsAt = Mark.Empty;
        if (p.Optional(top, "extends") is { } ext)
        {
            extends = p.Scalar(ext, "a policy file path (relative to this file) or an https URL pinned with #sha256=<hex>");
            extendsAt = ext.Start;
            if (extends.Length == 0)
            {
                throw p.Error(ext, "a policy file path or a pinned URL, not an empty string");
            }
        }

        var rules = new PolicyRules();
        if (p.Optional(top, "rules") is { } rulesNode)
        {
            rules = ParseRules(p, p.Mapping(rulesNode, "a mapping of rule name to its settings"), source);
        }

        var allow = p.Optional(top, "allow") is { } allowNode ? ParseExceptions(p, allowNode, "allow") : [];
        var deny = p.Optional(top, "deny") is { } denyNode ? ParseExceptions(p, denyNode, "deny") : [];
        var publish = p.Optional(top, "publish") is { } publishNode ? ParsePublish(p, publishNode) : null;
        return new PolicyFile(source, extends, extendsAt, rules, allow, deny) { Publish = publish };
    }

    private static YamlNode LoadRoot(string yaml, string source)
    {
        // Aliases would let a small file expand into a huge tree (and are never needed here).
        var loaded = YamlLoader.Load(yaml, Limits.PolicyYaml);
        if (loaded.Error is { } e)
        {
            throw new PolicyFormatException(source, e.Line, e.Column, e.Problem switch
            {
                YamlProblem.TooManyAliases => "plain values (YAML aliases such as *name are not allowed in a policy)",
                YamlProblem.TooDeep => $"a shallower document (nesting deeper than {Limits.PolicyYaml.MaxDepth} levels)",
                YamlProblem.SeveralDocuments => "one YAML document (found a second one)",
                YamlProblem.Empty => "a policy document (the file is empty)",
                _ => $"valid YAML ({e.Reason})",
            });
        }

        return loaded.Root!;
    }

    private static PolicyRules ParseRules(Reader p, YamlMappingNode rules, string source)
    {
        var result = new PolicyRules();
        var reportOnly = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in rules.Children)
        {
            var name = p.Scalar(keyNode, "a rule name");
            if (Mode(p, value, name))
            {
                reportOnly.Add(name);
            }

            result = name switch
            {
                PolicyRules.SignatureName => result with { Signature = Scoped(p, value, name) },
                PolicyRules.ProvenanceName => result with { Provenance = Scoped(p, value, name) },
                PolicyRules.SourceName => result with { Source = Source(p, value) },
                PolicyRules.TrustDowngradeName => result with { TrustDowngrade = TrustDowngrade(p, value) },
                PolicyRules.MajorBumpName => result with { MajorBump = Requirements(p, value, name) },
                PolicyRules.NewDependencyName => result with { NewDependency = Requirements(p, value, name) },
                PolicyRules.ReleaseAgeName => result with { ReleaseAge = ReleaseAge(p, value) },
                PolicyRules.InstallScriptsName => result with { InstallScripts = InstallScripts(p, value) },
                PolicyRules.DeprecatedName => result with { Deprecated = Scoped(p, value, name) },
                PolicyRules.SlsaName => result with { Slsa = Slsa(p, value) },
                PolicyRules.AdvisoriesName => result with { Advisories = Advisories(p, value, source) },
                PolicyRules.MalwareName => result with { Malware = Malware(p, value) },
                PolicyRules.ReviewsName => result with { Reviews = Reviews(p, value, source) },
                _ => throw p.Error(keyNode, $"a rule name, one of {string.Join(", ", PolicyRules.Names)} (not '{name}')"),
            };
        }

        return result with { ReportOnly = reportOnly };
    }

    /// <summary>
    /// <c>mode: enforce</c> (the default) or <c>mode: report</c> in a rule's mapping: true for report.
    /// Taken out of the mapping here, so each rule's own parser still refuses every key it does not know.
    /// </summary>
    private static bool Mode(Reader p, YamlNode value, string rule)
    {
        if (value is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode("mode"), out var modeNode))
        {
            return false;
        }

        var report = p.Scalar(modeNode, "mode: enforce or report") switch
        {
            "enforce" => false,
            "report" => true,
            _ => throw p.Error(modeNode, $"mode: enforce or report for {rule}"),
        };
        if (rule == PolicyRules.MalwareName && report)
        {
            // Known malware is never lifted by an allow entry or an approval; a dry run would lift it for everyone.
            throw p.Error(modeNode, "mode: enforce for malware (known malware is never only reported)");
        }

        map.Children.Remove(new YamlScalarNode("mode"));
        return report;
    }

    /// <summary><c>rule: error</c> (every package) or <c>{severity, packages, exclude}</c> plus the rule's own keys.</summary>
    private static ScopedRule Scoped(Reader p, YamlNode node, string rule, params string[] extraKeys)
    {
        if (node is YamlScalarNode)
        {
            return new ScopedRule(Severity(p, node), ["*"], []);
        }

        var map = p.Mapping(node, $"the severity of {rule} (error, warn, off) or a mapping with severity: and packages:");
        p.OnlyKeys(map, ["severity", "packages", "exclude", .. extraKeys]);
        var severity = Severity(p, p.Required(map, "severity", "severity: error, warn or off"));
        var packages = p.Optional(map, "packages") is { } pk ? Patterns(p, pk, "packages", isName: true) : ["*"];
        var exclude = p.Optional(map, "exclude") is { } ex ? Patterns(p, ex, "exclude", isName: true) : [];
        return new ScopedRule(severity, packages, exclude);
    }

    private static PolicySeverity Severity(Reader p, YamlNode node) => p.Scalar(node, "error, warn or off") switch
    {
        "error" => PolicySeverity.Error,
        "warn" => PolicySeverity.Warn,
        "off" => PolicySeverity.Off,
        var other => throw p.Error(node, $"error, warn or off (not '{other}')"),
    };

    private static SourceRule Source(Reader p, YamlNode node)
    {
        var map = p.Mapping(node, "a mapping with severity: and allowed: (a list of allowed sources per package pattern)");
        p.OnlyKeys(map, "severity", "allowed");
        var severity = Severity(p, p.Required(map, "severity", "severity: error, warn or off"));
        var allowedNode = p.Required(map, "allowed", "allowed: a list of {packages, repositories, workflows, refs, builders, issuers, hosted-runners-only}");
        var list = p.Sequence(allowedNode, "a list of allowed sources");
        var constraints = new List<SourceConstraint>();
        foreach (var item in list.Children)
        {
            var entry = p.Mapping(item, "an allowed source: {packages, repositories, workflows, refs, builders, issuers, hosted-runners-only}");
            p.OnlyKeys(entry, "packages", "repositories", "workflows", "refs", "builders", "issuers", "hosted-runners-only");
            var packages = Patterns(p, p.Required(entry, "packages", "packages: the package-name globs this entry covers"), "packages", isName: true);
            var repos = p.Optional(entry, "repositories") is { } r ? Patterns(p, r, "repositories", isName: false).Select(NormalizeRepositoryPattern).ToList() : [];
            var workflows = p.Optional(entry, "workflows") is { } w ? Patterns(p, w, "workflows", isName: false) : [];
            var refs = p.Optional(entry, "refs") is { } rf ? Patterns(p, rf, "refs", isName: false) : [];
            var builders = p.Optional(entry, "builders") is { } b ? Patterns(p, b, "builders", isName: false) : [];
            var issuers = p.Optional(entry, "issuers") is { } i ? Patterns(p, i, "issuers", isName: false) : [];
            var hosted = p.Optional(entry, "hosted-runners-only") is { } h && p.Bool(h, "hosted-runners-only: true or false");
            if (repos.Count + workflows.Count + refs.Count + builders.Count + issuers.Count == 0 && !hosted)
            {
                throw p.Error(item, "at least one of repositories, workflows, refs, builders, issuers, hosted-runners-only (an entry that constrains nothing allows everything)");
            }

            constraints.Add(new SourceConstraint(packages, repos, workflows, refs, builders, issuers, hosted, p.Where(item)));
        }

        return new SourceRule(severity, constraints);
    }

    private static TrustDowngradeRule TrustDowngrade(Reader p, YamlNode node)
    {
        var scope = Scoped(p, node, PolicyRules.TrustDowngradeName, "source-repository");
        var checkSource = true;
        if (node is YamlMappingNode map && p.Optional(map, "source-repository") is { } s)
        {
            checkSource = p.Bool(s, "source-repository: true or false");
        }

        return new TrustDowngradeRule(scope, checkSource);
    }

    private static RequirementRule Requirements(Reader p, YamlNode node, string rule)
    {
        var scope = Scoped(p, node, rule, "require");
        if (node is not YamlMappingNode map)
        {
            return new RequirementRule(scope, [Requirement.Provenance]);
        }

        var requireNode = p.Required(map, "require", "require: a list of provenance, trusted-publisher, staged-publish, signature, approval");
        var list = p.Sequence(requireNode, "a list of provenance, trusted-publisher, staged-publish, signature, approval");
        var require = new List<Requirement>();
        foreach (var item in list.Children)
        {
            require.Add(p.Scalar(item, "a requirement") switch
            {
                "provenance" => Requirement.Provenance,
                "trusted-publisher" => Requirement.TrustedPublisher,
                "staged-publish" => Requirement.StagedPublish,
                "signature" => Requirement.Signature,
                "approval" => Requirement.Approval,
                var other => throw p.Error(item, $"provenance, trusted-publisher, staged-publish, signature or approval (not '{other}')"),
            });
        }

        if (require.Count == 0)
        {
            throw p.Error(requireNode, "at least one requirement");
        }

        return new RequirementRule(scope, require.Distinct().ToList());
    }

    private static ReleaseAgeRule ReleaseAge(Reader p, YamlNode node)
    {
        var map = p.Mapping(node, "a mapping with severity: and minimum: (e.g. 3d)");
        var scope = Scoped(p, node, PolicyRules.ReleaseAgeName, "minimum", "exempt");
        var minNode = p.Required(map, "minimum", "minimum: a duration such as 3d, 36h or 90m");
        var minimum = Duration(p, minNode);
        var exempt = p.Optional(map, "exempt") is { } ex ? Patterns(p, ex, "exempt", isName: true) : [];
        return new ReleaseAgeRule(scope, minimum, exempt);
    }

    private static InstallScriptsRule InstallScripts(Reader p, YamlNode node)
    {
        var scope = Scoped(p, node, PolicyRules.InstallScriptsName, "allow");
        var allow = node is YamlMappingNode map && p.Optional(map, "allow") is { } a ? Patterns(p, a, "allow", isName: true) : [];
        return new InstallScriptsRule(scope, allow);
    }

    private static ScopedRule Malware(Reader p, YamlNode node)
    {
        // Malware is never waived locally (a wrong MAL record is withdrawn upstream): the only setting is error.
        if (p.Scalar(node, "malware: error (the only setting; known malware is always an error)") != "error")
        {
            throw p.Error(node, "malware: error (the only setting; known malware is always an error)");
        }

        return new ScopedRule(PolicySeverity.Error, ["*"], []);
    }

    private static AdvisoriesRule Advisories(Reader p, YamlNode node, string source)
    {
        var scope = Scoped(p, node, PolicyRules.AdvisoriesName, "threshold", "unknown-severity", "ignore", "vex");
        var options = new Vouch.Advisories.AdvisoryRuleOptions();
        if (node is not YamlMappingNode map)
        {
            return new AdvisoriesRule(scope, options);
        }

        if (p.Optional(map, "threshold") is { } t)
        {
            options = options with { Threshold = Level(p, t) };
        }

        if (p.Optional(map, "unknown-severity") is { } u)
        {
            options = options with { UnknownSeverityAs = Level(p, u) };
        }

        if (p.Optional(map, "ignore") is { } ignoreNode)
        {
            var list = p.Sequence(ignoreNode, "a list of ignore entries {id, reason, expires, package}");
            if (list.Children.Count > MaxEntries)
            {
                throw p.Error(ignoreNode, $"at most {MaxEntries} ignore entries");
            }

            var ignores = new List<Vouch.Advisories.AdvisoryIgnore>();
            foreach (var item in list.Children)
            {
                var entry = p.Mapping(item, "an ignore entry {id, reason, expires, package}");
                p.OnlyKeys(entry, "id", "reason", "expires", "package");
                var id = p.Optional(entry, "id") is { } idNode ? p.Scalar(idNode, "an advisory id") : null;
                var reason = p.Optional(entry, "reason") is { } reasonNode ? p.Scalar(reasonNode, "a reason") : null;
                var expires = p.Optional(entry, "expires") is { } expiresNode ? Expiry(p, expiresNode) : (DateTimeOffset?)null;
                var package = p.Optional(entry, "package") is { } packageNode ? p.Scalar(packageNode, "a package name") : null;
                if (!Vouch.Advisories.AdvisoryIgnore.TryCreate(id, reason, expires, package, out var ignore, out var errors))
                {
                    throw p.Error(item, $"an ignore entry with {string.Join("; ", errors)}");
                }

                ignores.Add(ignore!);
            }

            options = options with { Ignores = ignores };
        }

        if (p.Optional(map, "vex") is { } vexNode)
        {
            options = options with { Vex = Vex(p, vexNode, source) };
        }

        return new AdvisoriesRule(scope, options);
    }

    private static Vouch.Advisories.SeverityLevel Level(Reader p, YamlNode node) => p.Scalar(node, "low, medium, high or critical") switch
    {
        "low" => Vouch.Advisories.SeverityLevel.Low,
        "medium" => Vouch.Advisories.SeverityLevel.Medium,
        "high" => Vouch.Advisories.SeverityLevel.High,
        "critical" => Vouch.Advisories.SeverityLevel.Critical,
        var other => throw p.Error(node, $"low, medium, high or critical (not '{other}')"),
    };

    /// <summary>VEX files are read relative to the policy file; a policy fetched from a URL cannot name local files.</summary>
    private static List<Vouch.Advisories.VexStatement> Vex(Reader p, YamlNode node, string source)
    {
        var files = Patterns(p, node, "vex", isName: false);
        if (Uri.TryCreate(source, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp))
        {
            throw p.Error(node, "no vex: files in a policy loaded from a URL (they would be read from this machine); put them in the local policy that extends it");
        }

        var baseDir = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
        var statements = new List<Vouch.Advisories.VexStatement>();
        foreach (var file in files)
        {
            var path = Path.GetFullPath(Path.Combine(baseDir, file));
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw p.Error(node, $"a VEX file that exists ({path} does not)");
            }

            if (info.Length > Vouch.Advisories.AdvisoryLimits.MaxVexBytes)
            {
                throw p.Error(node, $"a VEX file of at most {Vouch.Advisories.AdvisoryLimits.MaxVexBytes} bytes ({path})");
            }

            var result = Vouch.Advisories.VexDocument.Parse(File.ReadAllBytes(path), path);
            if (result.Errors.Count > 0)
            {
                throw p.Error(node, $"a well-formed VEX document ({Vouch.Advisories.AdvisoryCodes.SuppressionMalformed}: {string.Join("; ", result.Errors.Take(5))})");
            }

            statements.AddRange(result.Statements);
        }

        return statements;
    }

    private static ReviewsRule Reviews(Reader p, YamlNode node, string source)
    {
        const string shape = "a mapping with severity:, require: (a list of {packages, criteria}) and optionally store:, reviewers:, organisations:, trust-depth:, min-trust:";
        var map = p.Mapping(node, shape);
        p.OnlyKeys(map, "severity", "require", "store", "reviewers", "organisations", "trust-depth", "min-trust");
        var severity = Severity(p, p.Required(map, "severity", "severity: error, warn or off"));
        var requireNode = p.Required(map, "require", "require: a list of {packages, criteria}");
        var list = p.Sequence(requireNode, "a list of {packages, criteria}");
        if (list.Children.Count == 0 || list.Children.Count > MaxEntries)
        {
            throw p.Error(requireNode, $"1 to {MaxEntries} require entries");
        }

        var required = new List<(string, IReadOnlyList<string>)>();
        foreach (var item in list.Children)
        {
            var entry = p.Mapping(item, "a require entry: {packages, criteria}");
            p.OnlyKeys(entry, "packages", "criteria");
            var packages = Patterns(p, p.Required(entry, "packages", "packages: the package-name patterns this entry covers"), "packages", isName: true);
            var criteriaNode = p.Required(entry, "criteria", "criteria: a criterion or a list (safe-to-run, safe-to-deploy or one the supply chain defines)");
            var criteria = Patterns(p, criteriaNode, "criteria", isName: false);
            foreach (var c in criteria.Where(c => !CriterionName().IsMatch(c)))
            {
                throw p.Error(criteriaNode, $"a criterion name of lower-case letters, digits and '-' (not '{c}')");
            }

            required.AddRange(packages.Select(pk => (pk, (IReadOnlyList<string>)criteria)));
        }

        var reviewers = p.Optional(map, "reviewers") is { } rv ? Patterns(p, rv, "reviewers", isName: false) : null;
        var organisations = p.Optional(map, "organisations") is { } og ? Patterns(p, og, "organisations", isName: false) : null;
        if (organisations?.FirstOrDefault(o => !Vouch.Reviews.Records.SupplyChain.IsValidImportName(o)) is { } badOrg)
        {
            throw p.Error(map, $"organisations: import names as in [imports.NAME] of the supply chain (not '{badOrg}')");
        }

        var trust = new Vouch.Reviews.Signed.ReviewTrustPolicy();
        if (p.Optional(map, "trust-depth") is { } depthNode)
        {
            var text = p.Scalar(depthNode, $"trust-depth: 1 to {Vouch.Reviews.ReviewLimits.MaxTrustDepth}");
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var depth) || depth < 1 || depth > Vouch.Reviews.ReviewLimits.MaxTrustDepth)
            {
                throw p.Error(depthNode, $"trust-depth: 1 to {Vouch.Reviews.ReviewLimits.MaxTrustDepth} (not '{text}')");
            }

            trust = trust with { MaxDepth = depth };
        }

        if (p.Optional(map, "min-trust") is { } levelNode)
        {
            var text = p.Scalar(levelNode, "min-trust: low, medium or high");
            trust = trust with
            {
                MinimumLevel = Vouch.Reviews.Signed.TrustGraph.ParseLevel(text) is { } level and not Vouch.Reviews.Signed.TrustLevel.None and not Vouch.Reviews.Signed.TrustLevel.Distrust
                    ? level
                    : throw p.Error(levelNode, $"min-trust: low, medium or high (not '{text}')"),
            };
        }

        var storeNode = p.Optional(map, "store");
        var store = storeNode is null ? "supply-chain" : p.Scalar(storeNode, "store: the supply-chain directory, relative to this policy file");
        if (Uri.TryCreate(source, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp))
        {
            // The records would be read from this machine under a path a remote file chose.
            throw p.Error(node, "no reviews rule in a policy loaded from a URL; configure it in the local policy that extends it");
        }

        if (store.Length == 0)
        {
            throw p.Error(storeNode ?? map, "store: a non-empty directory path");
        }

        var baseDir = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
        var rule = new Vouch.Reviews.ReviewRule { Required = required, AcceptedReviewers = reviewers, AcceptedOrganisations = organisations, Trust = trust };
        return new ReviewsRule(severity, rule, Path.GetFullPath(Path.Combine(baseDir, store)));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex CriterionName();

    private static SlsaRule Slsa(Reader p, YamlNode node)
    {
        const string shape = "a mapping with severity: and minimum: (a list of {packages, exclude, level})";
        var map = p.Mapping(node, shape);
        p.OnlyKeys(map, "severity", "minimum", "hosted-issuers", "hosted-runners", "isolated-builders");
        var severity = Severity(p, p.Required(map, "severity", "severity: error, warn or off"));
        var minimumNode = p.Required(map, "minimum", "minimum: a list of {packages, exclude, level}");
        var list = p.Sequence(minimumNode, "a list of {packages, exclude, level}");
        if (list.Children.Count == 0 || list.Children.Count > MaxEntries)
        {
            throw p.Error(minimumNode, $"1 to {MaxEntries} minimum entries");
        }

        var minimums = new List<Vouch.Provenance.Slsa.SlsaMinimum>();
        foreach (var item in list.Children)
        {
            var entry = p.Mapping(item, "a minimum entry: {packages, exclude, level}");
            p.OnlyKeys(entry, "packages", "exclude", "level");
            var packages = Patterns(p, p.Required(entry, "packages", "packages: the package-name globs this entry covers"), "packages", isName: true);
            var exclude = p.Optional(entry, "exclude") is { } ex ? Patterns(p, ex, "exclude", isName: true) : [];
            var levelNode = p.Required(entry, "level", "level: 0, 1, 2 or 3");
            var level = p.Scalar(levelNode, "level: 0, 1, 2 or 3") switch
            {
                "0" => Vouch.Provenance.Slsa.SlsaBuildLevel.L0,
                "1" => Vouch.Provenance.Slsa.SlsaBuildLevel.L1,
                "2" => Vouch.Provenance.Slsa.SlsaBuildLevel.L2,
                "3" => Vouch.Provenance.Slsa.SlsaBuildLevel.L3,
                var other => throw p.Error(levelNode, $"a SLSA Build level 0, 1, 2 or 3 (not '{other}')"),
            };
            minimums.Add(new Vouch.Provenance.Slsa.SlsaMinimum(packages, exclude, level));
        }

        var mapping = Vouch.Provenance.Slsa.SlsaMappingOptions.Default;
        if (p.Optional(map, "hosted-issuers") is { } issuersNode)
        {
            // Added to the public-good platforms, never replacing them: a policy names its own hosted CI.
            var issuers = new Dictionary<string, string>(mapping.HostedIssuers, StringComparer.Ordinal);
            foreach (var (k, v) in p.Mapping(issuersNode, "a mapping of OIDC issuer URL to platform name").Children)
            {
                var issuer = p.Scalar(k, "an OIDC issuer URL (https://...)");
                if (!Uri.TryCreate(issuer, UriKind.Absolute, out var u) || u.Scheme != Uri.UriSchemeHttps)
                {
                    throw p.Error(k, $"an https OIDC issuer URL (not '{issuer}')");
                }

                var platform = p.Scalar(v, "a platform name");
                if (platform.Length == 0)
                {
                    throw p.Error(v, "a non-empty platform name");
                }

                issuers[issuer] = platform;
            }

            mapping = mapping with { HostedIssuers = issuers };
        }

        if (p.Optional(map, "hosted-runners") is { } runnersNode)
        {
            mapping = mapping with { HostedRunnerEnvironments = new HashSet<string>(Patterns(p, runnersNode, "hosted-runners", isName: false), StringComparer.Ordinal) };
        }

        if (p.Optional(map, "isolated-builders") is { } buildersNode)
        {
            var builders = Patterns(p, buildersNode, "isolated-builders", isName: false);
            foreach (var (b, n) in builders.Zip(buildersNode is YamlSequenceNode seq ? seq.Children : [buildersNode]))
            {
                // A prefix match: without the tag or '@' boundary, '.../builder.yml' would also admit '.../builder.yml-evil.yml'.
                if (!b.StartsWith("https://", StringComparison.Ordinal) || !(b.EndsWith('@') || b.EndsWith("@refs/tags/", StringComparison.Ordinal) || b.EndsWith("@refs/tags/v", StringComparison.Ordinal)))
                {
                    throw p.Error(n, $"a builder identity prefix ending in '@', '@refs/tags/' or '@refs/tags/v' (not '{b}')");
                }
            }

            mapping = mapping with { IsolatedBuilders = builders };
        }

        return new SlsaRule(severity, minimums, mapping);
    }

    private static List<PolicyException> ParseExceptions(Reader p, YamlNode node, string kind)
    {
        var list = p.Sequence(node, $"a list of {kind} entries ({{package, versions, rules, reason, expires}})");
        if (list.Children.Count > MaxEntries)
        {
            throw p.Error(node, $"at most {MaxEntries} {kind} entries");
        }

        var result = new List<PolicyException>();
        foreach (var item in list.Children)
        {
            var entry = p.Mapping(item, $"a {kind} entry: {{package, versions, rules, reason, expires}}");
            p.OnlyKeys(entry, "package", "versions", "rules", "reason", "expires");
            var packageNode = p.Required(entry, "package", "package: a package-name glob");
            var package = p.Scalar(packageNode, "a package-name glob");
            CheckPattern(p, packageNode, package);
            SemVerRange? versions = null;
            if (p.Optional(entry, "versions") is { } vn)
            {
                var text = p.Scalar(vn, "a semver range such as 1.2.3 or ^2");
                if (!SemVerRange.TryParse(text, out versions))
                {
                    throw p.Error(vn, $"a semver range such as 1.2.3 or ^2 (not '{text}')");
                }
            }

            var rules = new List<string>();
            if (p.Optional(entry, "rules") is { } rn)
            {
                if (kind == "deny")
                {
                    throw p.Error(rn, "no rules: in a deny entry (a denied version is refused whatever the rules say)");
                }

                foreach (var r in p.Sequence(rn, "a list of rule names").Children)
                {
                    var rule = p.Scalar(r, "a rule name");
                    if (!PolicyRules.Names.Contains(rule, StringComparer.Ordinal))
                    {
                        throw p.Error(r, $"a rule name, one of {string.Join(", ", PolicyRules.Names)} (not '{rule}')");
                    }

                    if (rule == PolicyRules.MalwareName)
                    {
                        throw p.Error(r, "a rule other than malware (known malware cannot be allowed; a wrong MAL record is withdrawn upstream)");
                    }

                    rules.Add(rule);
                }
            }

            var reasonNode = p.Required(entry, "reason", "reason: why this exception exists");
            var reason = p.Scalar(reasonNode, "a reason");
            if (string.IsNullOrWhiteSpace(reason))
            {
                throw p.Error(reasonNode, "a non-empty reason");
            }

            var expiresNode = p.Required(entry, "expires", "expires: the date this exception ends (YYYY-MM-DD); every exception expires");
            var expiresText = p.Scalar(expiresNode, "a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
            var expires = Expiry(p, expiresNode);
            result.Add(new PolicyException(package, versions, rules, reason.Trim(), expires, p.Where(item)) { ExpiresText = expiresText });
        }

        return result;
    }

    private static DateTimeOffset Expiry(Reader p, YamlNode node)
    {
        var text = p.Scalar(node, "a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            // A date means the whole day, UTC.
            return new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }

        if (!DateTimeOffset.TryParseExact(text, ["yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:sszzz"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires))
        {
            throw p.Error(node, $"a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ), not '{text}'");
        }

        return expires.ToUniversalTime();
    }

    private static TimeSpan Duration(Reader p, YamlNode node)
    {
        var text = p.Scalar(node, "a duration such as 3d, 36h or 90m");
        var m = DurationPattern().Match(text);
        if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 3650 * 24 * 60)
        {
            throw p.Error(node, $"a duration such as 3d, 36h or 90m (not '{text}')");
        }

        return m.Groups[2].Value switch
        {
            "d" => TimeSpan.FromDays(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromMinutes(n),
        };
    }

    [GeneratedRegex("^([0-9]{1,7})([dhm])$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    private static List<string> Patterns(Reader p, YamlNode node, string key, bool isName)
    {
        var items = node is YamlScalarNode ? [node] : p.Sequence(node, $"{key}: a glob or a list of globs").Children.ToList();
        if (items.Count == 0)
        {
            throw p.Error(node, $"at least one glob in {key}");
        }

        if (items.Count > MaxEntries)
        {
            throw p.Error(node, $"at most {MaxEntries} globs in {key}");
        }

        var result = new List<string>();
        foreach (var item in items)
        {
            var text = p.Scalar(item, "a glob (a string)");
            if (isName)
            {
                CheckPattern(p, item, text);
            }
            else if (text.Length == 0)
            {
                throw p.Error(item, "a non-empty glob");
            }

            result.Add(text);
        }

        return result;
    }

    private static void CheckPattern(Reader p, YamlNode node, string pattern)
    {
        if (pattern.Length == 0 || pattern.Length > 214 || pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw p.Error(node, $"a package-name glob such as @myorg/* or lodash (not '{pattern}')");
        }
    }

    /// <summary>Repository globs compare like <see cref="Vouch.Provenance.SourceBinding.Normalize"/>: host/owner/repo, lower case.</summary>
    internal static string NormalizeRepositoryPattern(string pattern)
    {
        var u = pattern.Trim();
        if (u.StartsWith("git+", StringComparison.OrdinalIgnoreCase))
        {
            u = u[4..];
        }

        var scheme = u.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            u = u[(scheme + 3)..];
        }

        u = u.TrimEnd('/');
        if (u.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            u = u[..^4];
        }

        return u.ToLowerInvariant();
    }

    /// <summary>Typed access to YAML nodes that turns every mismatch into file:line:column.</summary>
    private sealed class Reader(string source)
    {
        public PolicyFormatException Error(YamlNode node, string expected) =>
            new(source, (int)node.Start.Line, (int)node.Start.Column, expected);

        public string Where(YamlNode node) => $"{source}:{node.Start.Line}:{node.Start.Column}";

        public YamlMappingNode Mapping(YamlNode node, string expected) =>
            node as YamlMappingNode ?? throw Error(node, expected);

        public YamlSequenceNode Sequence(YamlNode node, string expected) =>
            node as YamlSequenceNode ?? throw Error(node, expected);

        public string Scalar(YamlNode node, string expected) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, expected);

        public bool Bool(YamlNode node, string expected) => Scalar(node, expected) switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error(node, expected),
        };

        public YamlNode? Optional(YamlMappingNode map, string key)
        {
            foreach (var (k, v) in map.Children)
            {
                if (k is YamlScalarNode { Value: { } name } && name == key)
                {
                    return v is YamlScalarNode { Value: null or "" } s && s.Style == ScalarStyle.Plain && key != "reason" ? throw Error(v, $"a value for {key}") : v;
                }
            }

            return null;
        }

        public YamlNode Required(YamlMappingNode map, string key, string expected) =>
            Optional(map, key) ?? throw Error(map, $"{expected} (missing)");

        public void OnlyKeys(YamlMappingNode map, params string[] allowed)
        {
            foreach (var (k, _) in map.Children)
            {
                var name = Scalar(k, "a key (a string)");
                if (!allowed.Contains(name, StringComparer.Ordinal))
                {
                    throw Error(k, $"one of the keys {string.Join(", ", allowed)} (not '{name}')");
                }
            }
        }
    }
}
