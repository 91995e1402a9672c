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
