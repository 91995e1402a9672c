using System.Text;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// in-toto statements shaped like the ones npm publishes: SLSA provenance v1 from GitHub Actions,
/// and the registry's publish attestation. Returned as the exact JSON text to put in a DSSE payload.
/// </summary>
public static class InTotoStatements
{
    public const string PayloadType = "application/vnd.in-toto+json";
    public const string StatementV1 = "https://in-toto.io/Statement/v1";
    public const string SlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
    public const string NpmPublishV01 = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
    public const string GitHubWorkflowBuildType = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";

    /// <summary>
    /// SLSA provenance v1 for an npm package built by <paramref name="identity"/>'s workflow, the way
    /// the npm CLI writes it. <paramref name="tarballSha512"/> is the raw 64-byte digest of the tarball.
    /// </summary>
    public static string NpmProvenanceV1(string packageName, string version, byte[] tarballSha512, GitHubWorkflowIdentity identity)
    {
        identity.Validate();
        var predicate = new JsonObject
        {
            ["buildDefinition"] = new JsonObject
            {
                ["buildType"] = GitHubWorkflowBuildType,
                ["externalParameters"] = new JsonObject
                {
                    ["workflow"] = new JsonObject
                    {
                        ["ref"] = identity.Ref,
                        ["repository"] = identity.SourceRepositoryUri,
                        ["path"] = identity.WorkflowPath,
                    },
                },
                ["internalParameters"] = new JsonObject
                {
                    ["github"] = new JsonObject
                    {
                        ["event_name"] = identity.Trigger,
                        ["repository_id"] = identity.RepositoryId,
                        ["repository_owner_id"] = identity.OwnerId,
                        ["runner_environment"] = identity.RunnerEnvironment,
                    },
                },
                ["resolvedDependencies"] = new JsonArray(new JsonObject
                {
                    ["uri"] = $"git+{identity.SourceRepositoryUri}@{identity.Ref}",
                    ["digest"] = new JsonObject { ["gitCommit"] = identity.Sha },
                }),
            },
            ["runDetails"] = new JsonObject
            {
                ["builder"] = new JsonObject { ["id"] = $"https://github.com/actions/runner/{identity.RunnerEnvironment}" },
                ["metadata"] = new JsonObject { ["invocationId"] = identity.RunInvocationUri },
            },
        };
        return Statement(packageName, version, tarballSha512, SlsaProvenanceV1, predicate);
    }

    /// <summary>The npm registry's publish attestation statement (signed with the registry's managed key).</summary>
    public static string NpmPublishAttestation(string packageName, string version, byte[] tarballSha512, string registry = "https://registry.npmjs.org")
    {
        var predicate = new JsonObject
        {
            ["name"] = packageName,
            ["version"] = version,
            ["registry"] = registry,
        };
        return Statement(packageName, version, tarballSha512, NpmPublishV01, predicate);
    }

    /// <summary>
    /// The package URL npm uses as the subject name: `pkg:npm/%40scope/name@version` (a scope's `@`
    /// percent-encoded, the slash kept).
    /// </summary>
    public static string NpmPackageUrl(string packageName, string version)
    {
        var name = packageName.StartsWith('@') ? "%40" + Escape(packageName[1..], keepSlash: true) : Escape(packageName, keepSlash: false);
        return $"pkg:npm/{name}@{Escape(version, keepSlash: false)}";
    }

    private static string Statement(string packageName, string version, byte[] sha512, string predicateType, JsonObject predicate)
    {
        if (sha512.Length != 64)
        {
            throw new ArgumentException("expected a raw SHA-512 digest (64 bytes)", nameof(sha512));
        }

        var statement = new JsonObject
        {
            ["_type"] = StatementV1,
            ["subject"] = new JsonArray(new JsonObject
            {
                ["name"] = NpmPackageUrl(packageName, version),
                ["digest"] = new JsonObject { ["sha512"] = Convert.ToHexStringLower(sha512) },
            }),
            ["predicateType"] = predicateType,
            ["predicate"] = predicate,
        };
        return statement.ToJsonString(Rfc8785Json.DocumentOptions);
    }

    private static string Escape(string text, bool keepSlash)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' || (keepSlash && c == '/'))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
