using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Provenance.Slsa;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>`vouch maintainer check` and `vouch verify-vsa` through the command line: exit codes, JSON, --fix.</summary>
public sealed class MaintainerCommandTests
{
    /// <summary>The yargs fixture laid out as a repository (workflow under .github/workflows, package.json at the root).</summary>
    private static string Yargs()
    {
        var root = Path.Combine(Path.GetTempPath(), "vouch-cli-maint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, ".github", "workflows"));
        File.Copy(SharedFixtures.Path("workflows", "yargs__yargs", "release-please.yml"), Path.Combine(root, ".github", "workflows", "release-please.yml"));
        File.Copy(SharedFixtures.Path("workflows", "yargs__yargs", "package.json"), Path.Combine(root, "package.json"));
        return root;
    }

    [Fact]
    public async Task Check_WhenJson_ListsPublishingJobWithProvenance()
    {
        var (exit, stdout, _) = await InProcessCli.Run("maintainer", "check", Yargs(), "--json");
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        var job = Assert.Single(doc.RootElement.GetProperty("jobs").EnumerateArray());
        Assert.Equal(".github/workflows/release-please.yml", job.GetProperty("file").GetString());
        Assert.Equal("release-please", job.GetProperty("job").GetString());
        Assert.Equal(9, job.GetProperty("line").GetInt32());
        Assert.Equal("none", job.GetProperty("provenance").GetString());
        Assert.Contains(doc.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "VOUCH_MAINT_NO_PROVENANCE" && f.GetProperty("fixable").GetBoolean());
        Assert.StartsWith("npm trust github yargs --file release-please.yml --repository yargs/yargs", doc.RootElement.GetProperty("trustCommands")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenDryRun_PrintsDiffAndWritesNothing()
    {
        var root = Yargs();
        var path = Path.Combine(root, ".github", "workflows", "release-please.yml");
        var before = File.ReadAllBytes(path);
        var (exit, stdout, _) = await InProcessCli.Run("maintainer", "check", root, "--fix", "--dry-run");
        Assert.Equal(1, exit);
        Assert.Contains("+      - run: npm publish --provenance", stdout, StringComparison.Ordinal);
        Assert.Contains("+      id-token: write", stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Check_WhenFix_WritesAndRechecks()
    {
        var root = Yargs();
        var (_, stdout, _) = await InProcessCli.Run("maintainer", "check", root, "--fix", "--json");
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("flag", doc.RootElement.GetProperty("jobs")[0].GetProperty("provenance").GetString());
        Assert.True(doc.RootElement.GetProperty("fixes")[0].GetProperty("written").GetBoolean());
        Assert.DoesNotContain(doc.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("fixable").GetBoolean());
        Assert.Contains("npm publish --provenance", File.ReadAllText(Path.Combine(root, ".github", "workflows", "release-please.yml")), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, ".github", "workflows"), "*.tmp"));
    }

    [Fact]
    public async Task Check_WhenDirectoryMissing_ExitsTwo()
    {
        var (exit, _, stderr) = await InProcessCli.Run("maintainer", "check", "/nonexistent/vouch-maintainer");
        Assert.Equal(2, exit);
        Assert.Contains("no such directory", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenTrustedPublishingWithEnvironment_ExitsZero()
    {
        var root = Path.Combine(Path.GetTempPath(), "vouch-cli-maint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, ".github", "workflows"));
        File.WriteAllText(Path.Combine(root, ".github", "workflows", "release.yml"),
            "on:\n  push:\n    tags: ['v*']\npermissions: {}\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    environment: npm\n    permissions:\n      contents: read\n      id-token: write\n    steps:\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n      - uses: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020\n        with:\n          node-version: 24\n      - run: npm publish\n");
        File.WriteAllText(Path.Combine(root, "package.json"), "{\"name\":\"@acme/widget\",\"version\":\"1.0.0\",\"repository\":\"github:acme/widget\"}");
        var (exit, stdout, _) = await InProcessCli.Run("maintainer", "check", root);
        Assert.Equal(0, exit);
        Assert.Contains("provenance: trusted-publishing", stdout, StringComparison.Ordinal);
        Assert.Contains("npm trust github @acme/widget --file release.yml --repository acme/widget --environment npm", stdout, StringComparison.Ordinal);
        Assert.Contains("img.shields.io/badge/npm%20provenance-trusted%20publishing-brightgreen", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyVsa_WhenSignedForTarball_ExitsZeroAndOneForOtherTarball()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var dir = Path.Combine(Path.GetTempPath(), "vouch-cli-vsa-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var tarball = Path.Combine(dir, "widget-1.0.0.tgz");
        File.WriteAllBytes(tarball, "tarball"u8.ToArray());
        var pub = Path.Combine(dir, "vsa.pub");
        File.WriteAllText(pub, key.ExportSubjectPublicKeyInfoPem());
        var vsa = Path.Combine(dir, "widget.vsa.json");
        File.WriteAllText(vsa, Vsa.Sign(new VsaRequest
        {
            PackageName = "widget",
            Version = "1.0.0",
            TarballSha512 = SHA512.HashData(File.ReadAllBytes(tarball)),
            VerifierId = "https://vouch.test",
            VerifierVersion = "1",
            TimeVerified = DateTimeOffset.UnixEpoch,
            Passed = true,
            Level = SlsaBuildLevel.L2,
        }, key));

        var ok = await InProcessCli.Run("verify-vsa", vsa, "--key", pub, "--tarball", tarball, "--min-level", "2", "--package", "widget@1.0.0");
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Contains("SLSA_BUILD_LEVEL_2", ok.Out, StringComparison.Ordinal);

        var tooHigh = await InProcessCli.Run("verify-vsa", vsa, "--key", pub, "--tarball", tarball, "--min-level", "3");
        Assert.Equal(1, tooHigh.Exit);
        Assert.Contains("VOUCH_VSA_LEVEL_INSUFFICIENT", tooHigh.Err, StringComparison.Ordinal);

        var other = await InProcessCli.Run("verify-vsa", vsa, "--key", pub, "--sha512", Convert.ToHexStringLower(SHA512.HashData("other"u8)), "--json");
        Assert.Equal(1, other.Exit);
        Assert.Contains("VOUCH_VSA_SUBJECT_MISMATCH", other.Out, StringComparison.Ordinal);

        File.WriteAllText(pub, "not a key");
        var badKey = await InProcessCli.Run("verify-vsa", vsa, "--key", pub, "--tarball", tarball);
        Assert.Equal(2, badKey.Exit);
        Assert.Contains("VOUCH_VSA_KEY_INVALID", badKey.Err, StringComparison.Ordinal);
    }
}
