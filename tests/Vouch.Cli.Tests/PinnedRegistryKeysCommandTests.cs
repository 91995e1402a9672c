using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vouch.Cli.Composition;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>
/// `--registry-keys FILE` pins the keys: the sandbox registry signs with its own key B and serves B at
/// /-/npm/v1/keys; pinned to key A, `vouch verify` must not take B as a registry signer. Without the
/// pin, B extends the trusted set (a private registry, trusted as npm trusts it).
/// </summary>
public sealed class PinnedRegistryKeysCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-pinned-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Services_WhenRegistryKeysFileIsGiven_TheVerifierNeverExtendsThePinnedKeys()
    {
        await using var registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        using var services = Services(registry, KeyAFile());

        var keys = await services.Verifier.KeysAsync(CancellationToken.None);

        Assert.True(services.Trust.KeysPinned);
        Assert.False(services.Verifier.TrustsServedKeys);
        Assert.Equal(["SHA256:pinned-key-a"], keys.Keys.Select(k => k.KeyId).Distinct());

        // What verifying a version signed by the served key B then says: the key is unknown.
        var report = await services.Verifier.VerifyAsync(Vouch.Npm.PackageSpec.Parse("@lottiefiles/lottie-player@2.0.4"));
        Assert.NotEqual("verified", report.Signature.Status);
        Assert.Contains(Vouch.Provenance.ProvenanceCodes.SignatureKeyUnknown, report.Problems.Select(p => p.Code));
    }

    [Fact]
    public async Task Services_WhenNoRegistryKeysFileIsGiven_TheServedKeyExtendsTheTrustedSet()
    {
        await using var registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        using var services = Services(registry, keysFile: null);

        var report = await services.Verifier.VerifyAsync(Vouch.Npm.PackageSpec.Parse("@lottiefiles/lottie-player@2.0.4"));

        Assert.False(services.Trust.KeysPinned);
        Assert.Equal("verified", report.Signature.Status);
    }

    private VouchServices Services(SandboxRegistry registry, string? keysFile) => VouchServices.Create(new ServiceSettings
    {
        Registry = registry.Url,
        TrustedRootFile = registry.TrustedRootPath,
        RegistryKeysFile = keysFile,
        CacheDirectory = Path.Combine(_dir.FullName, "cache"),
        HttpCache = false,
    });

    /// <summary>Key A, which signs nothing the sandbox serves, in the /-/npm/v1/keys shape.</summary>
    private string KeyAFile()
    {
        using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(_dir.FullName, "keys-a.json");
        File.WriteAllText(path, $$"""{"keys":[{"expires":null,"keyid":"SHA256:pinned-key-a","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"{{Convert.ToBase64String(a.ExportSubjectPublicKeyInfo())}}"}]}""");
        return path;
    }
}
