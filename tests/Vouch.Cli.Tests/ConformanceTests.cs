using Vouch.Cli;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// Runs every case of the Sigstore conformance suite (bundle-verify) through `vouch sigstore
/// verify-bundle` in-process: the same code path as the binary, with the protocol's arguments.
/// </summary>
public sealed class ConformanceTests
{
    private const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    private static string CasesDir => SharedFixtures.Path("sigstore-conformance", "bundle-verify");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(CasesDir).OrderBy(d => d, StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }

        return data;
    }

    [Fact]
    public void Cases_WhenEnumerated_FindAllRecordedCases()
    {
        Assert.True(Cases().Count >= 47, "the shared fixtures should hold at least 47 conformance cases");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task VerifyBundle_WhenRunOnConformanceCase_MatchesExpectedOutcome(string name)
    {
        var dir = Path.Combine(CasesDir, name);
        var args = new List<string> { "sigstore", "verify-bundle", "--bundle", Path.Combine(dir, "bundle.sigstore.json") };
        if (File.Exists(Path.Combine(dir, "key.pub")))
        {
            args.AddRange(["--key", Path.Combine(dir, "key.pub")]);
        }
        else
        {
            var identity = File.Exists(Path.Combine(dir, "identity")) ? File.ReadAllText(Path.Combine(dir, "identity")).Trim() : DefaultIdentity;
            var issuer = File.Exists(Path.Combine(dir, "issuer")) ? File.ReadAllText(Path.Combine(dir, "issuer")).Trim() : DefaultIssuer;
            args.AddRange(["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]);
        }

        if (File.Exists(Path.Combine(dir, "trusted_root.json")))
        {
            args.AddRange(["--trusted-root", Path.Combine(dir, "trusted_root.json")]);
        }

        var artifact = Path.Combine(dir, "artifact");
        args.Add(File.Exists(artifact) ? artifact : Path.Combine(CasesDir, "a.txt"));

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await VouchCli.RunAsync([.. args], stdout, stderr);

        if (name.EndsWith("_fail", StringComparison.Ordinal))
        {
            Assert.NotEqual(0, exit);
            var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches("^vouch: [A-Z_]+: ", line);
            Assert.DoesNotContain("   at ", stderr.ToString(), StringComparison.Ordinal);
        }
        else
        {
            Assert.True(exit == 0, $"{name}: {stderr}");
            Assert.StartsWith("OK: bundle verified", stdout.ToString(), StringComparison.Ordinal);
        }
    }
}
