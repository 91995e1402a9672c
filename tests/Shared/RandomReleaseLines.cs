using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Tests;

/// <summary>
/// Random release lines for the policy's differential property tests (the audit's kept facts against
/// the registry's document; verdict-only evaluation against the full explanation): full packuments
/// as the registry serves them, and verified reports for their versions. Deterministic for a seed.
/// </summary>
internal static class RandomReleaseLines
{
    /// <summary>Every rule a release line exercises, on (the built-in policy leaves most of them off).</summary>
    public const string EveryRulePolicy = """
        version: 1
        rules:
          provenance: warn
          signature: error
          trust-downgrade: error
          deprecated: warn
          install-scripts: warn
          release-age:
            severity: warn
            minimum: 3d
          source:
            severity: warn
            allowed:
              - packages: ["*"]
                repositories: ["github.com/acme/*"]
        """;

    /// <summary>Repositories a version may name: the allowed one, a moved one, another of the same owner.</summary>
    public static readonly string[] Repositories = ["git+https://github.com/acme/widget.git", "git+https://github.com/evil/widget.git", "https://github.com/acme/other"];

    /// <summary>One to five versions of "widget", published in order over about 100 days before <paramref name="now"/>.</summary>
    public static Packument Packument(Random random, DateTimeOffset now)
    {
        var versions = new List<Release>();
        var count = random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            versions.Add(new Release(
                $"{random.Next(0, 2)}.{i}.{random.Next(0, 3)}",
                (i * 10) + random.Next(0, 15),
                Provenance: random.Next(3) == 0,
                Trusted: random.Next(4) == 0,
                Approver: random.Next(8) == 0,
                Repository: random.Next(4) == 0 ? null : Repositories[random.Next(Repositories.Length)],
                Deprecated: random.Next(6) == 0 ? "use 2.x" : null,
                Script: random.Next(5) == 0));
        }

        return Parse("widget", versions, now);
    }

    /// <summary>One version of a release line: its number, days after the first, and what it advertises.</summary>
    public sealed record Release(string Version, int Day, bool Provenance = false, bool Trusted = false, bool Approver = false, string? Repository = null, string? Deprecated = null, bool Script = false);

    /// <summary>A full packument as the registry serves it (signed versions; the first of equal numbers wins).</summary>
    public static Packument Parse(string name, IReadOnlyList<Release> versions, DateTimeOffset now)
    {
        var entries = new JsonObject();
        var times = new JsonObject { ["created"] = "2026-01-01T00:00:00.000Z" };
        foreach (var v in versions)
        {
            if (entries.ContainsKey(v.Version))
            {
                continue;
            }

            var dist = new JsonObject
            {
                ["tarball"] = $"https://registry.example/{name}/-/{name}-{v.Version}.tgz",
                ["integrity"] = "sha512-" + Convert.ToBase64String(new byte[64]),
                ["shasum"] = new string('a', 40),
                ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = "SHA256:k", ["sig"] = "MEUCIQ" }),
            };
            if (v.Provenance)
            {
                dist["attestations"] = new JsonObject { ["url"] = $"https://registry.example/-/npm/v1/attestations/{name}@{v.Version}", ["provenance"] = new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v1" } };
            }

            var user = v.Trusted ? new JsonObject { ["name"] = "GitHub Actions", ["trustedPublisher"] = new JsonObject { ["id"] = "github" } } : new JsonObject { ["name"] = "dev" };
            if (v.Approver)
            {
                user["approver"] = new JsonObject { ["name"] = "reviewer" };
            }

            var entry = new JsonObject { ["name"] = name, ["version"] = v.Version, ["dist"] = dist, ["_npmUser"] = user };
            if (v.Repository is not null)
            {
                entry["repository"] = new JsonObject { ["type"] = "git", ["url"] = v.Repository };
            }

            if (v.Deprecated is not null)
            {
                entry["deprecated"] = v.Deprecated;
            }

            if (v.Script)
            {
                entry["scripts"] = new JsonObject { ["postinstall"] = "node install.js" };
                entry["hasInstallScript"] = true;
            }

            entries[v.Version] = entry;
            times[v.Version] = now.AddDays(-100 + v.Day).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        }

        var doc = new JsonObject { ["name"] = name, ["dist-tags"] = new JsonObject(), ["versions"] = entries, ["time"] = times };
        return Vouch.Npm.Packument.Parse(Encoding.UTF8.GetBytes(doc.ToJsonString()), name);
    }

    /// <summary>
    /// A verified report for <paramref name="v"/>: its advertised provenance usually verified (not always),
    /// its signature usually present, its provenance naming a random repository.
    /// </summary>
    public static PackageReport Report(Packument packument, PackageVersion v, Random random)
    {
        var provenance = v.Dist.Attestations is not null && random.Next(4) != 0;
        var repository = Repositories[random.Next(Repositories.Length)].Replace("git+", "", StringComparison.Ordinal).Replace(".git", "", StringComparison.Ordinal);
        return new PackageReport
        {
            Name = packument.Name,
            Version = v.Version.ToString(),
            Integrity = new IntegrityReport("verified", "sha512"),
            Signature = new SignatureReport(random.Next(5) == 0 ? "absent" : "verified", "SHA256:k"),
            Provenance = provenance
                ? new ProvenanceEvidence { Status = EvidenceStatus.Verified, Claims = new ProvenanceClaims { SourceRepository = repository, PredicateType = "https://slsa.dev/provenance/v1" }, Issuer = "https://token.actions.githubusercontent.com", RunnerEnvironment = "github-hosted" }
                : new ProvenanceEvidence(),
            EvidenceLevel = provenance ? (v.NpmUser?.TrustedPublisher is not null ? EvidenceLevel.TrustedPublisher : EvidenceLevel.Provenance) : EvidenceLevel.None,
            PublishTime = packument.Time.TryGetValue(v.Version.Version, out var t) ? t : null,
            PublishTimeSource = "packument",
            RepositoryUrl = v.Repository?.Url,
        };
    }
}
