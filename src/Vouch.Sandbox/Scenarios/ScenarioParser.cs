using System.Security.Cryptography;
using System.Text;
using Vouch.Npm;
using Vouch.Common.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vouch.Sandbox;

/// <summary>
/// Scenario YAML → <see cref="Scenario"/>: read the structure first (unknown keys are errors, so a
/// misspelt `tamper` never goes unnoticed), collect every problem with its file:line:column, then
/// check what the parts say about each other (dependencies exist, tags point at versions).
/// </summary>
internal sealed class ScenarioParser
{
    private static readonly Dictionary<string, PublisherKind> Publishers = new(StringComparer.Ordinal)
    {
        ["trusted-publisher"] = PublisherKind.TrustedPublisher,
        ["provenance"] = PublisherKind.Provenance,
        ["token"] = PublisherKind.Token,
    };

    internal static readonly Dictionary<string, TamperKind> TamperNames = new(StringComparer.Ordinal)
    {
        ["tarball-bytes"] = TamperKind.TarballBytes,
        ["signature"] = TamperKind.Signature,
        ["signature-missing"] = TamperKind.SignatureMissing,
        ["signature-unknown-key"] = TamperKind.SignatureUnknownKey,
        ["provenance-subject"] = TamperKind.ProvenanceSubject,
        ["provenance-identity"] = TamperKind.ProvenanceIdentity,
        ["provenance-signature"] = TamperKind.ProvenanceSignature,
        ["attestation-missing"] = TamperKind.AttestationMissing,
        ["publish-attestation-missing"] = TamperKind.PublishAttestationMissing,
        ["publish-attestation-key"] = TamperKind.PublishAttestationKey,
    };

    private readonly string _source;
    private readonly List<string> _errors = [];

    private ScenarioParser(string source) => _source = source;

    public static Scenario Parse(string yaml, string sourceName)
    {
        var parser = new ScenarioParser(sourceName);
        var scenario = parser.ParseDocument(yaml);
        if (parser._errors.Count > 0 || scenario is null)
        {
            throw new ScenarioException(parser._errors.Count > 0 ? parser._errors : [$"{sourceName}: empty scenario"]);
        }

        return scenario;
    }

    public static string TamperName(TamperKind kind) => TamperNames.First(p => p.Value == kind).Key;

    public static string PublisherName(PublisherKind kind) => Publishers.First(p => p.Value == kind).Key;

