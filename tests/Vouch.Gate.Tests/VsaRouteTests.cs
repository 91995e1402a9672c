using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Provenance.Slsa;
using Vouch.Sandbox;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 18: <c>GET /-/vouch/v1/vsa/{name}/{version}</c> on the gate in front of the sandbox (real Fulcio
/// certificates, Rekor entries and publish attestations), signed with the gate's key and checked with the
/// verifier `vouch verify-vsa` runs (<see cref="VsaVerifier"/>).
/// </summary>
public sealed class VsaRouteTests : IAsyncLifetime
{
    private const string Package = "@lottiefiles/lottie-player";
    private const string Path = "/-/vouch/v1/vsa/@lottiefiles/lottie-player/";

    // The mapping differs from the default: the package's own release workflow is listed as an isolated
    // builder, so its hosted, verified provenance maps to L3 here where the default mapping says L2.
    private const string PolicyYaml = """
        version: 1
        rules:
          slsa:
            severity: error
            minimum:
              - packages: ["@lottiefiles/*"]
                level: 2
            isolated-builders: ["https://github.com/LottieFiles/lottie-player/.github/workflows/release.yml@"]
        """;

    private SandboxRegistry? _sandbox;
    private GateHost? _gate;
    private readonly string _dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vouch-vsa-gate-" + Guid.NewGuid().ToString("n"));
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly HttpClient _http = new();

    private string P(string name) => System.IO.Path.Combine(_dir, name);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(P("vsa.key"), _key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(P("policy.yml"), PolicyYaml);
        _sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        _gate = await StartGateAsync(_sandbox, Options(_sandbox.Url) with { VsaKeyPath = P("vsa.key"), PolicyPath = P("policy.yml") });
    }

    private GateOptions Options(Uri upstream) =>
        new() { Upstream = upstream, Listen = "127.0.0.1:0", Database = P("gate.db"), DataDirectory = _dir, Tokens = GateFixture.Tokens };

    private static Task<GateHost> StartGateAsync(SandboxRegistry sandbox, GateOptions options) => GateHost.StartAsync(options, new GateDependencies
    {
        UpstreamHandler = RegistryClient.CreateDefaultHandler(),
        Sigstore = new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.Parse(Encoding.UTF8.GetBytes(sandbox.TrustedRootJson))),
        TrustedKeys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(sandbox.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations(),
    });

    public async Task DisposeAsync()
    {
        if (_gate is not null)
        {
            await _gate.DisposeAsync();
        }

        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        _http.Dispose();
        _key.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? token = GateFixture.ReaderToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gate!.Url, path));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task VerifyThroughGateAsync(string version)
    {
        var (status, body) = await GetAsync("/-/vouch/v1/verify/@lottiefiles/lottie-player/" + version, token: null);
        Assert.True(status == HttpStatusCode.OK, body);
    }

    private async Task<JsonNode> UpstreamVersionAsync(string version) =>
        JsonNode.Parse(await _http.GetStringAsync(new Uri(_sandbox!.Url, "@lottiefiles%2flottie-player")))!["versions"]![version]!;

    private async Task<byte[]> Sha512Async(string version) =>
        Vsa.SubjectSha512((string)(await UpstreamVersionAsync(version))["dist"]!["integrity"]!)!;

    private VsaResult Check(string envelope, byte[] sha512, string version, SlsaBuildLevel minimum = SlsaBuildLevel.L1) =>
        VsaVerifier.Verify(Encoding.UTF8.GetBytes(envelope), _key, new VsaExpectation
        {
            SubjectSha512 = sha512,
            MinimumLevel = minimum,
            PackageName = Package,
            Version = version,
            VerifierId = _gate!.Url.AbsoluteUri,
        });

    private static JsonNode Statement(string envelope) =>
        JsonNode.Parse(Convert.FromBase64String((string)JsonNode.Parse(envelope)!["payload"]!))!;

    // The signed payload rewritten, the signature kept: what an attacker who edits a VSA produces.
    private static string Tamper(string envelope, Action<JsonNode> edit)
    {
        var env = JsonNode.Parse(envelope)!;
        var statement = Statement(envelope);
        edit(statement);
        env["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement.ToJsonString()));
        return env.ToJsonString();
    }

    [Fact]
    public async Task Vsa_WhenVersionVerified_VerifiesWithGateKeyAtThePolicysLevel()
    {
        await VerifyThroughGateAsync("2.0.4");
        var (status, envelope) = await GetAsync(Path + "2.0.4");
        Assert.True(status == HttpStatusCode.OK, envelope);

        var sha512 = await Sha512Async("2.0.4");
        var result = Check(envelope, sha512, "2.0.4", SlsaBuildLevel.L3);
        Assert.True(result.Passed, string.Join("; ", result.Problems.Select(p => $"{p.Code}: {p.Message}")));
        // The policy's mapping (release workflow = isolated builder) gives L3; the default would give L2.
        Assert.Equal(SlsaBuildLevel.L3, result.Level);
        Assert.Equal(["SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2", "SLSA_BUILD_LEVEL_3"], result.VerifiedLevels);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(P("policy.yml")))), result.PolicySha256);
        Assert.Equal("vouch-gate-policy:policy.yml", result.PolicyUri);
        Assert.Equal(SlsaBuildLevel.L2, SlsaLevels.Assess(new PackageReport
        {
            Name = Package,
            Version = "2.0.4",
            Integrity = new IntegrityReport("verified", "sha512"),
        } with
        {
            Provenance = new ProvenanceEvidence { Status = EvidenceStatus.Verified, Claims = new ProvenanceClaims { PredicateType = "https://slsa.dev/provenance/v1" }, Issuer = "https://token.actions.githubusercontent.com", RunnerEnvironment = "github-hosted", CertificateIdentity = "https://github.com/LottieFiles/lottie-player/.github/workflows/release.yml@refs/tags/v2.0.4" },
        }).Level);

        // Input attestations: exactly the bundles the registry served for this version, by the SHA-256 of their bytes.
        var served = await ServedBundleDigestsAsync("2.0.4");
        var inputs = Statement(envelope)["predicate"]!["inputAttestations"]!.AsArray();
        Assert.Equal(served.Order(StringComparer.Ordinal), inputs.Select(i => (string)i!["digest"]!["sha256"]!).Order(StringComparer.Ordinal));
        Assert.Contains(inputs, i => (string?)i!["name"] == NpmAttestationVerifier.PublishPredicate);
        Assert.Contains(inputs, i => ((string?)i!["name"])?.StartsWith("https://slsa.dev/provenance/", StringComparison.Ordinal) == true);
        var attestationsUrl = new Uri((string)(await UpstreamVersionAsync("2.0.4"))["dist"]!["attestations"]!["url"]!).AbsoluteUri;
        Assert.All(inputs, i => Assert.Equal(attestationsUrl, (string?)i!["uri"]));

        // Another version's tarball is not this summary's subject.
        Assert.Contains(Check(envelope, await Sha512Async("2.0.3"), "2.0.4").Problems, p => p.Code == VsaCodes.SubjectMismatch);
    }

    [Fact]
    public async Task Vsa_WhenLevelOrSubjectChangedInPayload_IsRefused()
    {
        await VerifyThroughGateAsync("2.0.4");
        var (_, envelope) = await GetAsync(Path + "2.0.4");
        var sha512 = await Sha512Async("2.0.4");
        Assert.True(Check(envelope, sha512, "2.0.4").Passed);

        var lowered = Tamper(envelope, s => s["predicate"]!["verifiedLevels"] = new JsonArray("SLSA_BUILD_LEVEL_1"));
        Assert.Contains(Check(lowered, sha512, "2.0.4").Problems, p => p.Code == VsaCodes.SignatureInvalid);

        var otherDigest = Convert.ToHexStringLower(await Sha512Async("2.0.3"));
        var moved = Tamper(envelope, s => s["subject"]![0]!["digest"]!["sha512"] = otherDigest);
        Assert.Contains(Check(moved, await Sha512Async("2.0.3"), "2.0.4").Problems, p => p.Code == VsaCodes.SignatureInvalid);

        var renamed = Tamper(envelope, s => s["subject"]![0]!["name"] = "pkg:npm/%40lottiefiles/lottie-player@2.0.3");
        Assert.False(Check(renamed, sha512, "2.0.4").Passed);
    }

    [Fact]
    public async Task Vsa_WhenPolicyWithholdsVersion_SaysFailedWithNoLevels()
    {
        // 2.0.5 was published with a stolen token: no provenance (L0), below the policy's minimum L2.
        await VerifyThroughGateAsync("2.0.5");
        var (status, envelope) = await GetAsync(Path + "2.0.5");
        Assert.True(status == HttpStatusCode.OK, envelope);
        var result = Check(envelope, await Sha512Async("2.0.5"), "2.0.5");
        Assert.Contains(result.Problems, p => p.Code == VsaCodes.ResultFailed);
        Assert.Empty(result.VerifiedLevels);
        Assert.Equal("FAILED", (string?)Statement(envelope)["predicate"]!["verificationResult"]);
    }

    [Fact]
    public async Task Vsa_WhenVersionNotVerifiedOrUnknown_Answers409Or404WithCodes()
    {
        var (notVerified, body) = await GetAsync(Path + "2.0.2");
        Assert.Equal(HttpStatusCode.Conflict, notVerified);
        Assert.Equal(GateCodes.NotVerified, (string?)JsonNode.Parse(body)!["code"]);

        var (unknownVersion, body2) = await GetAsync(Path + "9.9.9");
        Assert.Equal(HttpStatusCode.NotFound, unknownVersion);
        Assert.Equal(GateCodes.NotFound, (string?)JsonNode.Parse(body2)!["code"]);

        var (unknownPackage, body3) = await GetAsync("/-/vouch/v1/vsa/@lottiefiles/no-such-package/1.0.0");
        Assert.Equal(HttpStatusCode.NotFound, unknownPackage);
        Assert.Equal(GateCodes.NotFound, (string?)JsonNode.Parse(body3)!["code"]);

        var (range, body4) = await GetAsync(Path + "latest");
        Assert.Equal(HttpStatusCode.BadRequest, range);
        Assert.Equal(GateCodes.BadRequest, (string?)JsonNode.Parse(body4)!["code"]);
    }

    [Fact]
    public async Task Vsa_WithoutToken_Is401()
    {
        await VerifyThroughGateAsync("2.0.4");
        var (status, body) = await GetAsync(Path + "2.0.4", token: null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(GateCodes.Unauthorized, (string?)JsonNode.Parse(body)!["code"]);
        var (wrong, _) = await GetAsync(Path + "2.0.4", token: "not-a-token-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
    }

    [Theory]
    [InlineData("/-/vouch/v1/vsa/@lottiefiles%2f..%2flottie-player/2.0.4")]
    [InlineData("/-/vouch/v1/vsa/@lottiefiles/lottie-player/..%2f2.0.4")]
    [InlineData("/-/vouch/v1/vsa/..%2f..%2fverify/@lottiefiles/lottie-player/2.0.4")]
    [InlineData("/-/vouch/v1/vsa/@lottiefiles/lottie-player/%252e%252e/2.0.4")]
    [InlineData("/-/vouch/v1/vsa/@lottiefiles/lottie-player/2.0.4%00")]
    [InlineData("/-/vouch/v1/vsa/@lottiefiles/lottie-player/2.0.4/../2.0.3")]
    [InlineData("/-/vouch/v1/vsa/@lottiefiles/lottie-player")]
    [InlineData("/-/vouch/v1/vsa/")]
    [InlineData("/-/vouch/v1/vsa/%40lottiefiles%2Flottie-player/2.0.4%20")]
    public async Task Vsa_WhenPathMalformedOrTraversing_IsRefusedNever500Or200(string target)
    {
        await VerifyThroughGateAsync("2.0.4");
        var answer = await RawHttp.SendAsync(_gate!.Url, "GET", target, [$"Authorization: Bearer {GateFixture.ReaderToken}"]);
        Assert.InRange(answer.Status, 400, 499);
        Assert.DoesNotContain("payloadType", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vsa_WhenEncodedScopeSlash_IsTheSameVersion()
    {
        await VerifyThroughGateAsync("2.0.4");
        var answer = await RawHttp.SendAsync(_gate!.Url, "GET", "/-/vouch/v1/vsa/@lottiefiles%2flottie-player/2.0.4", [$"Authorization: Bearer {GateFixture.ReaderToken}"]);
        Assert.True(answer.Status is 200 or 400, answer.Text);
        if (answer.Status == 200)
        {
            Assert.True(Check(answer.Text, await Sha512Async("2.0.4"), "2.0.4").Passed);
        }
    }

    [Fact]
    public async Task Vsa_WhenGateHasNoKey_Is404Disabled()
    {
        var dir = P("nokey");
        await using var gate = await StartGateAsync(_sandbox!, Options(_sandbox!.Url) with { Database = System.IO.Path.Combine(dir, "gate.db"), DataDirectory = dir });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gate.Url, Path + "2.0.4"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GateFixture.ReaderToken);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(GateCodes.VsaDisabled, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]);
    }

    [Fact]
    public void Validate_WhenVsaKeyIsNotAP256PrivateKey_ListsIt()
    {
        File.WriteAllText(P("pub.pem"), _key.ExportSubjectPublicKeyInfoPem());
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        File.WriteAllText(P("p384.pem"), p384.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(P("junk.pem"), "not a key");
        foreach (var bad in new[] { P("pub.pem"), P("p384.pem"), P("junk.pem"), P("missing.pem") })
        {
            var errors = Options(new Uri("https://registry.example/")) with { VsaKeyPath = bad };
            Assert.Contains(errors.Validate(), e => e.StartsWith("vsa-key:", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(Options(new Uri("https://registry.example/")) with { VsaKeyPath = P("vsa.key") } is var ok ? ok.Validate() : [], e => e.StartsWith("vsa-key:", StringComparison.Ordinal));
        Assert.Contains((Options(new Uri("https://registry.example/")) with { VsaVerifierId = "https://gate.example/" }).Validate(), e => e.StartsWith("vsa-verifier:", StringComparison.Ordinal));
    }

    private async Task<List<string>> ServedBundleDigestsAsync(string version)
    {
        var url = new Uri((string)(await UpstreamVersionAsync(version))["dist"]!["attestations"]!["url"]!);
        var bytes = await _http.GetByteArrayAsync(url);
        using var doc = JsonDocument.Parse(bytes);
        return doc.RootElement.GetProperty("attestations").EnumerateArray()
            .Select(a => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(a.GetProperty("bundle").GetRawText()))))
            .ToList();
    }
}
