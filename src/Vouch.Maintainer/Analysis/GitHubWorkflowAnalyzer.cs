using System.Text.RegularExpressions;
using Vouch.Maintainer.Fix;
using Vouch.Maintainer.Repo;
using Vouch.Maintainer.Yaml;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Vouch.Maintainer.Analysis;

/// <summary>
/// Reads one GitHub Actions workflow: which jobs publish to npm, how each publish step gets provenance
/// and credentials, and the risks of the workflow around them (docs/maintainer.md).
/// </summary>
internal sealed partial class GitHubWorkflowAnalyzer
{
    private static readonly HashSet<string> ErrorTriggers = new(StringComparer.Ordinal)
    {
        "pull_request_target", "workflow_run", "issue_comment", "pull_request_review", "pull_request_review_comment", "discussion", "discussion_comment", "issues",
    };

    private static readonly HashSet<string> WarningTriggers = new(StringComparer.Ordinal) { "pull_request", "merge_group" };

    // Actions that publish to npm when they run (lower case, without @ref).
    private static readonly HashSet<string> PublishActions = new(StringComparer.Ordinal)
    {
        "changesets/action/publish", "js-devtools/npm-publish", "shopify/snapit", "cycjimmy/semantic-release-action", "codfish/semantic-release-action",
    };

    private readonly YamlFile _file;
    private readonly RepositoryContents _repo;
    private readonly List<Finding> _findings;
    private readonly List<PublishingJob> _jobs;
    private readonly bool _publishConfig;
    private readonly bool _npmrcProvenance;
    private readonly bool _npmrcReadsNpmToken;

    private GitHubWorkflowAnalyzer(YamlFile file, RepositoryContents repo, List<Finding> findings, List<PublishingJob> jobs)
    {
        _file = file;
        _repo = repo;
        _findings = findings;
        _jobs = jobs;
        _publishConfig = repo.Packages.Any(p => p.Publishable && p.PublishConfigProvenance == true);
        _npmrcProvenance = repo.Npmrc is { } rc && NpmrcProvenance().IsMatch(rc);
        _npmrcReadsNpmToken = repo.Npmrc is { } rc2 && rc2.Contains("NPM_TOKEN", StringComparison.Ordinal);
    }

    public static void Analyze(YamlFile file, RepositoryContents repo, List<Finding> findings, List<PublishingJob> jobs) =>
        new GitHubWorkflowAnalyzer(file, repo, findings, jobs).Run();

    private sealed record StepInfo(YamlNode Node, int Index, string? Uses, YamlScalarNode? Run, Dictionary<string, (YamlScalarNode Key, YamlNode Value)> Env);

