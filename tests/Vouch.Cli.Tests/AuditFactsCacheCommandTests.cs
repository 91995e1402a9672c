using System.Text;
using System.Text.Json.Nodes;
using Vouch.Audit;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch audit` with the built-in policy judging from cached immutable facts: a warm run decides as
/// a cold one, an edited cache cannot lift the lottie-player downgrade, the facts a cache keeps make
/// the policy decide exactly as the full packument does, and the options around them.
/// </summary>
public sealed class AuditFactsCacheCommandTests : IAsyncLifetime
{
    private const string Name = "@lottiefiles/lottie-player";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-audit-facts-cli-");
    private SandboxRegistry _registry = null!;

    private string Cache => Path.Combine(_dir.FullName, "cache");

    public async Task InitializeAsync() => _registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Audit_WhenRunWarmWithTheDefaultPolicy_DecidesFromTheCacheAsTheColdRunDid()
    {
        var project = await ProjectPinning("2.0.5");
        var (coldExit, cold, coldErr) = await Audit(project, "--json");
        var requests = _registry.RequestCount;

        var (warmExit, warm, warmErr) = await Audit(project, "--json");

        Assert.True(coldExit == 1, coldErr);
        Assert.True(warmExit == 1, warmErr);
        Assert.Equal(0, (int)JsonNode.Parse(cold)!["totals"]!["fromCache"]!);
        Assert.Equal(1, (int)JsonNode.Parse(warm)!["totals"]!["fromCache"]!);
        Assert.Equal(Codes(cold), Codes(warm));
        Assert.Contains("VOUCH_POLICY_TRUST_DOWNGRADE", Codes(warm));

        // No packument or attestation on the warm run: at most the registry's key list (asked by the key loader and the signing check).
        Assert.True(_registry.RequestCount - requests <= 2, $"{_registry.RequestCount - requests} requests on the warm run");
    }

    [Fact]
    public async Task Audit_WhenTheCachedHistoryIsEdited_TheDowngradeStillExitsOne()
    {
        var project = await ProjectPinning("2.0.5");
        Assert.Equal(1, (await Audit(project, "--json")).Exit);

        // Erase every trace of stronger evidence from the recorded history, keeping the old seal.
        var edits = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Cache, "audit-evidence"), "*.pack", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            var node = JsonNode.Parse(text[(newline + 1)..])!;
            foreach (var h in node["entries"]!.AsArray().SelectMany(e => e!["value"]!["facts"]?["history"]?.AsArray() ?? []))
            {
                h!.AsObject().Remove("attestationsUrl");
                h.AsObject().Remove("trustedPublisher");
                h.AsObject()["hasApprover"] = false;
                edits++;
            }

            File.WriteAllText(file, text[..(newline + 1)] + node.ToJsonString());
        }

        var (exit, stdout, stderr) = await Audit(project, "--json");

        Assert.True(edits > 0);
        Assert.True(exit == 1, stderr);
        Assert.Contains("VOUCH_POLICY_TRUST_DOWNGRADE", Codes(stdout));
        Assert.Equal(0, (int)JsonNode.Parse(stdout)!["totals"]!["fromCache"]!);
    }

    [Fact]
    public async Task Audit_WhenOfflineAfterAnOnlineRunWithTheDefaultPolicy_DecidesFromCachedFacts()
    {
        // Offline, a registry's served keys cannot be fetched, so they are given as a file (as the
        // evidence is keyed by the trust material, the same keys must be trusted on both runs).
        var project = await ProjectPinning("2.0.5");
        await Audit(project, "--json", "--max-age", "0", "--registry-keys", _registry.RegistryKeysPath);

        var (exit, stdout, stderr) = await Audit(project, "--json", "--offline", "--registry-keys", _registry.RegistryKeysPath);

        Assert.True(exit == 1, stderr);
        Assert.Contains("VOUCH_POLICY_TRUST_DOWNGRADE", Codes(stdout));
    }

    [Fact]
    public async Task Facts_WhenJudgedByTheDefaultPolicy_DecideExactlyAsTheFullPackument()
    {
        using var http = new HttpClient();
        var documents = new List<Packument>
        {
            Packument.Parse(await http.GetByteArrayAsync(new Uri(_registry.Url, Name.Replace("/", "%2f", StringComparison.Ordinal)))),
            Packument.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "packuments", "has-package-exports.json"))),
            Packument.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "packuments", "@ljharb%2fhas-package-exports-patterns.json"))),
        };
        var evaluator = new PolicyEvaluator(PolicyDocument.Default, TimeProvider.System);
        var compared = 0;
        foreach (var full in documents)
        {
            foreach (var version in full.Versions.Values)
            {
                var facts = ImmutableFacts.Capture(full, version, ReleaseLine.Predecessors(full, version.Version), DateTimeOffset.UtcNow);
                if (facts is null)
                {
                    continue;
                }

                // The same verified evidence on both sides: what differs is only where the history comes from.
                var report = new PackageReport
                {
                    Name = full.Name,
                    Version = version.Version.ToString(),
                    EvidenceLevel = EvidenceLevels.Rank(false, version.NpmUser?.TrustedPublisher is not null, version.NpmUser?.Approver is not null),
                    Signature = new SignatureReport(version.Dist.Signatures.Count > 0 ? "verified" : "absent", null),
                    PublishTime = full.Time[version.Version.Version],
                    PublishTimeSource = "packument",
                    RepositoryUrl = version.Repository?.Url,
                };
                var expected = Outcomes(evaluator.Explain(new PolicySubject { Report = report, Packument = full }));
                var actual = Outcomes(evaluator.Explain(new PolicySubject { Report = report, Packument = facts.ToPackument(full.Name) }));
                Assert.Equal(expected, actual);
                compared++;
            }
        }

        Assert.True(compared > 10, $"{compared} versions compared");
    }

    [Fact]
    public void Facts_WhenTheHistoryIsCut_TheDecisionChanges()
    {
        // The control for the differential test above: the comparison sees a change in history.
        var full = Packument.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "packuments", "has-package-exports.json")));
        var evaluator = new PolicyEvaluator(PolicyDocument.Default, TimeProvider.System);
        var candidates = full.Versions.Values.Where(v => ReleaseLine.Predecessors(full, v.Version).Any(h => h.Dist.Attestations is not null) && v.Dist.Attestations is null).ToList();
        if (candidates.Count == 0)
        {
            // The recorded document has no downgrade to remove; the sandbox test above covers one.
            candidates = [.. full.Versions.Values.Where(v => ReleaseLine.Predecessors(full, v.Version).Count > 0)];
        }

        var version = candidates[^1];
        var facts = ImmutableFacts.Capture(full, version, ReleaseLine.Predecessors(full, version.Version), DateTimeOffset.UtcNow)!;
        var report = new PackageReport { Name = full.Name, Version = version.Version.ToString(), PublishTime = full.Time[version.Version.Version], PublishTimeSource = "packument" };
        var whole = Outcomes(evaluator.Explain(new PolicySubject { Report = report, Packument = facts.ToPackument(full.Name) }));
        var cut = Outcomes(evaluator.Explain(new PolicySubject { Report = report, Packument = (facts with { History = [] }).ToPackument(full.Name) }));

        Assert.NotEqual(whole, cut);
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("-1m")]
    [InlineData("m")]
    [InlineData("99999d")]
    public async Task Audit_WhenMaxAgeIsMalformed_ExitsTwo(string value)
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, _, stderr) = await Audit(project, "--max-age", value);

        Assert.Equal(2, exit);
        Assert.Contains("--max-age", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenPreferOnlineAndPreferOfflineAreBothGiven_ExitsTwo()
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, _, stderr) = await Audit(project, "--prefer-online", "--prefer-offline");

        Assert.Equal(2, exit);
        Assert.Contains("exclude each other", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@nowhere=keys.json", "has no registry in .npmrc")]
    [InlineData("https://registry.npmjs.org/=keys.json", "the public npm registry")]
    [InlineData("no-equals-sign", "is not @scope=FILE or URL=FILE")]
    [InlineData("http://127.0.0.1:1/=missing.json", "cannot read")]
    public async Task Audit_WhenRegistryKeysForIsInvalid_ExitsTwo(string value, string message)
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, _, stderr) = await Audit(project, "--registry-keys-for", value);

        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenRegistryKeysForNamesTheDefaultRegistry_ExitsTwo()
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, _, stderr) = await Audit(project, "--registry-keys-for", $"{_registry.Url.AbsoluteUri}=keys.json");

        Assert.Equal(2, exit);
        Assert.Contains("--registry-keys", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WithProfile_PrintsEveryStageToStderr()
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, stdout, stderr) = await Audit(project, "--json", "--profile");

        Assert.True(exit == 0, stderr);
        foreach (var stage in new[] { "lockfile", "setup", "cache-read", "fetch", "verify", "policy", "cache-write", "render", "wall" })
        {
            Assert.Contains($"  {stage} ", stderr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("profile", stdout, StringComparison.Ordinal);
    }

    private static List<string> Outcomes(IReadOnlyList<RuleOutcome> outcomes) =>
        [.. outcomes.Select(o => $"{o.Rule}|{o.Verdict}|{o.Evidence}|{string.Join(",", o.Findings.Select(f => f.Code))}")];

    private static string Codes(string json) =>
        string.Join(",", JsonNode.Parse(json)!["packages"]!.AsArray().SelectMany(p => p!["findings"]!.AsArray()).Select(f => (string?)f!["code"]).Order(StringComparer.Ordinal));

    private async Task<(int Exit, string Stdout, string Stderr)> Audit(string project, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["audit", project, "--registry", _registry.Url.AbsoluteUri, "--trusted-root", _registry.TrustedRootPath, "--cache-dir", Cache, .. args], o, e);
        return (exit, o.ToString(), e.ToString());
    }

    /// <summary>A project whose npm v3 lockfile pins one version, with the integrity the sandbox serves.</summary>
    private async Task<string> ProjectPinning(string version)
    {
        using var http = new HttpClient();
        var packument = JsonNode.Parse(await http.GetStringAsync(new Uri(_registry.Url, Name.Replace("/", "%2f", StringComparison.Ordinal))))!;
        var dist = packument["versions"]![version]!["dist"]!;
        var project = Path.Combine(_dir.FullName, $"project-{version}");
        Directory.CreateDirectory(project);
        var lockfile = new JsonObject
        {
            ["name"] = "app",
            ["version"] = "1.0.0",
            ["lockfileVersion"] = 3,
            ["requires"] = true,
            ["packages"] = new JsonObject
            {
                [""] = new JsonObject { ["name"] = "app", ["version"] = "1.0.0", ["dependencies"] = new JsonObject { [Name] = version } },
                [$"node_modules/{Name}"] = new JsonObject
                {
                    ["version"] = version,
                    ["resolved"] = (string?)dist["tarball"],
                    ["integrity"] = (string?)dist["integrity"],
                },
            },
        };
        File.WriteAllText(Path.Combine(project, "package-lock.json"), lockfile.ToJsonString());
        return project;
    }
}
