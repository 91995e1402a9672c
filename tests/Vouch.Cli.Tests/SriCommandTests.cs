using System.Text;
using System.Text.Json.Nodes;
using Vouch.Cli;
using Vouch.Sri;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>`vouch sri` end to end: scan output formats and exit codes; fix and hash against recorded npm data on 127.0.0.1.</summary>
public sealed class SriCommandTests : IAsyncLifetime
{
    private const string Unpinned = "<!doctype html>\n<script src=\"https://cdn.jsdelivr.net/npm/sigstore@latest/dist/index.js\" defer></script>\n";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-sri-cli-");
    private FixtureRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await FixtureRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string[] RegistryArgs => ["--registry", _registry.BaseUrl.ToString(), "--cache-dir", Path.Combine(_dir.FullName, "cache")];

    private static string IndexJsIntegrity() =>
        SriIntegrity.Compute(new PackageTarball(File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", "sigstore-1.0.0.tgz"))).ReadFile("dist/index.js"));

    [Fact]
    public async Task Scan_WhenUnpinnedCdnScript_ExitsOneWithJsonFindings()
    {
        var page = Write("index.html", Unpinned);
        var (exit, stdout, _) = await InProcessCli.Run("sri", "scan", "--json", page);
        Assert.Equal(1, exit);
        var findings = JsonNode.Parse(stdout)!["findings"]!.AsArray();
        var unpinned = findings.Single(f => (string?)f!["code"] == SriCodes.UnpinnedCdnUrl)!;
        Assert.Equal(2, (int)unpinned["line"]!);
        Assert.Equal(14, (int)unpinned["column"]!);
        Assert.Equal("error", (string?)unpinned["level"]);
    }

    [Fact]
    public async Task Scan_WhenClean_ExitsZero_AndSarifIsValidShape()
    {
        var page = Write("ok.html", "<script src=\"/app.js\"></script>");
        Assert.Equal(0, (await InProcessCli.Run("sri", "scan", page)).Exit);

        Write("bad.html", Unpinned);
        var (exit, stdout, _) = await InProcessCli.Run("sri", "scan", "--format", "sarif", _dir.FullName);
        Assert.Equal(1, exit);
        var sarif = JsonNode.Parse(stdout)!;
        Assert.Equal("2.1.0", (string?)sarif["version"]);
        var region = sarif["runs"]![0]!["results"]![0]!["locations"]![0]!["physicalLocation"]!["region"]!;
        Assert.Equal(2, (int)region["startLine"]!);
    }

    [Theory]
    [InlineData("sri", "scan", "/nonexistent/vouch-sri.html")]
    [InlineData("sri", "scan", "--format", "xml", ".")]
    [InlineData("sri", "hash", "/nonexistent/file.js")]
    [InlineData("sri", "hash", "--algorithm", "md5", "/etc/hostname")]
    [InlineData("sri", "hash", "npm:sigstore@1.0.0")]
    public async Task Sri_WhenBadInput_ExitsTwoWithOneLine(params string[] args)
    {
        var (exit, _, stderr) = await InProcessCli.Run(args);
        Assert.Equal(2, exit);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hash_WhenFile_PrintsSriString()
    {
        var file = Write("a.js", "alert('Hello, world.');");
        var (exit, stdout, _) = await InProcessCli.Run("sri", "hash", file);
        Assert.Equal(0, exit);
        Assert.Equal("sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO", stdout.Trim());
    }

    [Fact]
    public async Task Hash_WhenNpmFile_PrintsIntegrityOfTheVerifiedTarballFile()
    {
        var (exit, stdout, stderr) = await InProcessCli.Run(["sri", "hash", "npm:sigstore@1.0.0/dist/index.js", .. RegistryArgs]);
        Assert.True(exit == 0, stderr);
        Assert.Equal(IndexJsIntegrity(), stdout.Trim());
    }

    [Fact]
    public async Task Fix_WhenUnpinnedUrlOfPackageWithProvenance_PinsAndAddsIntegrity_DryRunWritesNothing()
    {
        var page = Write("index.html", Unpinned);
        var (exit, stdout, stderr) = await InProcessCli.Run(["sri", "fix", "--dry-run", page, .. RegistryArgs]);
        Assert.True(exit == 0, stderr + stdout);
        Assert.Contains("+<script src=\"https://cdn.jsdelivr.net/npm/sigstore@1.0.0/dist/index.js\"", stdout, StringComparison.Ordinal);
        Assert.Equal(Unpinned, File.ReadAllText(page));

        (exit, _, stderr) = await InProcessCli.Run(["sri", "fix", page, .. RegistryArgs]);
        Assert.True(exit == 0, stderr);
        Assert.Equal(Unpinned.Replace("sigstore@latest", "sigstore@1.0.0", StringComparison.Ordinal).Replace(" defer>", $" defer integrity=\"{IndexJsIntegrity()}\" crossorigin=\"anonymous\">", StringComparison.Ordinal), File.ReadAllText(page));
        Assert.Equal(0, (await InProcessCli.Run("sri", "scan", page)).Exit);
    }

    [Fact]
    public async Task Fix_WhenTarballTampered_ExitsOneAndLeavesFileUnchanged()
    {
        _registry.TarballBytes["sigstore-1.0.0.tgz"][100] ^= 0xFF;
        var page = Write("index.html", Unpinned);
        var (exit, stdout, _) = await InProcessCli.Run(["sri", "fix", "--json", page, .. RegistryArgs]);
        Assert.Equal(1, exit);
        var tag = JsonNode.Parse(stdout)!["files"]![0]!["tags"]![0]!;
        Assert.Equal("refused", (string?)tag["outcome"]);
        Assert.Equal(SriCodes.FixVerificationFailed, (string?)tag["code"]);
        Assert.Equal(Unpinned, File.ReadAllText(page));
    }
}
