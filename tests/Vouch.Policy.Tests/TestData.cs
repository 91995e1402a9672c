using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Policy.Tests;

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Writes packument JSON by hand and parses it with the real parser.</summary>
internal sealed class PackumentBuilder(string name)
{
    private readonly JsonObject _versions = [];
    private readonly JsonObject _time = [];

    public PackumentBuilder Version(
        string version,
        DateTimeOffset published,
        bool provenance = false,
        bool trusted = false,
        bool approver = false,
        bool signature = true,
        string? repository = null,
        string? deprecated = null,
        IReadOnlyDictionary<string, string>? scripts = null,
        bool? gypfile = null,
        string? npmUser = null)
    {
        var escaped = name.Replace("/", "%2f", StringComparison.Ordinal);
        var dist = new JsonObject
        {
            ["tarball"] = $"https://registry.example/{name}/-/{name.Split('/')[^1]}-{version}.tgz",
            ["integrity"] = "sha512-" + Convert.ToBase64String(new byte[64]),
        };
        if (signature)
        {
            dist["signatures"] = new JsonArray(new JsonObject { ["keyid"] = "SHA256:test", ["sig"] = "MEUCIQ==" });
        }

        if (provenance)
        {
            dist["attestations"] = new JsonObject
            {
                ["url"] = $"https://registry.example/-/npm/v1/attestations/{escaped}@{version}",
                ["provenance"] = new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v1" },
            };
        }

        var user = new JsonObject { ["name"] = npmUser ?? (trusted ? "GitHub Actions" : "maintainer"), ["email"] = "m@example.com" };
        if (trusted)
        {
            user["trustedPublisher"] = new JsonObject { ["id"] = "github", ["oidcConfigId"] = "oidc:1" };
        }

        if (approver)
        {
            user["approver"] = new JsonObject { ["name"] = "reviewer", ["email"] = "r@example.com" };
        }

        var entry = new JsonObject
        {
            ["name"] = name,
            ["version"] = version,
            ["dist"] = dist,
            ["_npmUser"] = user,
        };
        if (repository is not null)
        {
            entry["repository"] = new JsonObject { ["type"] = "git", ["url"] = repository };
        }

        if (deprecated is not null)
        {
            entry["deprecated"] = deprecated;
        }

        if (scripts is not null)
        {
            var s = new JsonObject();
            foreach (var (k, v) in scripts)
            {
                s[k] = v;
            }

            entry["scripts"] = s;
        }

        if (gypfile is not null)
        {
            entry["gypfile"] = gypfile.Value;
        }

        _versions[version] = entry;
        _time[version] = published.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        return this;
    }

    public Packument Build()
    {
        var doc = new JsonObject
        {
            ["name"] = name,
            ["dist-tags"] = new JsonObject(),
            ["versions"] = _versions.DeepClone(),
            ["time"] = _time.DeepClone(),
        };
        return Packument.Parse(Encoding.UTF8.GetBytes(doc.ToJsonString()), name);
    }
}

internal static class Reports
{
    public const string GitHubIssuer = "https://token.actions.githubusercontent.com";
    public const string GitHubBuilder = "https://github.com/actions/runner/github-hosted";

    /// <summary>A verified report as PackageVerifier would produce it from the version's evidence.</summary>
    public static PackageReport For(
        Packument packument,
        string version,
        bool? provenance = null,
        string repository = "https://github.com/acme/widget",
        string sourceRef = "refs/tags/v1.0.0",
        string workflow = ".github/workflows/release.yml",
        string builder = GitHubBuilder,
        string issuer = GitHubIssuer,
        string runner = "github-hosted",
        DateTimeOffset? publishTime = null,
        string? publishTimeSource = null)
    {
        var v = packument.Versions[version];
        var hasProvenance = provenance ?? v.Dist.Attestations is not null;
        var time = publishTime ?? (packument.Time.TryGetValue(version, out var t) ? t : null);
        return new PackageReport
        {
            Name = packument.Name,
            Version = version,
            Integrity = new IntegrityReport("verified", "sha512"),
            Signature = new SignatureReport(v.Dist.Signatures.Count > 0 ? "verified" : "absent", v.Dist.Signatures.Count > 0 ? "SHA256:test" : null),
            Provenance = hasProvenance
                ? new ProvenanceEvidence
                {
                    Status = EvidenceStatus.Verified,
                    Claims = new ProvenanceClaims
                    {
                        PredicateType = SlsaProvenance.V1,
                        SourceRepository = repository,
                        SourceRef = sourceRef,
                        SourceCommit = "0123456789abcdef0123456789abcdef01234567",
                        WorkflowPath = workflow,
                        BuilderId = builder,
                    },
                    Issuer = issuer,
                    RunnerEnvironment = runner,
                    LogIndex = 1,
                }
                : new ProvenanceEvidence(),
            EvidenceLevel = EvidenceLevels.Rank(hasProvenance, v.NpmUser?.TrustedPublisher is not null, v.NpmUser?.Approver is not null),
            TrustedPublisher = v.NpmUser?.TrustedPublisher?.Id,
            Approver = v.NpmUser?.Approver?.Name,
            PublishTime = time,
            PublishTimeSource = publishTimeSource ?? (time is null ? null : "packument"),
            RepositoryUrl = v.Repository?.Url,
        };
    }
}

internal static class Policies
{
    public static PolicyDocument Parse(string yaml) => PolicyLoader.Parse(yaml, "test.vouch.policy.yml");

    public static PolicyVerdict Evaluate(string yaml, PolicySubject subject, DateTimeOffset now) =>
        new PolicyEvaluator(Parse(yaml), new FixedTime(now)).Evaluate(subject);

    public static DateTimeOffset Day(string date) => DateTimeOffset.Parse(date + "T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
}
