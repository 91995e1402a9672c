using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests;

/// <summary>
/// Keys pinned with <c>--registry-keys</c> stay pinned: the sandbox upstream signs with its own key B
/// and serves B at /-/npm/v1/keys; the gate pinned to key A must not take B as a registry signer
/// (a hostile upstream, or a proxy of npmjs, adding its own signer). Unpinned, B is trusted as npm trusts a private registry.
/// </summary>
public sealed class PinnedKeysTests
{
    [Fact]
    public async Task Verify_WhenKeysArePinnedAndTheUpstreamSignsWithAServedKey_TheSignatureIsNotVerified()
    {
        var (code, text) = await VerifyThroughGate(trustServedKeys: false);

        // An unknown key may be a rotation the gate has not seen yet, so it holds the version as
        // incomplete (retried later, never served as verified) and names the code.
        Assert.Equal(503, code);
        Assert.Contains(ProvenanceCodes.SignatureKeyUnknown, text, StringComparison.Ordinal);
        Assert.Contains("VOUCH_GATE_VERIFICATION_INCOMPLETE", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenKeysAreNotPinned_TheServedKeyVerifiesTheSignature()
    {
        var (code, text) = await VerifyThroughGate(trustServedKeys: true);

        Assert.Equal(200, code);
        Assert.Equal("verified", JsonNode.Parse(text)!["signature"]!["status"]!.GetValue<string>());
        Assert.DoesNotContain(ProvenanceCodes.SignatureKeyUnknown, text, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Text)> VerifyThroughGate(bool trustServedKeys)
    {
        await using var sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        var dir = Path.Combine(Path.GetTempPath(), "vouch-pinned-" + Guid.NewGuid().ToString("n"));
        try
        {
            await using var gate = await GateHost.StartAsync(
                new GateOptions { Upstream = sandbox.Url, Listen = "127.0.0.1:0", Database = Path.Combine(dir, "gate.db"), DataDirectory = dir, Tokens = GateFixture.Tokens },
                new GateDependencies
                {
                    UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                    Sigstore = new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.Parse(Encoding.UTF8.GetBytes(sandbox.TrustedRootJson))),
                    TrustedKeys = KeyA(),
                    TrustServedKeys = trustServedKeys,
                });
            using var http = new HttpClient { BaseAddress = gate.Url };
            using var response = await http.GetAsync(new Uri("-/vouch/v1/verify/@lottiefiles%2flottie-player/2.0.4", UriKind.Relative));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>Key A, which signs nothing the sandbox serves, in the /-/npm/v1/keys shape a pinned file has.</summary>
    private static RegistryKeys KeyA()
    {
        using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var json = $$"""{"keys":[{"expires":null,"keyid":"SHA256:pinned-key-a","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"{{Convert.ToBase64String(a.ExportSubjectPublicKeyInfo())}}"}]}""";
        return RegistryKeys.Parse(Encoding.UTF8.GetBytes(json), "pinned.json").WithV1KeysForAttestations();
    }
}
