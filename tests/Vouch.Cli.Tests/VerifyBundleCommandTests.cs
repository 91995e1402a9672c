using Vouch.Cli;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

public sealed class VerifyBundleCommandTests
{
    private static string Case(string name, string file) => SharedFixtures.Path("sigstore-conformance", "bundle-verify", name, file);

    private static string Artifact => SharedFixtures.Path("sigstore-conformance", "bundle-verify", "a.txt");

    [Fact]
    public async Task VerifyBundle_WhenNoIdentityAndNoKey_ExitsTwoWithOneLine()
    {
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"), Artifact);
        Assert.Equal(2, exit);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task VerifyBundle_WhenBundleFileMissing_ExitsTwo()
    {
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", "/nonexistent/bundle.json", "--certificate-identity", "x", "--certificate-oidc-issuer", "y", Artifact);
        Assert.Equal(2, exit);
        Assert.Contains("does not exist", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyBundle_WhenUnknownOption_ExitsTwo()
    {
        var (exit, _, _) = await InProcessCli.Run("sigstore", "verify-bundle", "--no-such-option");
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task VerifyBundle_WhenIdentityDiffers_FailsWithIdentityCode()
    {
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main",
            "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", Artifact);
        Assert.Equal(1, exit);
        Assert.Contains("SIGSTORE_IDENTITY_MISMATCH", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyBundle_WhenIssuerDiffers_FailsWithIssuerCode()
    {
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            "--certificate-oidc-issuer", "https://accounts.google.com", Artifact);
        Assert.Equal(1, exit);
        Assert.Contains("SIGSTORE_ISSUER_MISMATCH", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyBundle_WhenIdentityRegexpMatches_Succeeds()
    {
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity-regexp", "https://github\\.com/sigstore-conformance/.*",
            "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", Artifact);
        Assert.True(exit == 0, err);
    }

    [Fact]
    public async Task VerifyBundle_WhenArtifactGivenAsDigest_Succeeds()
    {
        var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Artifact))).ToLowerInvariant();
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "sha256:" + digest);
        Assert.True(exit == 0, err);
    }

    [Fact]
    public async Task VerifyBundle_WhenDigestOfAnotherArtifact_FailsWithDigestCode()
    {
        var (exit, _, err) = await InProcessCli.Run("sigstore", "verify-bundle", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "sha256:" + new string('0', 64));
        Assert.Equal(1, exit);
        Assert.Contains("SIGSTORE_DIGEST_MISMATCH", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyBundle_WhenJsonRequested_PrintsMachineReadableResult()
    {
        var (exit, output, _) = await InProcessCli.Run("sigstore", "verify-bundle", "--json", "--bundle", Case("happy-path-v0.3", "bundle.sigstore.json"),
            "--certificate-identity", "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
            "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", Artifact);
        Assert.Equal(0, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("https://token.actions.githubusercontent.com", doc.RootElement.GetProperty("issuer").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("logEntries").GetArrayLength());
    }
}
