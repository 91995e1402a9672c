using System.Text.Json.Nodes;
using Vouch.Cli;
using Vouch.Sandbox;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>`vouch db` and `vouch check` end to end: real OSV fixtures, the sandbox registry on 127.0.0.1.</summary>
public sealed class AdvisoryCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-adv-cli-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    private string Db => Path.Combine(_dir.FullName, "a.db");

    [Fact]
    public async Task DbQuery_WhenMalwareVersion_ExitsOneWithIdsAliasesAndMalwareFlag()
    {
        Assert.Equal(0, (await InProcessCli.Run("db", "update", "--from", SharedFixtures.Path("osv"), "--db", Db)).Exit);
        var (exit, output, _) = await InProcessCli.Run("db", "query", "debug@4.4.2", "lodash@4.17.21", "--json", "--db", Db);
        Assert.Equal(1, exit);
        var json = JsonNode.Parse(output)!;
        var debug = json["results"]![0]!;
        Assert.True(debug["affected"]!.GetValue<bool>());
        Assert.Equal("MAL-2025-46974", debug["matches"]![0]!["id"]!.GetValue<string>());
        Assert.True(debug["matches"]![0]!["malware"]!.GetValue<bool>());
        Assert.Contains("GHSA-8mgj-vmr8-frr6", debug["matches"]![0]!["aliases"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.False(json["results"]![1]!["affected"]!.GetValue<bool>());
        Assert.StartsWith("sha256:", json["snapshot"]!["digest"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DbExport_ThenUpdateWithWrongDigest_ExitsOneAndImportsNothing()
    {
        await InProcessCli.Run("db", "update", "--from", SharedFixtures.Path("osv"), "--db", Db);
        var snap = Path.Combine(_dir.FullName, "snap.zip");
        Assert.Equal(0, (await InProcessCli.Run("db", "export", snap, "--db", Db)).Exit);
        var other = Path.Combine(_dir.FullName, "b.db");
        var (exit, _, err) = await InProcessCli.Run("db", "update", "--from", snap, "--db", other, "--expect-digest", "sha256:" + new string('0', 64));
        Assert.Equal(1, exit);
        Assert.Contains("VOUCH_DB_DIGEST_MISMATCH", err, StringComparison.Ordinal);
        var status = await InProcessCli.Run("db", "status", "--db", other, "--json");
        Assert.Equal(0, JsonNode.Parse(status.Out)!["snapshot"]!["records"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("db", "query", "lodash@^4")]
    [InlineData("db", "status")]
    public async Task Db_WhenBadInputOrNoDatabase_ExitsTwoWithOneLine(params string[] args)
    {
        var (exit, _, err) = await InProcessCli.Run([.. args, "--db", Path.Combine(_dir.FullName, "missing.db")]);
        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public async Task DbUpdate_WhenSourceIsMissing_ExitsTwo()
    {
        var (exit, _, err) = await InProcessCli.Run("db", "update", "--from", Path.Combine(_dir.FullName, "nope.zip"), "--db", Db);
        Assert.Equal(2, exit);
        Assert.Contains("VOUCH_DB_SOURCE_UNREADABLE", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenProvenanceFromAnotherRepository_FailsWithVerifiedEvidenceAndSarif()
    {
        await using var sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("source-hijack"), new SandboxOptions());
        var args = new[] { "check", "@acme/logger@3.2.0", "--registry", sandbox.Url.ToString(), "--trusted-root", sandbox.TrustedRootPath, "--cache-dir", Path.Combine(_dir.FullName, "cache"), "--project", _dir.FullName, "--db", Db };
        await InProcessCli.Run("db", "update", "--from", SharedFixtures.Path("osv"), "--db", Db);
        var (exit, output, _) = await InProcessCli.Run([.. args, "--json"]);
        Assert.Equal(1, exit);
        var codes = JsonNode.Parse(output)!["packages"]![0]!["findings"]!.AsArray().Select(f => f!["code"]!.GetValue<string>()).ToList();
        Assert.Contains("VOUCH_CHECK_REPOSITORY_MISMATCH", codes);
        Assert.Contains("VOUCH_CHECK_TRUST_DOWNGRADE", codes);
        Assert.True(JsonNode.Parse(output)!["trustVerified"]!.GetValue<bool>());

        var sarif = await InProcessCli.Run([.. args, "--format", "sarif"]);
        Assert.Equal("2.1.0", JsonNode.Parse(sarif.Out)!["version"]!.GetValue<string>());

        var good = await InProcessCli.Run([.. args.Select(a => a == "@acme/logger@3.2.0" ? "@acme/logger@3.1.1" : a)]);
        Assert.Equal(0, good.Exit);
    }
}
