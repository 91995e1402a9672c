using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Cli;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch review` end to end through the CLI against the in-process sandbox registry: the commands take
/// the shared options (`--registry`, `--cache-dir`, `--offline`, `--trusted-root`) through the one binder.
/// </summary>
public sealed class ReviewCommandTests : IAsyncLifetime
{
    private const string ScenarioYaml = """
        name: review-cli
        packages:
          - name: tiny-lib
            versions:
              - version: 1.0.0
                published: -30d
              - version: 1.1.0
                published: -20d
                scripts: { postinstall: "node collect.js" }
                files: { "collect.js": "module.exports = 1;\n" }
        """;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-review-cli-");
    private SandboxRegistry _sandbox = null!;

    private string Store => Path.Combine(_dir.FullName, "supply-chain");

    private string[] Registry => ["--registry", _sandbox.Url.ToString(), "--cache-dir", Path.Combine(_dir.FullName, "cache")];

    public async Task InitializeAsync() => _sandbox = await SandboxRegistry.StartAsync(Scenario.Parse(ScenarioYaml, "review-cli.yml"), new SandboxOptions());

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>A package-lock.json pinning tiny-lib at <paramref name="version"/> with the registry's integrity.</summary>
    private async Task<string> Lockfile(string version)
    {
        using var http = new HttpClient();
        var packument = JsonNode.Parse(await http.GetStringAsync(new Uri(_sandbox.Url, "tiny-lib")))!;
        var dist = packument["versions"]![version]!["dist"]!;
        var project = Directory.CreateDirectory(Path.Combine(_dir.FullName, "project-" + version)).FullName;
        var lockfile = new JsonObject
        {
            ["name"] = "app",
            ["lockfileVersion"] = 3,
            ["packages"] = new JsonObject
            {
                [""] = new JsonObject { ["name"] = "app", ["dependencies"] = new JsonObject { ["tiny-lib"] = version } },
                ["node_modules/tiny-lib"] = new JsonObject { ["version"] = version, ["resolved"] = (string)dist["tarball"]!, ["integrity"] = (string)dist["integrity"]! },
            },
        };
        var path = Path.Combine(project, "package-lock.json");
        File.WriteAllText(path, lockfile.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Certify_WhenGivenSharedRegistryOptions_RecordsAuditThatCheckCounts()
    {
        var (exit, output, err) = await InProcessCli.Run(["review", "certify", "tiny-lib@1.0.0", "--criteria", "safe-to-deploy", "--who", "alice", "--store", Store, .. Registry]);
        Assert.True(exit == 0, err + output);
        Assert.Contains("recorded audit tiny-lib@1.0.0", output, StringComparison.Ordinal);

        var covered = await InProcessCli.Run("review", "check", await Lockfile("1.0.0"), "--store", Store, "--json");
        Assert.True(covered.Exit == 0, covered.Err + covered.Out);
        Assert.Equal("audit", (string?)JsonNode.Parse(covered.Out)!["packages"]![0]!["criteria"]![0]!["by"]);

        // The other version has no audit: the check fails and names the gap.
        var gap = await InProcessCli.Run("review", "check", await Lockfile("1.1.0"), "--store", Store);
        Assert.Equal(1, gap.Exit);
        Assert.Contains("VOUCH_REVIEW_NOT_COVERED", gap.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Diff_WhenHtmlRequested_WritesThePageAndListsTheNewInstallScriptFirst()
    {
        var html = Path.Combine(_dir.FullName, "out", "diff.html");
        var (exit, output, err) = await InProcessCli.Run(["review", "diff", "tiny-lib", "1.0.0", "1.1.0", "--json", "--html", html, .. Registry]);
        Assert.True(exit == 0, err + output);
        Assert.Equal("install-script", (string?)JsonNode.Parse(output)!["findings"]![0]!["kind"]);
        Assert.Contains("postinstall", File.ReadAllText(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Suggest_WhenOneVersionIsAudited_SuggestsADeltaFromIt()
    {
        Assert.Equal(0, (await InProcessCli.Run(["review", "certify", "tiny-lib@1.0.0", "--criteria", "safe-to-deploy", "--store", Store, .. Registry])).Exit);
        var (exit, output, err) = await InProcessCli.Run(["review", "suggest", await Lockfile("1.1.0"), "--store", Store, "--json", .. Registry]);
        Assert.True(exit == 0, err + output);
        var suggestions = JsonNode.Parse(output)!["suggestions"]!.AsArray();
        Assert.Contains(suggestions, s => (string?)s!["deltaFrom"] == "1.0.0" && (string?)s["version"] == "1.1.0");
    }

    [Theory]
    [InlineData("certify")]
    [InlineData("diff")]
    [InlineData("suggest")]
    public async Task RegistryOption_WhenNotAnHttpUrl_ExitsTwoNamingTheOption(string command)
    {
        string[] args = command switch
        {
            "certify" => ["review", "certify", "tiny-lib@1.0.0", "--criteria", "safe-to-deploy", "--store", Store],
            "diff" => ["review", "diff", "tiny-lib", "1.0.0", "1.1.0"],
            _ => ["review", "suggest", await Lockfile("1.0.0"), "--store", Store],
        };
        var (exit, _, err) = await InProcessCli.Run([.. args, "--registry", "ftp://example.com/"]);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: --registry:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certify_WhenOfflineAndNothingCached_ExitsThree()
    {
        var (exit, _, err) = await InProcessCli.Run(["review", "certify", "tiny-lib@1.0.0", "--criteria", "safe-to-deploy", "--store", Store, .. Registry, "--offline"]);
        Assert.Equal(3, exit);
        Assert.Contains("VOUCH_REVIEW_REGISTRY_FAILED", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Store, "audits.toml")), "nothing is recorded when the tarball could not be fetched");
    }

    [Fact]
    public async Task Check_WhenKeySignedReviewIsTampered_ExitsOneWithSignatureInvalid()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = Path.Combine(_dir.FullName, "review.key");
        var pub = Path.Combine(_dir.FullName, "review.pub");
        File.WriteAllText(key, ec.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(pub, ec.ExportSubjectPublicKeyInfoPem());
        Assert.Equal(0, (await InProcessCli.Run("review", "trust", "add", "bob", "--public-key", pub, "--level", "medium", "--store", Store)).Exit);
        var (exit, output, err) = await InProcessCli.Run(["review", "certify", "tiny-lib@1.0.0", "--criteria", "safe-to-deploy", "--sign", "--key", key, "--store", Store, .. Registry]);
        Assert.True(exit == 0, err + output);
        var lockfile = await Lockfile("1.0.0");

        var ok = await InProcessCli.Run("review", "check", lockfile, "--store", Store, "--json", "--trusted-root", _sandbox.TrustedRootPath);
        Assert.True(ok.Exit == 0, ok.Err + ok.Out);
        Assert.Equal("bob", (string?)JsonNode.Parse(ok.Out)!["signedReviews"]![0]!["reviewer"]);

        // Change what the review says (its notes) without re-signing.
        var bundleFile = Directory.GetFiles(Path.Combine(Store, "reviews")).Single();
        var bundle = JsonNode.Parse(File.ReadAllText(bundleFile))!;
        var statement = JsonNode.Parse(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!))!;
        statement["predicate"]!["notes"] = "read nothing";
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement.ToJsonString()));
        File.WriteAllText(bundleFile, bundle.ToJsonString());

        var tampered = await InProcessCli.Run("review", "check", lockfile, "--store", Store, "--json", "--trusted-root", _sandbox.TrustedRootPath);
        Assert.Equal(1, tampered.Exit);
        Assert.Equal("VOUCH_REVIEW_SIGNATURE_INVALID", (string?)JsonNode.Parse(tampered.Out)!["signedReviewProblems"]![0]!["code"]);
    }

    [Fact]
    public async Task Check_WhenTrustedRootFileIsMissing_ExitsTwoNamingTheSharedOption()
    {
        Directory.CreateDirectory(Path.Combine(Store, "reviews"));
        var (exit, _, err) = await InProcessCli.Run("review", "check", await Lockfile("1.0.0"), "--store", Store, "--trusted-root", Path.Combine(_dir.FullName, "missing.json"));
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: --trusted-root: cannot read", err, StringComparison.Ordinal);
    }
}
