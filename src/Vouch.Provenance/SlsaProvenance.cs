using System.Text.Json;
using static Vouch.Sigstore.Json.JsonNavigation;
using Vouch.Common.Json;

namespace Vouch.Provenance;

/// <summary>What a SLSA provenance predicate (v0.2 or v1, as npm writes them) claims about a build.</summary>
public sealed record ProvenanceClaims
{
    public required string PredicateType { get; init; }

    public string? BuildType { get; init; }

    /// <summary>e.g. `https://github.com/owner/repo`.</summary>
    public string? SourceRepository { get; init; }

    /// <summary>e.g. `refs/tags/v1.0.0`.</summary>
    public string? SourceRef { get; init; }

    /// <summary>The git commit built.</summary>
    public string? SourceCommit { get; init; }

    /// <summary>e.g. `.github/workflows/release.yml`.</summary>
    public string? WorkflowPath { get; init; }

    public string? BuilderId { get; init; }

    /// <summary>The event that started the build (`push`, `release`, `workflow_dispatch`…).</summary>
    public string? BuildTrigger { get; init; }

    /// <summary>The CI run that built it.</summary>
    public string? InvocationUrl { get; init; }
}

/// <summary>Parses npm's SLSA provenance predicates (GitHub Actions and GitLab CI build types).</summary>
public static class SlsaProvenance
{
    public const string V02 = "https://slsa.dev/provenance/v0.2";
    public const string V1 = "https://slsa.dev/provenance/v1";

    public static bool IsProvenance(string predicateType) => predicateType is V02 or V1;

    /// <summary>Returns the claims, or null with the reason when the predicate lacks what npm always writes.</summary>
    public static ProvenanceClaims? Parse(string predicateType, string predicateJson, out string? problem)
    {
        problem = null;
        try
        {
            using var doc = JsonInput.Parse(predicateJson, Limits.MaxJsonDepth);
            var p = doc.RootElement;
            var claims = predicateType == V1 ? ParseV1(p) : ParseV02(p);
            if (claims.SourceRepository is null || claims.SourceCommit is null)
            {
                problem = "the provenance predicate names no source repository or commit";
                return null;
            }

            return claims;
        }
        catch (JsonException e)
        {
            problem = $"the provenance predicate is not JSON ({e.Message})";
            return null;
        }
    }

    private static ProvenanceClaims ParseV1(JsonElement p)
    {
        var def = Get(p, "buildDefinition");
        var workflow = Get(def, "externalParameters", "workflow");
        var repository = Str(workflow, "repository");
        var reference = Str(workflow, "ref");
        var path = Str(workflow, "path");
        string? commit = null;
        if (Get(def, "resolvedDependencies") is { ValueKind: JsonValueKind.Array } deps)
        {
            foreach (var d in deps.EnumerateArray())
            {
                if (Str(Get(d, "digest"), "gitCommit") is { } c)
                {
                    commit = c;
                    break;
                }
            }
        }

        var github = Get(def, "internalParameters", "github");
        return new ProvenanceClaims
        {
            PredicateType = V1,
            BuildType = Str(def, "buildType"),
            SourceRepository = repository,
            SourceRef = reference,
            SourceCommit = commit,
            WorkflowPath = path,
            BuilderId = Str(Get(p, "runDetails", "builder"), "id"),
            BuildTrigger = Str(github, "event_name"),
            InvocationUrl = Str(Get(p, "runDetails", "metadata"), "invocationId"),
        };
    }

    private static ProvenanceClaims ParseV02(JsonElement p)
    {
        var config = Get(p, "invocation", "configSource");
        var uri = Str(config, "uri");
        string? repository = null, reference = null;
        if (uri is not null)
        {
            // git+https://github.com/owner/repo@refs/tags/v1.0.0
            var u = uri.StartsWith("git+", StringComparison.Ordinal) ? uri[4..] : uri;
            var at = u.LastIndexOf('@');
            repository = at > 0 ? u[..at] : u;
            reference = at > 0 ? u[(at + 1)..] : null;
        }

        var env = Get(p, "invocation", "environment");
        var entryPoint = Str(config, "entryPoint");
        string? path = null;
        if (entryPoint is not null)
        {
            // owner/repo/.github/workflows/publish.yml@refs/tags/v1.0.0 (GitHub); a file name (GitLab).
            var at = entryPoint.LastIndexOf('@');
            var withoutRef = at > 0 ? entryPoint[..at] : entryPoint;
            var repoPath = Str(env, "GITHUB_REPOSITORY");
            path = repoPath is not null && withoutRef.StartsWith(repoPath + "/", StringComparison.Ordinal) ? withoutRef[(repoPath.Length + 1)..] : withoutRef;
        }

        string? invocation = null;
        if (Str(env, "GITHUB_REPOSITORY") is { } repo && Str(env, "GITHUB_RUN_ID") is { } run)
        {
            invocation = $"https://github.com/{repo}/actions/runs/{run}/attempts/{Str(env, "GITHUB_RUN_ATTEMPT") ?? "1"}";
        }
        else if (Str(env, "CI_JOB_URL") is { } job)
        {
            invocation = job;
        }

        return new ProvenanceClaims
        {
            PredicateType = V02,
            BuildType = Str(p, "buildType"),
            SourceRepository = repository,
            SourceRef = reference,
            SourceCommit = Str(Get(config, "digest"), "sha1"),
            WorkflowPath = path,
            BuilderId = Str(Get(p, "builder"), "id"),
            BuildTrigger = Str(env, "GITHUB_EVENT_NAME") ?? Str(env, "CI_PIPELINE_SOURCE"),
            InvocationUrl = invocation,
        };
    }
}