    /// <summary>A stable fake commit for a version built without an explicit one.</summary>
    internal static string DefaultCommit(string repository, string version) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"{repository}@{version}")));

    /// <summary>`owner/name` from `owner/name`, `github:owner/name` or a github.com URL; null otherwise.</summary>
    internal static string? GitHubRepository(string? repository)
    {
        if (string.IsNullOrWhiteSpace(repository))
        {
            return null;
        }

        var r = repository.Trim();
        foreach (var prefix in new[] { "git+", "github:", "https://github.com/", "http://github.com/", "git://github.com/", "ssh://git@github.com/", "git@github.com:" })
        {
            if (r.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                r = r[prefix.Length..];
            }
        }

        if (r.StartsWith("https://github.com/", StringComparison.OrdinalIgnoreCase))
        {
            r = r["https://github.com/".Length..];
        }

        r = r.TrimEnd('/');
        if (r.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            r = r[..^4];
        }

        var parts = r.Split('/');
        return parts.Length == 2 && parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) ? r : null;
    }

    private Scenario? ParseDocument(string yaml)
    {
        // Scenario files come from users and from the repository's examples: the same caps as any YAML.
        var loaded = YamlLoader.Load(yaml, new YamlLimits(MaxDepth: 32, MaxAliases: 0));
        if (loaded.Error is { } e)
        {
            _errors.Add(e.Problem == YamlProblem.Syntax
                ? $"{_source}:{e.Line}:{e.Column}: not valid YAML: {e.Reason}"
                : $"{_source}:{e.Line}:{e.Column}: {e.Reason}");
            return null;
        }

        var root = Mapping(loaded.Root!, "the scenario");
        if (root is null)
        {
            return null;
        }

        var fields = Fields(root, "the scenario", "name", "description", "now", "project", "packages", "advisories");
        var name = fields.TryGetValue("name", out var n) ? Scalar(n, "name") : null;
        if (string.IsNullOrWhiteSpace(name))
        {
            Error(root, "name is required");
        }

        var description = fields.TryGetValue("description", out var d) ? Scalar(d, "description") : null;
        DateTimeOffset? now = null;
        if (fields.TryGetValue("now", out var nowNode) && Scalar(nowNode, "now") is { } nowText)
        {
            if (ScenarioTime.TryParse(nowText, out var t) && t.Absolute is { } absolute)
            {
                now = absolute;
            }
            else
            {
                Error(nowNode, $"now must be an absolute ISO 8601 time, got '{nowText}'");
            }
        }

        var packages = new List<ScenarioPackage>();
        var packageNodes = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        if (!fields.TryGetValue("packages", out var packagesNode))
        {
            Error(root, "packages is required");
        }
        else if (Sequence(packagesNode, "packages") is { } list)
        {
            foreach (var item in list.Children)
            {
                if (ParsePackage(item) is { } package)
                {
                    if (!packageNodes.TryAdd(package.Name, item))
                    {
                        Error(item, $"package {package.Name} is defined twice (first at line {packageNodes[package.Name].Start.Line})");
                        continue;
                    }

                    packages.Add(package);
                }
            }
        }

        var project = new Dictionary<string, string>(StringComparer.Ordinal);
        YamlNode? projectDepsNode = null;
        if (fields.TryGetValue("project", out var projectNode) && Mapping(projectNode, "project") is { } projectMap)
        {
            var projectFields = Fields(projectMap, "project", "dependencies");
            if (projectFields.TryGetValue("dependencies", out projectDepsNode))
            {
                project = Dependencies(projectDepsNode, "project.dependencies");
            }
        }

        // Cross-references: every dependency names a scenario package (npm would get a 404 otherwise).
        var known = packages.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var package in packages)
        {
            var node = packageNodes[package.Name];
            foreach (var version in package.Versions)
            {
                foreach (var dep in version.Dependencies.Keys.Where(dep => !known.Contains(dep)))
                {
                    Error(node, $"{package.Name}@{version.Version} depends on {dep}, which the scenario does not define");
                }
            }
        }

        foreach (var dep in project.Keys.Where(dep => !known.Contains(dep)))
        {
            Error(projectDepsNode!, $"project.dependencies names {dep}, which the scenario does not define");
        }

        var advisories = new List<ScenarioAdvisory>();
        if (fields.TryGetValue("advisories", out var advisoriesNode) && Sequence(advisoriesNode, "advisories") is { } advisoryList)
        {
            var ids = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var item in advisoryList.Children)
            {
                if (ParseAdvisory(item, packages) is { } advisory)
                {
                    if (!ids.TryAdd(advisory.Id, item))
                    {
                        Error(item, $"advisory {advisory.Id} is defined twice (first at line {ids[advisory.Id].Start.Line})");
                        continue;
                    }

                    advisories.Add(advisory);
                }
            }
        }

        return _errors.Count > 0 ? null : new Scenario(name!.Trim(), description, _source, packages, project, now, advisories);
    }

    private ScenarioAdvisory? ParseAdvisory(YamlNode node, List<ScenarioPackage> packages)
    {
        var map = Mapping(node, "an advisory");
        if (map is null)
        {
            return null;
        }

        var fields = Fields(map, "an advisory", "id", "package", "aliases", "summary", "introduced", "fixed", "last-affected", "versions", "cvss", "severity", "published", "modified");
        var id = fields.TryGetValue("id", out var idNode) ? Scalar(idNode, "id") : null;
        var packageName = fields.TryGetValue("package", out var packageNode) ? Scalar(packageNode, "package") : null;
        if (id is null || packageName is null)
        {
            Error(map, "an advisory needs `id` and `package`");
            return null;
        }

        // OSV ids are PREFIX-rest in a file name: letters, digits, '-', '.', '_' only (the id names the zip entry).
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || dash == id.Length - 1 || id.Length > 100 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
        {
            Error(idNode!, $"'{id}' is not an OSV id (PREFIX-ID, letters, digits, '-', '.', '_')");
        }

        var package = packages.FirstOrDefault(p => p.Name == packageName);
        if (package is null)
        {
            Error(packageNode!, $"advisory {id} names package {packageName}, which the scenario does not define");
        }

        string? Version(string key)
        {
            if (!fields.TryGetValue(key, out var n) || Scalar(n, key) is not { } text)
            {
                return null;
            }

            if (!(key == "introduced" && text == "0") && !SemVersion.TryParse(text, out _))
            {
                Error(n, $"advisory {id}: {key} '{text}' is not a semver version");
            }

            return text;
        }

        var introduced = Version("introduced");
        var fixedVersion = Version("fixed");
        var lastAffected = Version("last-affected");
        if (fixedVersion is not null && lastAffected is not null)
        {
            Error(map, $"advisory {id}: a range has `fixed` or `last-affected`, not both");
        }

        var versions = new List<string>();
        if (fields.TryGetValue("versions", out var versionsNode))
        {
            foreach (var (v, vNode) in StringListWithNodes(versionsNode, "versions"))
            {
                if (package is not null && package.Versions.All(x => x.Version != v))
                {
                    Error(vNode, $"advisory {id} lists {packageName}@{v}, which the scenario does not define");
                }

                versions.Add(v);
            }
        }

        var cvss = fields.TryGetValue("cvss", out var cvssNode) ? Scalar(cvssNode, "cvss") : null;
        if (cvss is not null && !cvss.StartsWith("CVSS:3.0/", StringComparison.Ordinal) && !cvss.StartsWith("CVSS:3.1/", StringComparison.Ordinal) && !cvss.StartsWith("CVSS:4.0/", StringComparison.Ordinal))
        {
            Error(cvssNode!, $"advisory {id}: cvss must be a CVSS:3.0, CVSS:3.1 or CVSS:4.0 vector, got '{cvss}'");
        }

        var severity = fields.TryGetValue("severity", out var severityNode) ? Scalar(severityNode, "severity") : null;
        if (severity is not null && severity is not ("LOW" or "MODERATE" or "HIGH" or "CRITICAL"))
        {
            Error(severityNode!, $"advisory {id}: severity must be LOW, MODERATE, HIGH or CRITICAL, got '{severity}'");
        }

        ScenarioTime Time(string key)
        {
            var time = ScenarioTime.Now;
            if (fields.TryGetValue(key, out var n) && Scalar(n, key) is { } text && !ScenarioTime.TryParse(text, out time))
            {
                Error(n, $"advisory {id}: {key} must be `now`, an ISO 8601 time or a past offset like -30d, got '{text}'");
            }

            return time;
        }

        return new ScenarioAdvisory
        {
            Id = id,
            Package = packageName,
            Aliases = fields.TryGetValue("aliases", out var aliasesNode) ? StringList(aliasesNode, "aliases") : [],
            Summary = fields.TryGetValue("summary", out var summaryNode) ? Scalar(summaryNode, "summary") : null,
            Introduced = introduced,
            Fixed = fixedVersion,
            LastAffected = lastAffected,
            Versions = versions,
            Cvss = cvss,
            Severity = severity,
            Published = Time("published"),
            Modified = Time("modified"),
        };
    }

    private ScenarioPackage? ParsePackage(YamlNode node)
    {
        var map = Mapping(node, "a package");
        if (map is null)
        {
            return null;
        }

        var fields = Fields(map, "a package", "name", "description", "repository", "maintainers", "source", "dist-tags", "versions");
        var name = fields.TryGetValue("name", out var n) ? Scalar(n, "name") : null;
        if (string.IsNullOrEmpty(name))
        {
            Error(map, "a package needs a name");
            return null;
        }

        var validation = PackageName.Validate(name);
        if (!validation.ValidForNewPackages)
        {
            Error(n!, $"'{name}' is not a valid npm package name: {string.Join("; ", validation.Errors.Concat(validation.Warnings))}");
        }

        var repository = fields.TryGetValue("repository", out var r) ? Scalar(r, "repository") : null;
        var maintainers = fields.TryGetValue("maintainers", out var m) ? StringList(m, "maintainers") : ["sandbox-maintainer"];
        if (maintainers.Count == 0)
        {
            Error(m!, "maintainers must name at least one account");
            maintainers = ["sandbox-maintainer"];
        }

        var sourceDefaults = fields.TryGetValue("source", out var s) ? SourceFields(s) : new Dictionary<string, (string, YamlNode)>();
        var versions = new List<ScenarioVersion>();
        var seen = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        if (!fields.TryGetValue("versions", out var versionsNode))
        {
            Error(map, $"package {name} needs versions");
        }
        else if (Sequence(versionsNode, "versions") is { } list)
        {
            foreach (var item in list.Children)
            {
                if (ParseVersion(item, name, repository, maintainers, sourceDefaults) is { } version)
                {
                    if (!seen.TryAdd(version.Version, item))
                    {
                        Error(item, $"{name}@{version.Version} is defined twice");
                        continue;
                    }

                    versions.Add(version);
                }
            }

            if (list.Children.Count == 0)
            {
                Error(versionsNode, $"package {name} needs at least one version");
            }
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (fields.TryGetValue("dist-tags", out var tagsNode) && Mapping(tagsNode, "dist-tags") is { } tagMap)
        {
            foreach (var (key, value) in tagMap.Children)
            {
                var tag = Scalar(key, "a dist-tag name");
                var target = Scalar(value, "a dist-tag version");
                if (tag is null || target is null)
                {
                    continue;
                }

                if (!seen.ContainsKey(target))
                {
                    Error(value, $"dist-tag {tag} points at {target}, which package {name} does not define");
                }

                tags[tag] = target;
            }
        }

        return new ScenarioPackage
        {
            Name = name,
            Description = fields.TryGetValue("description", out var d) ? Scalar(d, "description") : null,
            Repository = repository,
            Maintainers = maintainers,
            Versions = versions,
            DistTags = tags,
        };
    }

    private ScenarioVersion? ParseVersion(YamlNode node, string package, string? repository, IReadOnlyList<string> maintainers, Dictionary<string, (string Value, YamlNode Node)> sourceDefaults)
    {
        var map = Mapping(node, "a version");
        if (map is null)
        {
            return null;
        }

        var fields = Fields(map, "a version", "version", "published", "publisher", "published-by", "source", "dependencies", "scripts", "files", "tamper", "deprecated", "note");
        var text = fields.TryGetValue("version", out var v) ? Scalar(v, "version") : null;
        if (text is null)
        {
            Error(map, $"a version of {package} needs `version`");
            return null;
        }

        if (!SemVersion.TryParse(text, out var semver) || semver.Version != text)
        {
            Error(v!, $"'{text}' is not a normalised semver version");
            return null;
        }

        var published = ScenarioTime.Now;
        if (fields.TryGetValue("published", out var p) && Scalar(p, "published") is { } publishedText && !ScenarioTime.TryParse(publishedText, out published))
        {
            Error(p, $"published must be `now`, an ISO 8601 time or a past offset like -30d, got '{publishedText}'");
        }

        var publisher = PublisherKind.Token;
        if (fields.TryGetValue("publisher", out var k) && Scalar(k, "publisher") is { } kind && !Publishers.TryGetValue(kind, out publisher))
        {
            Error(k, $"publisher must be one of {string.Join(", ", Publishers.Keys)}, got '{kind}'");
        }

        var publishedBy = fields.TryGetValue("published-by", out var by) ? Scalar(by, "published-by") : null;
        if (publishedBy is not null && publisher == PublisherKind.TrustedPublisher)
        {
            Error(by!, "published-by does not apply to a trusted publisher (the registry records the CI identity)");
        }

        var tamper = new HashSet<TamperKind>();
        if (fields.TryGetValue("tamper", out var t))
        {
            foreach (var (item, itemNode) in StringListWithNodes(t, "tamper"))
            {
                if (!TamperNames.TryGetValue(item, out var tk))
                {
                    Error(itemNode, $"unknown tamper switch '{item}' (known: {string.Join(", ", TamperNames.Keys)})");
                }
                else if (!tamper.Add(tk))
                {
                    Error(itemNode, $"tamper switch '{item}' is listed twice");
                }
                else if (publisher == PublisherKind.Token && tk is not (TamperKind.TarballBytes or TamperKind.Signature or TamperKind.SignatureMissing or TamperKind.SignatureUnknownKey))
                {
                    Error(itemNode, $"tamper switch '{item}' needs attestations, but {package}@{text} is published with a token (no provenance)");
                }
            }
        }

        SourceBuild? source = null;
        var sourceFields = new Dictionary<string, (string Value, YamlNode Node)>(sourceDefaults);
        if (fields.TryGetValue("source", out var s))
        {
            foreach (var (key, value) in SourceFields(s))
            {
                sourceFields[key] = value;
            }

            if (publisher == PublisherKind.Token)
            {
                Error(s, $"{package}@{text} is published with a token: it has no CI source (use publisher: provenance or trusted-publisher)");
            }
        }

        if (publisher != PublisherKind.Token)
        {
            source = BuildSource(map, package, text, repository, sourceFields);
        }

        var files = fields.TryGetValue("files", out var f) ? StringMap(f, "files") : [];
        foreach (var path in files.Keys)
        {
            if (path.Length == 0 || path.StartsWith('/') || path.Split('/').Any(seg => seg is "" or "." or "..") || path == "package.json")
            {
                Error(f!, $"file '{path}' must be a relative path inside the package (and not package.json)");
            }
        }

        return new ScenarioVersion
        {
            Version = text,
            Published = published,
            Publisher = publisher,
            PublishedBy = publishedBy ?? (publisher == PublisherKind.TrustedPublisher ? null : maintainers[0]),
            Source = source,
            Dependencies = fields.TryGetValue("dependencies", out var deps) ? Dependencies(deps, "dependencies") : [],
            Scripts = fields.TryGetValue("scripts", out var sc) ? StringMap(sc, "scripts") : [],
            Files = files,
            Tamper = tamper,
            Deprecated = fields.TryGetValue("deprecated", out var dep) ? Scalar(dep, "deprecated") : null,
            Note = fields.TryGetValue("note", out var note) ? Scalar(note, "note") : null,
        };
    }

    private SourceBuild? BuildSource(YamlNode at, string package, string version, string? packageRepository, Dictionary<string, (string Value, YamlNode Node)> fields)
    {
        string? Get(string key) => fields.TryGetValue(key, out var v) ? v.Value : null;
        var repoText = Get("repository") ?? packageRepository;
        var repo = GitHubRepository(repoText);
        if (repo is null)
        {
            Error(fields.TryGetValue("repository", out var rn) ? rn.Node : at, repoText is null
                ? $"{package}@{version} is built in CI: it needs source.repository (or the package's repository) as owner/name on GitHub"
                : $"source repository '{repoText}' is not a GitHub owner/name");
            return null;
        }

        var commit = Get("commit") ?? DefaultCommit(repo, version);
        if (commit.Length != 40 || !commit.All(char.IsAsciiHexDigit))
        {
            Error(fields["commit"].Node, $"source.commit must be 40 hex digits, got '{commit}'");
        }

        var runner = Get("runner") ?? "github-hosted";
        if (runner is not ("github-hosted" or "self-hosted"))
        {
            Error(fields["runner"].Node, $"source.runner must be github-hosted or self-hosted, got '{runner}'");
        }

        var workflow = Get("workflow") ?? ".github/workflows/release.yml";
        if (!workflow.StartsWith(".github/workflows/", StringComparison.Ordinal))
        {
            Error(fields["workflow"].Node, $"source.workflow must be a path under .github/workflows/, got '{workflow}'");
        }

        return new SourceBuild
        {
            Repository = repo,
            Ref = Get("ref") ?? $"refs/tags/v{version}",
            Commit = commit.ToLowerInvariant(),
            Workflow = workflow,
            Trigger = Get("trigger") ?? "push",
            RunnerEnvironment = runner,
        };
    }

    private Dictionary<string, (string Value, YamlNode Node)> SourceFields(YamlNode node)
    {
        var result = new Dictionary<string, (string, YamlNode)>(StringComparer.Ordinal);
        if (Mapping(node, "source") is { } map)
        {
            foreach (var (key, value) in Fields(map, "source", "repository", "ref", "commit", "workflow", "trigger", "runner"))
            {
                if (Scalar(value, $"source.{key}") is { } text)
                {
                    result[key] = (text, value);
                }
            }
        }

        return result;
    }

    private Dictionary<string, string> Dependencies(YamlNode node, string what)
    {
        var map = StringMap(node, what);
        foreach (var (name, range) in map)
        {
            if (!PackageName.Validate(name).ValidForOldPackages)
            {
                Error(node, $"{what}: '{name}' is not a valid package name");
            }

            if (!SemVerRange.TryParse(range, out _))
            {
                Error(node, $"{what}: '{range}' (for {name}) is not a semver range");
            }
        }

        return map;
    }

    private Dictionary<string, YamlNode> Fields(YamlMappingNode map, string what, params string[] allowed)
    {
        var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Children)
        {
            var name = Scalar(key, "a key");
            if (name is null)
            {
                continue;
            }

            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                Error(key, $"unknown key '{name}' in {what} (allowed: {string.Join(", ", allowed)})");
                continue;
            }

            if (!result.TryAdd(name, value))
            {
                Error(key, $"key '{name}' appears twice in {what}");
            }
        }

        return result;
    }

    private Dictionary<string, string> StringMap(YamlNode node, string what)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Mapping(node, what) is { } map)
        {
            foreach (var (key, value) in map.Children)
            {
                if (Scalar(key, $"a key of {what}") is { } k && Scalar(value, $"{what}.{k}") is { } v && !result.TryAdd(k, v))
                {
                    Error(key, $"'{k}' appears twice in {what}");
                }
            }
        }

        return result;
    }

    private List<string> StringList(YamlNode node, string what) => [.. StringListWithNodes(node, what).Select(x => x.Value)];

    private List<(string Value, YamlNode Node)> StringListWithNodes(YamlNode node, string what)
    {
        var result = new List<(string, YamlNode)>();
        if (Sequence(node, what) is { } seq)
        {
            foreach (var item in seq.Children)
            {
                if (Scalar(item, $"an item of {what}") is { } s)
                {
                    result.Add((s, item));
                }
            }
        }

        return result;
    }

    private YamlMappingNode? Mapping(YamlNode node, string what)
    {
        if (node is YamlMappingNode map)
        {
            return map;
        }

        Error(node, $"{what} must be a mapping (key: value)");
        return null;
    }

    private YamlSequenceNode? Sequence(YamlNode node, string what)
    {
        if (node is YamlSequenceNode seq)
        {
            return seq;
        }

        Error(node, $"{what} must be a list");
        return null;
    }

    private string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode { Value: { } value })
        {
            return value;
        }

        Error(node, $"{what} must be a single value");
        return null;
    }

    private void Error(YamlNode node, string message) => _errors.Add($"{_source}:{node.Start.Line}:{node.Start.Column}: {message}");

    private static string FirstLine(string text)
    {
        var i = text.IndexOfAny(['\r', '\n']);
        return i < 0 ? text : text[..i];
    }
}