    private void Run()
    {
        if (_file.Root is not YamlMappingNode root)
        {
            return;
        }

        var wfPerms = root.Get("permissions");
        var wfEnv = EnvOf(root);
        var publishingJobs = new List<(string Name, YamlScalarNode Key, YamlNode Job, List<StepInfo> Steps)>();
        var allJobs = new List<(string Name, YamlScalarNode Key, YamlNode Job, List<StepInfo> Steps)>();
        foreach (var (name, key, job) in root.Get("jobs").Pairs())
        {
            var steps = job.Get("steps").Items().Select((s, i) => new StepInfo(s, i, s.ScalarAt("uses"), s.Get("run") as YamlScalarNode, EnvOf(s))).ToList();
            allJobs.Add((name, key, job, steps));
            if (AnalyzeJob(name, key, job, steps, wfPerms, wfEnv))
            {
                publishingJobs.Add((name, key, job, steps));
            }
        }

        if (publishingJobs.Count == 0)
        {
            return;
        }

        Triggers(root);
        if (IdTokenGranted(wfPerms, out var wfIdKey) && wfIdKey is not null)
        {
            Add(MaintainerCodes.IdTokenWorkflowLevel, FindingLevel.Warning, wfIdKey, null,
                "id-token: write is granted at workflow level, so every job of the workflow can mint an OIDC token that npm accepts for trusted publishing",
                "grant id-token: write only in the publishing job's own permissions");
        }

        var risky = RiskyTriggers(root).Any(t => ErrorTriggers.Contains(t.Name));
        var publishingNames = publishingJobs.Select(j => j.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, _, job, steps) in allJobs)
        {
            if (job.ScalarAt("uses") is { } reusable && job.Get("uses") is YamlScalarNode reusableNode)
            {
                Pinning(reusable, reusableNode, name);
            }

            foreach (var step in steps)
            {
                if (step.Uses is not null && step.Node.Get("uses") is YamlScalarNode usesNode)
                {
                    Pinning(step.Uses, usesNode, name);
                }

                if (step.Run is not null)
                {
                    Interpolations(step.Run, name, risky);
                    var (offset, raw) = _file.RawSpan(step.Run);
                    foreach (var (start, spec) in ShellCommands.UnpinnedRunners(raw))
                    {
                        _findings.Add(new Finding
                        {
                            Code = MaintainerCodes.UnpinnedTool,
                            Level = FindingLevel.Warning,
                            At = Loc(offset + start),
                            Job = name,
                            Message = $"'{spec}' runs without an exact version: unless it is installed from the lockfile, the registry's newest release runs in a publishing workflow",
                            Fix = $"install it as a devDependency (lockfile) or name an exact version ({spec.Split('@').Where(p => p.Length > 0).First()}@x.y.z)",
                        });
                    }
                }

                if (step.Uses?.StartsWith("actions/github-script@", StringComparison.OrdinalIgnoreCase) == true && step.Node.Get("with").Get("script") is YamlScalarNode script)
                {
                    Interpolations(script, name, risky);
                }

                if (!publishingNames.Contains(name) || !IsPublishStep(step))
                {
                    foreach (var (envName, (envKey, value)) in step.Env)
                    {
                        if (IsNpmTokenVariable(envName, value))
                        {
                            Add(MaintainerCodes.TokenExposed, FindingLevel.Warning, envKey, name,
                                $"{envName} carries an npm token into a step that does not publish; install and build scripts of every dependency run there and can read it",
                                "give the token only to the publish command, or drop it for trusted publishing");
                        }
                    }
                }
            }

            foreach (var (envName, (envKey, value)) in EnvOf(job))
            {
                if (IsNpmTokenVariable(envName, value))
                {
                    Add(MaintainerCodes.TokenExposed, FindingLevel.Warning, envKey, name,
                        $"{envName} carries an npm token into every step of job '{name}'",
                        "move it to the publish step's env, or drop it for trusted publishing");
                }
            }
        }

