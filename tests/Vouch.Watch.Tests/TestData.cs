using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Watch.Tests;

/// <summary>One version of a synthetic packument.</summary>
internal sealed record V(string Version)
{
    /// <summary>Advertise attestations and a trusted publisher (a CI release).</summary>
    public bool Ci { get; init; } = true;

    public string Publisher { get; init; } = "GitHub Actions";

    public Dictionary<string, string> Scripts { get; init; } = [];

    public string[] Dependencies { get; init; } = ["lottie-web"];

    public string[] Bin { get; init; } = [];

    public string[] Maintainers { get; init; } = ["alice"];

    public string? Deprecated { get; init; }

    public string Repository { get; init; } = "https://github.com/acme/player";

    public int Day { get; init; }
}

internal static class TestData
{
    public const string Name = "@acme/player";

    /// <summary>A full packument as the registry serves it; versions published a day apart in order.</summary>
    public static Packument Packument(IEnumerable<V> versions, Dictionary<string, string>? tags = null, string name = Name)
    {
        var list = versions.ToList();
        var versionsJson = new JsonObject();
        var time = new JsonObject { ["created"] = "2024-01-01T00:00:00.000Z", ["modified"] = "2024-06-01T00:00:00.000Z" };
        for (var i = 0; i < list.Count; i++)
        {
            var v = list[i];
            var dist = new JsonObject
            {
                ["tarball"] = $"https://registry.example/{name}/-/player-{v.Version}.tgz",
                ["integrity"] = "sha512-" + Convert.ToBase64String(new byte[64]),
            };
            var user = new JsonObject { ["name"] = v.Publisher, ["email"] = "p@example.com" };
            if (v.Ci)
            {
                dist["attestations"] = new JsonObject
                {
                    ["url"] = $"https://registry.example/-/npm/v1/attestations/{name}@{v.Version}",
                    ["provenance"] = new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v1" },
                };
                user["trustedPublisher"] = new JsonObject { ["id"] = "github", ["oidcConfigId"] = "oidc:1" };
            }

            var doc = new JsonObject
            {
                ["name"] = name,
                ["version"] = v.Version,
                ["dist"] = dist,
                ["_npmUser"] = user,
                ["repository"] = new JsonObject { ["type"] = "git", ["url"] = $"git+{v.Repository}.git" },
                ["scripts"] = Obj(v.Scripts),
                ["dependencies"] = Obj(v.Dependencies.ToDictionary(d => d, _ => "^1.0.0")),
                ["bin"] = Obj(v.Bin.ToDictionary(b => b, b => $"bin/{b}.js")),
                ["maintainers"] = new JsonArray([.. v.Maintainers.Select(m => (JsonNode)new JsonObject { ["name"] = m, ["email"] = $"{m}@example.com" })]),
            };
            if (v.Deprecated is not null)
            {
                doc["deprecated"] = v.Deprecated;
            }

            versionsJson[v.Version] = doc;
            time[v.Version] = new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero).AddDays(v.Day == 0 ? i : v.Day).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        }

        var packument = new JsonObject
        {
            ["name"] = name,
            ["dist-tags"] = Obj(tags ?? new() { ["latest"] = list[^1].Version }),
            ["versions"] = versionsJson,
            ["time"] = time,
        };
        return Vouch.Npm.Packument.Parse(Encoding.UTF8.GetBytes(packument.ToJsonString()), name);
    }

    /// <summary>What verifying a version established (as <see cref="PackageVerifier"/> reports it).</summary>
    public static PackageReport Report(string version, bool ci, string repository = "https://github.com/acme/player", string workflow = ".github/workflows/release.yml", string name = Name) => new()
    {
        Name = name,
        Version = version,
        EvidenceLevel = ci ? EvidenceLevel.TrustedPublisher : EvidenceLevel.None,
        TrustedPublisher = ci ? "github" : null,
        Provenance = ci
            ? new ProvenanceEvidence { Status = EvidenceStatus.Verified, Claims = new ProvenanceClaims { PredicateType = SlsaProvenance.V1, SourceRepository = repository, SourceCommit = "abc", WorkflowPath = workflow } }
            : new ProvenanceEvidence(),
    };

    private static JsonObject Obj(Dictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map)
        {
            o[k] = v;
        }

        return o;
    }
}

/// <summary>A clock the test moves.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
