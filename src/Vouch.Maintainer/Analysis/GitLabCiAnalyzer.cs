using Vouch.Maintainer.Fix;
using Vouch.Maintainer.Repo;
using Vouch.Maintainer.Yaml;
using YamlDotNet.RepresentationModel;

namespace Vouch.Maintainer.Analysis;

/// <summary>
/// Reads .gitlab-ci.yml: jobs whose scripts publish to npm, their ID tokens (<c>id_tokens</c>: a
/// <c>sigstore</c> audience for provenance, <c>npm:registry.npmjs.org</c> for trusted publishing),
/// tokens written for npm, protected environments and image pinning.
/// </summary>
internal sealed class GitLabCiAnalyzer
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "spec",
    };

    private readonly YamlFile _file;
    private readonly RepositoryContents _repo;
    private readonly List<Finding> _findings;
    private readonly List<PublishingJob> _jobs;

    private GitLabCiAnalyzer(YamlFile file, RepositoryContents repo, List<Finding> findings, List<PublishingJob> jobs)
    {
        _file = file;
        _repo = repo;
        _findings = findings;
        _jobs = jobs;
    }

    public static void Analyze(YamlFile file, RepositoryContents repo, List<Finding> findings, List<PublishingJob> jobs) =>
        new GitLabCiAnalyzer(file, repo, findings, jobs).Run();

    private void Run()
    {
        if (_file.Root is not YamlMappingNode root)
        {
            return;
        }

        var globalVars = root.Get("variables");
        var publishConfig = _repo.Packages.Any(p => p.Publishable && p.PublishConfigProvenance == true);
        foreach (var (name, key, job) in root.Pairs())
        {
            if (Reserved.Contains(name) || name.StartsWith('.') || job is not YamlMappingNode)
            {
                continue;
            }

            var scripts = new[] { "before_script", "script", "after_script" }
                .SelectMany(k => ScriptLines(job.Get(k) ?? root.Get("default").Get(k) ?? (k == "script" ? null : root.Get(k))))
                .ToList();
            var tokens = job.Get("id_tokens") ?? root.Get("default").Get("id_tokens");
            var sigstoreToken = tokens.Pairs().Any(t => Audience(t.Value).Contains("sigstore"));
            var npmToken = tokens.Pairs().Any(t => Audience(t.Value).Any(a => a.StartsWith("npm:", StringComparison.Ordinal)));
            var variables = Variables(globalVars).Concat(Variables(job.Get("variables"))).ToList();
            var writesToken = scripts.Any(s => s.Value?.Contains("_authToken", StringComparison.Ordinal) == true)
                || variables.Any(v => v.Name is "NODE_AUTH_TOKEN" or "NPM_TOKEN" && !string.IsNullOrEmpty(v.Value.Scalar()));
            var flagVar = variables.Any(v => v.Name.Equals("NPM_CONFIG_PROVENANCE", StringComparison.OrdinalIgnoreCase) && v.Value.Scalar() == "true");

            var steps = new List<(PublishStep Publish, int FlagAt, YamlScalarNode Line)>();
            foreach (var line in scripts)
            {
                var (offset, raw) = _file.RawSpan(line);
                foreach (var command in ShellCommands.Find(raw, _repo.Packages))
                {
                    if (command.Registry?.Contains("npm.pkg.github.com", StringComparison.OrdinalIgnoreCase) == true
                        || command.Registry?.Contains("gitlab", StringComparison.OrdinalIgnoreCase) == true)
                    {
                        continue;
                    }

                    var flag = command.ProvenanceFlag || flagVar;
                    var mode = command.Kind == "yarn-classic" ? ProvenanceMode.None
                        : !writesToken && npmToken ? ProvenanceMode.TrustedPublishing
                        : flag ? ProvenanceMode.Flag
                        : publishConfig ? ProvenanceMode.PublishConfig
                        : ProvenanceMode.None;
                    steps.Add((new PublishStep { At = Loc(offset + command.Start), Kind = command.Kind, Command = command.Text, Provenance = mode, UsesToken = writesToken }, command.FlagInsertAt < 0 ? -1 : offset + command.FlagInsertAt, line));
                }
            }

            if (steps.Count == 0)
            {
                continue;
            }

            var environment = job.Get("environment") switch
            {
                YamlScalarNode s => s.Value,
                YamlMappingNode m => m.ScalarAt("name"),
                _ => null,
            };
            var jobMode = steps.Min(s => s.Publish.Provenance);
            _jobs.Add(new PublishingJob
            {
                File = _file.Path,
                Job = name,
                At = At(key),
                Platform = "gitlab",
                Provenance = jobMode,
                IdToken = sigstoreToken || npmToken,
                Environment = environment,
                Steps = steps.Select(s => s.Publish).ToList(),
            });

            var idTokenEdit = sigstoreToken ? null : YamlEdits.InsertIntoMapping(_file, job, ["id_tokens:", "  SIGSTORE_ID_TOKEN:", "    aud: sigstore"], out _);
            if (!sigstoreToken && steps.Any(s => s.Publish.Provenance is ProvenanceMode.Flag or ProvenanceMode.PublishConfig))
            {
                Add(MaintainerCodes.IdTokenMissing, FindingLevel.Error, At(key), name,
                    $"job '{name}' asks npm for provenance but defines no ID token with the sigstore audience, so npm cannot sign it",
                    "add id_tokens: { SIGSTORE_ID_TOKEN: { aud: sigstore } } to the job", idTokenEdit is null ? [] : [idTokenEdit]);
            }

            foreach (var (publish, flagAt, _) in steps)
            {
                if (publish.Provenance == ProvenanceMode.None)
                {
                    var edits = new List<TextEdit>();
                    if (flagAt >= 0 && (sigstoreToken || idTokenEdit is not null))
                    {
                        edits.Add(YamlEdits.Insert(_file, flagAt, " --provenance"));
                        if (idTokenEdit is not null)
                        {
                            edits.Add(idTokenEdit);
                        }
                    }

                    Add(MaintainerCodes.NoProvenance, FindingLevel.Error, publish.At, name,
                        $"'{publish.Command}' publishes without provenance",
                        edits.Count > 0
                            ? "configure trusted publishing (npm trust gitlab, below); until then publish with --provenance and a SIGSTORE_ID_TOKEN"
                            : "configure trusted publishing (npm trust gitlab, below) or publish with npm --provenance and a SIGSTORE_ID_TOKEN; the command is not one --provenance can be added to",
                        edits);
                }

                if (publish.UsesToken)
                {
                    Add(MaintainerCodes.LongLivedToken, FindingLevel.Warning, publish.At, name,
                        $"'{publish.Command}' authenticates with a long-lived npm token (written to .npmrc or set as a variable)",
                        "configure trusted publishing (id_tokens: NPM_ID_TOKEN with aud npm:registry.npmjs.org, npm trust gitlab), then remove and revoke the token");
                }
            }

            if (environment is null)
            {
                Add(MaintainerCodes.NoEnvironment, FindingLevel.Warning, At(key), name,
                    $"publishing job '{name}' has no environment, so no protected-environment approval stands before a publish",
                    "add environment: <name>, protect it (Settings > CI/CD > Protected environments) and name it in the npm trusted-publisher configuration");
            }

            var image = job.Get("image") ?? root.Get("default").Get("image") ?? root.Get("image");
            var imageName = image is YamlMappingNode ? image.ScalarAt("name") : image.Scalar();
            if (imageName is not null && !imageName.Contains("@sha256:", StringComparison.Ordinal))
            {
                Add(MaintainerCodes.UnpinnedImage, FindingLevel.Note, At(image!), name,
                    $"the publishing job runs in image '{imageName}', a tag its publisher can move",
                    "pin the image by digest (name@sha256:...)");
            }
        }
    }

    private static IEnumerable<string> Audience(YamlNode token) => token.Get("aud") switch
    {
        YamlScalarNode s when s.Value is not null => [s.Value],
        YamlSequenceNode seq => seq.Children.Select(c => c.Scalar()).OfType<string>(),
        _ => [],
    };

    private static IEnumerable<(string Name, YamlNode Value)> Variables(YamlNode? node) =>
        node.Pairs().Select(p => (p.Key, p.Value is YamlMappingNode m ? m.Get("value") ?? p.Value : p.Value));

    private static IEnumerable<YamlScalarNode> ScriptLines(YamlNode? node)
    {
        switch (node)
        {
            case YamlScalarNode s:
                yield return s;
                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children)
                {
                    if (item is YamlScalarNode line)
                    {
                        yield return line;
                    }
                    else if (item is YamlSequenceNode nested)
                    {
                        foreach (var inner in nested.Children.OfType<YamlScalarNode>())
                        {
                            yield return inner;
                        }
                    }
                }

                break;
        }
    }

    private SourceLocation Loc(int offset)
    {
        var (line, column) = _file.Position(offset);
        return new SourceLocation(_file.Path, line, column);
    }

    private SourceLocation At(YamlNode node) => Loc((int)node.Start.Index);

    private void Add(string code, FindingLevel level, SourceLocation at, string? job, string message, string fix, IReadOnlyList<TextEdit>? edits = null) =>
        _findings.Add(new Finding { Code = code, Level = level, At = at, Job = job, Message = message, Fix = fix, Edits = edits ?? [] });
}
