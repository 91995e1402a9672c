using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;

namespace Vouch.Audit.Tests;

/// <summary>
/// A warm audit judges the policy on the packument rebuilt from cached facts (<see cref="ImmutableFacts.ToPackument"/>),
/// which keeps less than the registry's document (no signatures, a trimmed history). Differential
/// property test: the real rules, the built-in policy and one with every rule on, decide and explain
/// exactly alike on both documents. Fixed seed, printed on failure.
/// </summary>
public sealed class ImmutableFactsPolicyTests
{
    private const string EveryRule = """
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

    private static readonly string[] Repositories = ["git+https://github.com/acme/widget.git", "git+https://github.com/evil/widget.git", "https://github.com/acme/other"];

    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ToPackument_WhenJudgedByEveryRule_DecidesAndExplainsAsTheRegistrysDocument()
    {
        const int seed = 61206;
        var random = new Random(seed);
        var time = new FixedTime(Now);
        var evaluators = new[] { new PolicyEvaluator(PolicyDocument.Default, time), new PolicyEvaluator(PolicyLoader.Parse(EveryRule, "every.yml"), time) };
        var compared = 0;
        var downgrades = 0;
        for (var round = 0; round < 300; round++)
        {
            var packument = RandomPackument(random);
            foreach (var version in packument.Versions.Values)
            {
                var facts = ImmutableFacts.Capture(packument, version, ReleaseLine.Predecessors(packument, version.Version), Now);
                Assert.True(facts is not null, $"seed {seed} round {round}");
                var rebuilt = facts!.ToPackument(packument.Name);
                var report = Report(packument, version, random);
                foreach (var evaluator in evaluators)
                {
                    var where = $"seed {seed} round {round} {version.Version}";
                    var expected = evaluator.Explain(new PolicySubject { Report = report, Packument = packument });
                    var actual = evaluator.Explain(new PolicySubject { Report = report, Packument = rebuilt });
                    Assert.True(Describe(expected) == Describe(actual), $"{where}\nregistry: {Describe(expected)}\nfacts:    {Describe(actual)}");
                    downgrades += expected.Count(o => o.Rule == "trust-downgrade" && o.Verdict == "fail");
                    compared++;
                }
            }
        }

        // Both outcomes must occur, or the comparison proves little.
        Assert.True(compared > 1000 && downgrades > 50, $"seed {seed}: {compared} compared, {downgrades} downgrades");
    }

    [Fact]
    public void Capture_WhenVersionsPrecedeTheLockedOne_KeepsOfThemOnlyWhatTrustDowngradeReads()
    {
        var packument = Parse("widget", [("1.0.0", 10, true, true, Repositories[0], null, true), ("1.1.0", 20, false, false, Repositories[1], "old", false)]);
        var locked = packument.Versions["1.1.0"];

        var facts = ImmutableFacts.Capture(packument, locked, ReleaseLine.Predecessors(packument, locked.Version), Now)!;

        var h = Assert.Single(facts.History);
        Assert.Equal(("1.0.0", true, "github", Repositories[0]), (h.Version, h.AttestationsUrl is not null, h.TrustedPublisher, h.Repository?.Url));
        Assert.Equal((null, null, null, null, null), (h.Integrity, h.ProvenancePredicateType, h.ApproverName, h.Gypfile, h.HasInstallScript));
        Assert.Empty(h.Scripts);
        Assert.Equal("old", facts.Deprecated);
        Assert.NotNull(facts.Version.Integrity);
    }

    private static Packument RandomPackument(Random random)
    {
        var versions = new List<(string, int, bool, bool, string?, string?, bool)>();
        var count = random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            versions.Add((
                $"{random.Next(0, 2)}.{i}.{random.Next(0, 3)}",
                (i * 10) + random.Next(0, 15),
                random.Next(3) == 0,
                random.Next(4) == 0,
                random.Next(4) == 0 ? null : Repositories[random.Next(Repositories.Length)],
                random.Next(6) == 0 ? "use 2.x" : null,
                random.Next(5) == 0));
        }

        return Parse("widget", versions);
    }

    /// <summary>A full packument as the registry serves it, from (version, days after the first, provenance, trusted publisher, repository, deprecated, install script).</summary>
    private static Packument Parse(string name, IReadOnlyList<(string Version, int Day, bool Provenance, bool Trusted, string? Repository, string? Deprecated, bool Script)> versions)
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

            var entry = new JsonObject { ["name"] = name, ["version"] = v.Version, ["dist"] = dist, ["_npmUser"] = v.Trusted ? new JsonObject { ["name"] = "GitHub Actions", ["trustedPublisher"] = new JsonObject { ["id"] = "github" } } : new JsonObject { ["name"] = "dev" } };
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
            times[v.Version] = Now.AddDays(-100 + v.Day).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        }

        var doc = new JsonObject { ["name"] = name, ["dist-tags"] = new JsonObject(), ["versions"] = entries, ["time"] = times };
        return Packument.Parse(Encoding.UTF8.GetBytes(doc.ToJsonString()), name);
    }

    private static PackageReport Report(Packument packument, PackageVersion v, Random random)
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

    private static string Describe(IReadOnlyList<RuleOutcome> outcomes) => string.Join(" | ", outcomes.Select(o =>
        $"{o.Rule} {o.Severity} {o.Verdict} [{o.Evidence}] {string.Join(", ", o.Findings.Select(f => $"{f.Code} {f.Severity} {f.Message} / {f.Evidence} / {f.Fix}"))}"));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
