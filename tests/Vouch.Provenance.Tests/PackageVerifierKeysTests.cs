using System.Net;
using System.Security.Cryptography;
using System.Text;
using Vouch.Npm;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Provenance.Tests;

public class PackageVerifierKeysTests
{
    [Fact]
    public async Task KeysAsync_WhenPublicRegistryServesUnknownKey_IgnoresIt()
    {
        var handler = new KeysHandler();
        var verifier = Verifier(handler, "https://registry.npmjs.org/");

        var keys = await verifier.KeysAsync(CancellationToken.None);

        Assert.Same(RegistryKeys.Embedded, keys);
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public async Task KeysAsync_WhenPrivateRegistryServesUnknownKey_AddsIt()
    {
        var handler = new KeysHandler();
        var verifier = Verifier(handler, "https://npm.example.internal/");

        var keys = await verifier.KeysAsync(CancellationToken.None);

        Assert.Equal(1, handler.Requests);
        Assert.Contains(keys.Keys, k => k.KeyId == KeysHandler.KeyId);
        Assert.True(keys.Keys.Count > RegistryKeys.Embedded.Keys.Count);
    }

    [Fact]
    public async Task KeysAsync_WhenKeysArePinned_IgnoresTheServedKeyAndDoesNotAsk()
    {
        var handler = new KeysHandler();
        var verifier = Verifier(handler, "https://npm.example.internal/", trustServedKeys: false);

        var keys = await verifier.KeysAsync(CancellationToken.None);

        Assert.Same(RegistryKeys.Embedded, keys);
        Assert.Equal(0, handler.Requests);
        Assert.False(verifier.TrustsServedKeys);
    }

    private static PackageVerifier Verifier(HttpMessageHandler handler, string registry, bool trustServedKeys = true)
    {
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = Path.GetTempPath(), HomeDirectory = Path.GetTempPath(), RegistryOverride = new Uri(registry) });
        var client = new RegistryClient(handler, config, null, TimeProvider.System);
        return new PackageVerifier(client, new SigstoreVerifier(TrustedRoot.PublicGood), RegistryKeys.Embedded, trustServedKeys);
    }

    private sealed class KeysHandler : HttpMessageHandler
    {
        public const string KeyId = "SHA256:private-registry-key";

        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var spki = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
            var body = $$"""{"keys":[{"expires":null,"keyid":"{{KeyId}}","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"{{spki}}"}]}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