        foreach (var (envName, (envKey, value)) in wfEnv)
        {
            if (IsNpmTokenVariable(envName, value))
            {
                Add(MaintainerCodes.TokenExposed, FindingLevel.Warning, envKey, null,
                    $"{envName} carries an npm token into every job of the workflow",
                    "move it to the publish step's env, or drop it for trusted publishing");
            }
        }
    }

    private readonly HashSet<StepInfo> _publishSteps = [];

    private bool IsPublishStep(StepInfo step) => _publishSteps.Contains(step);

    /// <summary>Finds the publish steps of a job; records the job and its findings when there are some.</summary>
    private bool AnalyzeJob(string name, YamlScalarNode key, YamlNode job, List<StepInfo> steps, YamlNode? wfPerms, Dictionary<string, (YamlScalarNode Key, YamlNode Value)> wfEnv)
    {
        var perms = job.Get("permissions") ?? wfPerms;
        var idToken = IdTokenGranted(perms, out _);
        if (job.Get("uses") is YamlScalarNode { Value: { } called } calledNode)
        {
            return ReusableWorkflow(name, key, job, called, calledNode, idToken);
        }

        var jobEnv = EnvOf(job);
        string? registry = null;
        string? nodeVersion = null;
        YamlNode? nodeAt = null;
        string? npmVersion = null;
        YamlNode? npmAt = null;
        var npmrcTokenWritten = false;
        var publishSteps = new List<(StepInfo Step, PublishStep Publish, YamlScalarNode? TokenKey, PublishCommand? Command)>();
        foreach (var step in steps)
        {
            var env = Merge(wfEnv, jobEnv, step.Env);
            var uses = step.Uses?.Split('@')[0].ToLowerInvariant();
            if (uses == "actions/setup-node")
            {
                var with = step.Node.Get("with");
                if (with.ScalarAt("node-version") is { } nv)
                {
                    nodeVersion = nv.Contains("${{", StringComparison.Ordinal) ? null : nv;
                    nodeAt = with.Get("node-version");
                }

                registry = with.ScalarAt("registry-url") ?? registry;
            }

            var found = new List<(PublishStep Publish, YamlScalarNode? TokenKey, PublishCommand? Command)>();
            if (step.Run is not null)
            {
                var (offset, raw) = _file.RawSpan(step.Run);
                if (Toolchain.NpmInstall(step.Run.Value ?? string.Empty) is { } npm)
                {
                    npmVersion = npm;
                    npmAt = step.Run;
                }

                var writesToken = raw.Contains("_authToken", StringComparison.Ordinal);
                foreach (var command in ShellCommands.Find(raw, _repo.Packages))
                {
                    if (IsGitHubPackages(command.Registry ?? registry))
                    {
                        continue;
                    }

                    var (token, tokenKey) = TokenFor(command.Kind, env, step, writesToken || npmrcTokenWritten);
                    var flag = command.ProvenanceFlag || ProvenanceEnv(env, command.Kind);
                    found.Add((Publish(Loc(offset + command.Start), command.Kind, command.Text, token, flag, idToken), tokenKey, command with { FlagInsertAt = command.FlagInsertAt < 0 ? -1 : offset + command.FlagInsertAt }));
                }

                // A token written to the npm config persists for later steps unless the step removes it again.
                npmrcTokenWritten |= writesToken && !ConfigDelete().IsMatch(raw);
            }
            else if (uses is not null && step.Node.Get("uses") is YamlScalarNode usesNode)
            {
                var with = step.Node.Get("with");
                string? kind = null;
                var flag = ProvenanceEnv(env, "action");
                if (uses == "changesets/action" && with.ScalarAt("publish") is { } publishCommand)
                {
                    var inner = ShellCommands.Find(publishCommand, _repo.Packages);
                    kind = inner.Count > 0 || publishCommand.Length > 0 ? "changesets" : null;
                    flag |= inner.Any(c => c.ProvenanceFlag);
                }
                else if (PublishActions.Contains(uses) || uses.Contains("npm-publish", StringComparison.Ordinal))
                {
                    kind = uses.Contains("semantic-release", StringComparison.Ordinal) ? "semantic-release" : uses.StartsWith("changesets/", StringComparison.Ordinal) ? "changesets" : "action";
                    flag |= with.ScalarAt("provenance") is "true";
                }

                if (kind is not null && !IsGitHubPackages(with.ScalarAt("registry") ?? registry))
                {
                    var (token, tokenKey) = TokenFor(kind == "changesets" ? "changesets-action" : "action", env, step, npmrcTokenWritten);
                    found.Add((Publish(At(usesNode), kind, step.Uses!, token, flag, idToken), tokenKey, null));
                }
            }

            foreach (var f in found)
            {
                publishSteps.Add((step, f.Publish, f.TokenKey, f.Command));
                _publishSteps.Add(step);
            }
        }

        if (publishSteps.Count == 0)
        {
            return false;
        }

        var environment = job.Get("environment") switch
        {
            YamlScalarNode s => s.Value,
            YamlMappingNode m => m.ScalarAt("name"),
            _ => null,
        };
        var mode = publishSteps.Min(p => p.Publish.Provenance);
        _jobs.Add(new PublishingJob
        {
            File = _file.Path,
            Job = name,
            At = At(key),
            Platform = "github",
            Provenance = mode,
            IdToken = idToken,
            Environment = environment,
            Registry = registry,
            Steps = publishSteps.Select(p => p.Publish).ToList(),
        });

        // Provenance is requested but the job cannot mint the OIDC token npm signs it with: publish fails.
        string? idRefusal = null;
        var idTokenEdit = idToken ? null : AddIdToken(job, wfPerms, out idRefusal);
        if (!idToken && publishSteps.Any(p => p.Publish.Provenance is ProvenanceMode.Flag or ProvenanceMode.PublishConfig))
        {
            Add(MaintainerCodes.IdTokenMissing, FindingLevel.Error, key, name,
                $"job '{name}' asks npm for provenance but has no id-token: write, so npm cannot sign it (the publish fails)",
                idTokenEdit is null ? $"add id-token: write to the job's permissions ({idRefusal})" : "add id-token: write to the job's permissions",
                idTokenEdit is null ? [] : [idTokenEdit]);
        }

        foreach (var (step, publish, tokenKey, command) in publishSteps)
        {
            if (publish.Provenance == ProvenanceMode.None)
            {
                var edits = new List<TextEdit>();
                string? refusal = null;
                if (publish.Kind == "yarn-classic")
                {
                    refusal = "yarn 1 cannot publish with provenance; publish with npm";
                }
                else if (!idToken && idTokenEdit is null)
                {
                    refusal = "the job has no permissions block to add id-token: write to, and adding one would take away the default token's other permissions";
                }
                else
                {
                    var provenanceEdit = command is { FlagInsertAt: >= 0 }
                        ? YamlEdits.Insert(_file, command.FlagInsertAt, " --provenance")
                        : YamlEdits.AddVariable(_file, step.Node, "env", publish.Kind == "yarn" ? "YARN_NPM_PUBLISH_PROVENANCE" : "NPM_CONFIG_PROVENANCE", "true", out refusal);
                    if (provenanceEdit is not null)
                    {
                        edits.Add(provenanceEdit);
                        if (idTokenEdit is not null)
                        {
                            edits.Add(idTokenEdit);
                        }
                    }
                }

                var pos = publish.At;
                _findings.Add(new Finding
                {
                    Code = MaintainerCodes.NoProvenance,
                    Level = FindingLevel.Error,
                    At = pos,
                    Job = name,
                    Message = $"'{publish.Command}' publishes without provenance{(publish.UsesToken ? " (with a long-lived token)" : idToken ? string.Empty : " and the job has no id-token: write")}",
                    Fix = refusal is null
                        ? "configure trusted publishing (npm trust, below) and drop the token; until then, publish with --provenance and id-token: write"
                        : $"configure trusted publishing (npm trust, below) or publish with --provenance and id-token: write; not fixed automatically: {refusal}",
                    Edits = edits,
                });
            }

            if (publish.UsesToken)
            {
                Add(MaintainerCodes.LongLivedToken, FindingLevel.Warning, (YamlNode?)tokenKey ?? step.Node, name,
                    $"'{publish.Command}' authenticates with a long-lived npm token; a leaked token publishes from anywhere, without provenance",
                    "configure trusted publishing for the package (npm trust, below), then remove the token from the workflow and revoke it");
            }
            else
            {
                foreach (var (envName, (envKey, value)) in step.Env)
                {
                    if (IsNpmTokenVariable(envName, value))
                    {
                        Add(MaintainerCodes.TokenExposed, FindingLevel.Warning, envKey, name,
                            $"{envName} is given to '{publish.Command}' although nothing in the step reads it (npm reads NODE_AUTH_TOKEN through setup-node's .npmrc)",
                            "remove the variable; trusted publishing needs no token");
                    }
                }
            }
        }

        if (environment is null)
        {
            Add(MaintainerCodes.NoEnvironment, FindingLevel.Warning, key, name,
                $"publishing job '{name}' has no environment, so no reviewer or branch rule stands between a push and a publish",
                "add environment: <name> with required reviewers and a deployment branch rule, and name it in the npm trusted-publisher configuration");
        }

        var npmBased = publishSteps.Where(p => p.Publish.Kind is not ("pnpm" or "yarn" or "yarn-classic" or "bun")).ToList();
        if (npmBased.Count > 0 && Toolchain.Problem(nodeVersion, npmVersion) is { } problem)
        {
            var trusted = npmBased.Any(p => p.Publish.Provenance == ProvenanceMode.TrustedPublishing);
            Add(MaintainerCodes.ToolchainTooOld, trusted ? FindingLevel.Error : FindingLevel.Note, npmAt ?? nodeAt ?? key, name,
                $"{problem}: npm trusted publishing needs npm 11.5.1+ and Node 22.14.0+" + (trusted ? string.Empty : " (needed when this job moves to trusted publishing)"),
                "use node-version: 24 (or later) or run `npm install -g npm@^11.5.1` before publishing");
        }

        return true;
    }

    /// <summary>
    /// A job that calls a reusable workflow named for publishing (<c>uses: org/repo/.github/workflows/publish.yml@…</c>).
    /// Its steps are in another file, so only what the caller decides is judged: the permissions it
    /// grants (a called workflow gets at most those) and the npm secrets it passes.
    /// </summary>
    private bool ReusableWorkflow(string name, YamlScalarNode key, YamlNode job, string called, YamlScalarNode calledNode, bool idToken)
    {
        var path = called.Split('@')[0];
        if (!ShellCommands.IsPublishName(path[(path.LastIndexOf('/') + 1)..]))
        {
            return false;
        }

        YamlScalarNode? tokenKey = null;
        foreach (var (secret, secretKey, value) in job.Get("secrets").Pairs())
        {
            if (IsNpmTokenVariable(secret, value))
            {
                tokenKey = secretKey;
            }
        }

        var publish = Publish(At(calledNode), "reusable-workflow", called, tokenKey is not null, flag: false, idToken);
        _jobs.Add(new PublishingJob
        {
            File = _file.Path,
            Job = name,
            At = At(key),
            Platform = "github",
            Provenance = publish.Provenance,
            IdToken = idToken,
            Environment = null,
            Steps = [publish],
        });
        if (publish.Provenance == ProvenanceMode.None)
        {
            Add(MaintainerCodes.NoProvenance, FindingLevel.Error, calledNode, name,
                $"job '{name}' publishes through the reusable workflow '{called}' with {(tokenKey is null ? "no id-token: write" : "an npm token")}, so no provenance can be produced",
                "grant id-token: write to the calling job and publish with trusted publishing (npm trust, below) inside the reusable workflow");
        }

        if (tokenKey is not null)
        {
            Add(MaintainerCodes.LongLivedToken, FindingLevel.Warning, tokenKey, name,
                $"job '{name}' passes a long-lived npm token to the reusable workflow '{called}'",
                "configure trusted publishing for the package (npm trust, below), then stop passing the token and revoke it");
        }

        return true;
    }

    private PublishStep Publish(SourceLocation at, string kind, string command, bool token, bool flag, bool idToken)
    {
        var mode = kind == "yarn-classic" ? ProvenanceMode.None
            : !token && idToken ? ProvenanceMode.TrustedPublishing
            : flag ? ProvenanceMode.Flag
            : _publishConfig && kind != "yarn" ? ProvenanceMode.PublishConfig
            : ProvenanceMode.None;
        return new PublishStep { At = at, Kind = kind, Command = command, Provenance = mode, UsesToken = token };
    }

    /// <summary>
    /// Does a long-lived npm token reach this publish command? npm reads NODE_AUTH_TOKEN through the
    /// .npmrc setup-node writes, and any token written into an .npmrc; NPM_TOKEN only matters to tools
    /// that read it themselves (changesets/action, semantic-release, publish actions) or to an .npmrc
    /// that names it.
    /// </summary>
    private (bool Token, YamlScalarNode? Key) TokenFor(string kind, Dictionary<string, (YamlScalarNode Key, YamlNode Value)> env, StepInfo step, bool npmrcToken)
    {
        foreach (var (name, (key, value)) in env)
        {
            if (!NonEmpty(value))
            {
                continue;
            }

            var upper = name.ToUpperInvariant();
            if (upper == "NODE_AUTH_TOKEN" || upper.StartsWith("NPM_CONFIG__AUTH", StringComparison.Ordinal) || (upper.StartsWith("NPM_CONFIG_//", StringComparison.Ordinal) && upper.EndsWith("_AUTHTOKEN", StringComparison.Ordinal)))
            {
                return (true, key);
            }

            if (upper == "NPM_TOKEN" && (kind is "changesets-action" or "action" or "semantic-release" or "release-it" || _npmrcReadsNpmToken
                || (step.Run?.Value?.Contains("NPM_TOKEN", StringComparison.Ordinal) ?? false)))
            {
                return (true, key);
            }
        }

        foreach (var (name, key, value) in step.Node.Get("with").Pairs())
        {
            if (name.Contains("token", StringComparison.OrdinalIgnoreCase) && !name.Contains("github", StringComparison.OrdinalIgnoreCase)
                && value.Scalar() is { Length: > 0 } v && !v.Contains("GITHUB_TOKEN", StringComparison.Ordinal) && !v.Contains("github.token", StringComparison.Ordinal))
            {
                return (true, key);
            }
        }

        return (npmrcToken, null);
    }

    private bool ProvenanceEnv(Dictionary<string, (YamlScalarNode Key, YamlNode Value)> env, string kind)
    {
        foreach (var (name, (_, value)) in env)
        {
            var upper = name.ToUpperInvariant();
            if ((upper == "NPM_CONFIG_PROVENANCE" || (kind == "yarn" && upper == "YARN_NPM_PUBLISH_PROVENANCE"))
                && string.Equals(value.Scalar()?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return _npmrcProvenance && kind != "yarn";
    }

    private TextEdit? AddIdToken(YamlNode job, YamlNode? wfPerms, out string? refusal)
    {
        var perms = job.Get("permissions");
        if (perms is YamlMappingNode { Children.Count: > 0 })
        {
            return YamlEdits.InsertIntoMapping(_file, perms, ["id-token: write"], out refusal);
        }

        if (perms is YamlMappingNode { Style: MappingStyle.Flow, Children.Count: 0 } empty && !_file.HasAliases)
        {
            // `{}` (or `{ }`): replace the braces; node end marks are not reliable for empty flow mappings.
            var open = (int)empty.Start.Index;
            var close = open + 1;
            while (close < _file.Text.Length && _file.Text[close] == ' ')
            {
                close++;
            }

            if (open < _file.Text.Length && _file.Text[open] == '{' && close < _file.Text.Length && _file.Text[close] == '}')
            {
                refusal = null;
                return new TextEdit(_file.Path, open, close - open + 1, "{ id-token: write }");
            }

            refusal = "the job's empty permissions are not written as {}";
            return null;
        }

        if (perms is not null)
        {
            refusal = "the job's permissions are not a mapping";
            return null;
        }

        if (wfPerms is YamlMappingNode { Children.Count: > 0, Style: not MappingStyle.Flow } wf)
        {
            // A job-level block replaces the workflow's, so carry the workflow's grants over.
            var lines = new List<string> { "permissions:" };
            foreach (var (k, _, v) in wf.Pairs())
            {
                if (k != "id-token" && v.Scalar() is { } s)
                {
                    lines.Add($"  {k}: {s}");
                }
            }

            lines.Add("  id-token: write");
            return YamlEdits.InsertIntoMapping(_file, job, lines, out refusal);
        }

        if (wfPerms is YamlMappingNode { Children.Count: 0 })
        {
            return YamlEdits.InsertIntoMapping(_file, job, ["permissions:", "  id-token: write"], out refusal);
        }

        refusal = wfPerms is null
            ? "neither the job nor the workflow has a permissions block, and adding one would take away the default token's other permissions"
            : "the workflow's permissions are not a block mapping";
        return null;
    }

    private static bool IdTokenGranted(YamlNode? perms, out YamlScalarNode? key)
    {
        key = null;
        switch (perms)
        {
            case YamlScalarNode { Value: "write-all" } s:
                key = s;
                return true;
            case YamlMappingNode:
                key = perms.KeyNode("id-token");
                return perms.ScalarAt("id-token") == "write";
            default:
                return false;
        }
    }

    private void Triggers(YamlMappingNode root)
    {
        foreach (var (name, node, detail) in RiskyTriggers(root))
        {
            var error = ErrorTriggers.Contains(name);
            Add(MaintainerCodes.RiskyTrigger, error ? FindingLevel.Error : FindingLevel.Warning, node, null,
                error
                    ? $"the publishing workflow runs on '{name}'{detail}, an event others can cause, with the workflow's secrets and permissions"
                    : $"the publishing workflow also runs on '{name}'{detail}; only a job condition keeps pull-request runs from publishing",
                error
                    ? "publish from a workflow triggered only by push of a tag/branch, release or workflow_dispatch, behind a protected environment"
                    : "move publishing to its own workflow triggered by a tag push or release");
        }
    }

    private static IEnumerable<(string Name, YamlNode Node, string Detail)> RiskyTriggers(YamlMappingNode root)
    {
        var on = root.Get("on");
        IEnumerable<(string, YamlNode, YamlNode?)> triggers = on switch
        {
            YamlScalarNode s when s.Value is not null => [(s.Value, s, null)],
            YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Where(s => s.Value is not null).Select(s => (s.Value!, (YamlNode)s, (YamlNode?)null)),
            YamlMappingNode => on.Pairs().Select(p => (p.Key, (YamlNode)p.KeyNode, (YamlNode?)p.Value)),
            _ => [],
        };
        foreach (var (name, node, value) in triggers)
        {
            if (ErrorTriggers.Contains(name) || WarningTriggers.Contains(name))
            {
                var types = value.Get("types") switch
                {
                    YamlSequenceNode t => string.Join(", ", t.Children.Select(c => c.Scalar())),
                    YamlScalarNode t => t.Value,
                    _ => null,
                };
                yield return (name, node, types is null ? string.Empty : $" (types: {types})");
            }
        }
    }

    private void Pinning(string uses, YamlScalarNode node, string job)
    {
        if (uses.StartsWith("./", StringComparison.Ordinal) || !uses.Contains('@', StringComparison.Ordinal))
        {
            return;
        }

        if (uses.StartsWith("docker://", StringComparison.Ordinal))
        {
            if (!uses.Contains("@sha256:", StringComparison.Ordinal))
            {
                Add(MaintainerCodes.UnpinnedAction, FindingLevel.Warning, node, job, $"'{uses}' is a container image by tag, which its owner can move", "pin the image by digest (@sha256:...)");
            }

            return;
        }

        var at = uses.LastIndexOf('@');
        var reference = uses[(at + 1)..];
        if (Sha().IsMatch(reference))
        {
            return;
        }

        var owner = uses[..uses.IndexOfAny(['/', '@'])].ToLowerInvariant();
        var firstParty = owner is "actions" or "github";
        Add(MaintainerCodes.UnpinnedAction, firstParty ? FindingLevel.Note : FindingLevel.Warning, node, job,
            $"'{uses}' is pinned to '{reference}', a tag or branch its owner can move to other code that then runs in a publishing workflow",
            $"pin it to the full 40-character commit SHA of {reference} (keep the tag in a comment)");
    }

    private void Interpolations(YamlScalarNode script, string job, bool riskyTrigger)
    {
        var (offset, raw) = _file.RawSpan(script);
        foreach (var (at, text, trust, context) in Expressions.Scan(raw))
        {
            var pos = _file.Position(offset + at);
            var location = new SourceLocation(_file.Path, pos.Line, pos.Column);
            switch (trust)
            {
                case Expressions.Trust.Untrusted:
                case Expressions.Trust.Derived when riskyTrigger:
                    _findings.Add(new Finding
                    {
                        Code = MaintainerCodes.UntrustedInput,
                        Level = FindingLevel.Error,
                        At = location,
                        Job = job,
                        Message = $"{text} ({context}) is pasted into a shell script; text an outsider controls can run commands with the workflow's secrets",
                        Fix = "pass it through env: (VALUE: ${{ ... }}) and use \"$VALUE\" in the script",
                    });
                    break;
                case Expressions.Trust.Derived:
                    _findings.Add(new Finding
                    {
                        Code = MaintainerCodes.UntrustedInput,
                        Level = FindingLevel.Warning,
                        At = location,
                        Job = job,
                        Message = $"{text} ({context}) is pasted into a shell script of a publishing workflow; its value becomes shell code",
                        Fix = "pass it through env: (VALUE: ${{ ... }}) and use \"$VALUE\" in the script",
                    });
                    break;
                case Expressions.Trust.Secret:
                    _findings.Add(new Finding
                    {
                        Code = MaintainerCodes.SecretInRun,
                        Level = FindingLevel.Warning,
                        At = location,
                        Job = job,
                        Message = $"{text} is pasted into a shell script: it lands on command lines and in files, where masking does not follow it",
                        Fix = "pass the secret through env: and read the variable in the script",
                    });
                    break;
            }
        }
    }

    private static bool IsNpmTokenVariable(string name, YamlNode value)
    {
        if (!NonEmpty(value))
        {
            return false;
        }

        var upper = name.ToUpperInvariant();
        var v = value.Scalar() ?? string.Empty;
        return upper is "NODE_AUTH_TOKEN" or "NPM_TOKEN" || (v.Contains("secrets.", StringComparison.Ordinal) && v.Contains("npm", StringComparison.OrdinalIgnoreCase));
    }

    private static bool NonEmpty(YamlNode value) => value is not YamlScalarNode s || !string.IsNullOrWhiteSpace(s.Value);

    private static bool IsGitHubPackages(string? registry) =>
        registry is not null && registry.Contains("npm.pkg.github.com", StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, (YamlScalarNode Key, YamlNode Value)> EnvOf(YamlNode node)
    {
        var env = new Dictionary<string, (YamlScalarNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (k, key, v) in node.Get("env").Pairs())
        {
            env[k] = (key, v);
        }

        return env;
    }

    private static Dictionary<string, (YamlScalarNode Key, YamlNode Value)> Merge(params Dictionary<string, (YamlScalarNode Key, YamlNode Value)>[] levels)
    {
        var merged = new Dictionary<string, (YamlScalarNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var level in levels)
        {
            foreach (var (k, v) in level)
            {
                merged[k] = v;
            }
        }

        return merged;
    }

    private SourceLocation Loc(int offset)
    {
        var (line, column) = _file.Position(offset);
        return new SourceLocation(_file.Path, line, column);
    }

    private SourceLocation At(YamlNode node)
    {
        var (line, column) = _file.Position((int)node.Start.Index);
        return new SourceLocation(_file.Path, line, column);
    }

    private void Add(string code, FindingLevel level, YamlNode node, string? job, string message, string fix, IReadOnlyList<TextEdit>? edits = null) =>
        _findings.Add(new Finding { Code = code, Level = level, At = At(node), Job = job, Message = message, Fix = fix, Edits = edits ?? [] });

    [GeneratedRegex(@"config\s+(?:delete|rm)\s+\S*_authToken", RegexOptions.None, 1000)]
    private static partial Regex ConfigDelete();

    [GeneratedRegex("^[0-9a-f]{40}$", RegexOptions.None, 1000)]
    private static partial Regex Sha();

    [GeneratedRegex(@"(?m)^\s*provenance\s*=\s*true\s*$", RegexOptions.None, 1000)]
    private static partial Regex NpmrcProvenance();
}
