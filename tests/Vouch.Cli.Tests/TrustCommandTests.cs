using Vouch.Cli;

namespace Vouch.Cli.Tests;

public sealed class TrustCommandTests
{
    [Fact]
    public async Task TrustShow_WhenNothingCached_ReportsEmbeddedSnapshots()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-trust-");
        var o = new StringWriter();
        var exit = await VouchCli.RunAsync(["trust", "show", "--cache-dir", dir.FullName], o, new StringWriter());
        Assert.Equal(0, exit);
        Assert.Contains("trusted_root.json: embedded snapshot", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("registry.npmjs.org/keys.json: embedded snapshot", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustUpdate_WhenRepositoryUnreachable_ExitsThree()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-trust-");
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["trust", "update", "--cache-dir", dir.FullName, "--tuf-url", "http://127.0.0.1:9/"], new StringWriter(), e);
        Assert.Equal(3, exit);
        Assert.Contains("TUF_NETWORK", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustUpdate_WhenUrlIsNotHttp_ExitsTwo()
    {
        var exit = await VouchCli.RunAsync(["trust", "update", "--tuf-url", "ftp://example"], new StringWriter(), new StringWriter());
        Assert.Equal(2, exit);
    }
}

/// <summary>Every command reads trust material from the cache it is given, the one `trust update --cache-dir` writes.</summary>
public sealed class TrustCacheDirectoryTests
{
    private static async Task<string> TufDirectoryShownBy(string cacheDir)
    {
        var o = new StringWriter();
        var exit = await VouchCli.RunAsync(["trust", "show", "--json", "--cache-dir", cacheDir], o, new StringWriter());
        Assert.Equal(0, exit);
        return (string)System.Text.Json.Nodes.JsonNode.Parse(o.ToString())!["cacheDirectory"]!;
    }

    [Fact]
    public async Task Load_WhenGivenCacheDir_ConsultsTheTufCacheTrustShowReportsForIt()
    {
        var x = Directory.CreateTempSubdirectory("vouch-trust-x-").FullName;
        var y = Directory.CreateTempSubdirectory("vouch-trust-y-").FullName;

        var shown = await TufDirectoryShownBy(x);
        Assert.StartsWith(x, shown, StringComparison.Ordinal);
        Assert.Equal(shown, Composition.VouchServices.LoadTrust(new Composition.ServiceSettings { CacheDirectory = x }).TufDirectory);
        Assert.Equal(await TufDirectoryShownBy(y), Composition.VouchServices.LoadTrust(new Composition.ServiceSettings { CacheDirectory = y }).TufDirectory);
    }

    [Fact]
    public void Load_WhenNoCacheDirGiven_UsesTheTestRunsOwnCacheNotTheMachines()
    {
        var dir = Composition.VouchServices.LoadTrust(new Composition.ServiceSettings()).TufDirectory;
        Assert.StartsWith(TestCacheDirectory.Path, dir, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenTheGivenCacheHoldsACorruptTufState_StillUsesEmbeddedMaterialAndSaysSo()
    {
        // A cache whose TUF metadata does not verify must never be trusted: the embedded snapshot is used.
        var x = Directory.CreateTempSubdirectory("vouch-trust-bad-").FullName;
        var shown = await TufDirectoryShownBy(x);
        Directory.CreateDirectory(Path.Combine(shown, "metadata"));
        Directory.CreateDirectory(Path.Combine(shown, "targets"));
        File.WriteAllText(Path.Combine(shown, "metadata", "timestamp.json"), "{not json");
        File.WriteAllText(Path.Combine(shown, "targets", "trusted_root.json"), "{}");
        var trust = Composition.VouchServices.LoadTrust(new Composition.ServiceSettings { CacheDirectory = x });
        Assert.Equal("embedded snapshot", trust.RootSource);
        var o = new StringWriter();
        await VouchCli.RunAsync(["trust", "show", "--json", "--cache-dir", x], o, new StringWriter());
        Assert.NotNull(System.Text.Json.Nodes.JsonNode.Parse(o.ToString())!["cacheProblem"]);
    }
}
