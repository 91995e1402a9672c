using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Provenance.Slsa;

namespace Vouch.Provenance.Tests.Slsa;

/// <summary>A VSA that verifies, and the ways one must not.</summary>
public sealed class VsaTests : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly SandboxEvidence _sandbox = new();

    public void Dispose()
    {
        _key.Dispose();
        _sandbox.Dispose();
    }

    private VsaRequest Request()
    {
        var report = _sandbox.Report(SandboxEvidence.Release);
        var level = SlsaLevels.Assess(report).Level;
        return new VsaRequest
        {
            PackageName = "widget",
            Version = "1.0.0",
            TarballSha512 = SandboxEvidence.Sha512,
            VerifierId = "https://vouch.test/cli",
            VerifierVersion = "1.2.3",
            TimeVerified = new DateTimeOffset(2026, 12, 6, 5, 0, 0, TimeSpan.Zero),
            PolicyUri = "vouch.policy.yml",
            PolicySha256Hex = Convert.ToHexStringLower(SHA256.HashData("version: 1\n"u8)),
            Passed = report.Passed,
            Level = level,
            InputAttestations = [new VsaInput("https://registry.npmjs.org/-/npm/v1/attestations/widget@1.0.0", new string('d', 64))],
        };
    }

    private VsaExpectation Expect(SlsaBuildLevel min = SlsaBuildLevel.L2) =>
        new() { SubjectSha512 = SandboxEvidence.Sha512, MinimumLevel = min, PackageName = "widget", Version = "1.0.0", VerifierId = "https://vouch.test/cli" };

    private VsaResult Check(string envelope, VsaExpectation? expect = null, ECDsa? key = null) =>
        VsaVerifier.Verify(Encoding.UTF8.GetBytes(envelope), key ?? _key, expect ?? Expect());

    [Fact]
    public void Verify_WhenSignedVsaMatches_Passes()
    {
        var result = Check(Vsa.Sign(Request(), _key));
        Assert.True(result.Passed, string.Join("; ", result.Problems));
        Assert.Equal(SlsaBuildLevel.L2, result.Level);
        Assert.Equal(["SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2"], result.VerifiedLevels);
        Assert.Equal("pkg:npm/widget@1.0.0", result.ResourceUri);
        Assert.Equal("2026-12-06T05:00:00Z", result.TimeVerified);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("version: 1\n"u8)), result.PolicySha256);
    }

    [Fact]
    public void Statement_WhenBuilt_IsAnInTotoV1VsaOverTheTarball()
    {
        var statement = JsonNode.Parse(Vsa.Statement(Request()))!;
        Assert.Equal("https://in-toto.io/Statement/v1", (string?)statement["_type"]);
        Assert.Equal("https://slsa.dev/verification_summary/v1", (string?)statement["predicateType"]);
        Assert.Equal(Convert.ToHexStringLower(SandboxEvidence.Sha512), (string?)statement["subject"]![0]!["digest"]!["sha512"]);
        Assert.Equal("PASSED", (string?)statement["predicate"]!["verificationResult"]);
        Assert.Equal("https://registry.npmjs.org/-/npm/v1/attestations/widget@1.0.0", (string?)statement["predicate"]!["inputAttestations"]![0]!["uri"]);
    }

    [Fact]
    public void Verify_WhenLevelRaisedInPayload_FailsSignature()
    {
        var envelope = JsonNode.Parse(Vsa.Sign(Request(), _key))!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!));
        var raised = payload.Replace("\"SLSA_BUILD_LEVEL_2\"]", "\"SLSA_BUILD_LEVEL_2\",\"SLSA_BUILD_LEVEL_3\"]", StringComparison.Ordinal);
        Assert.NotEqual(payload, raised);
        envelope["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(raised));
        var result = Check(envelope.ToJsonString(), Expect(SlsaBuildLevel.L3));
        Assert.Equal(VsaCodes.SignatureInvalid, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void Verify_WhenSubjectChangedInPayload_FailsSignature()
    {
        var envelope = JsonNode.Parse(Vsa.Sign(Request(), _key))!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)envelope["payload"]!));
        var other = Convert.ToHexStringLower(SHA512.HashData("evil"u8));
        envelope["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace(Convert.ToHexStringLower(SandboxEvidence.Sha512), other, StringComparison.Ordinal)));
        Assert.Equal(VsaCodes.SignatureInvalid, Assert.Single(Check(envelope.ToJsonString()).Problems).Code);
    }

    [Fact]
    public void Verify_WhenSignedVsaIsForAnotherTarball_FailsSubject()
    {
        var result = Check(Vsa.Sign(Request() with { TarballSha512 = SHA512.HashData("evil"u8) }, _key));
        Assert.Equal(VsaCodes.SubjectMismatch, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void Verify_WhenSignedLevelBelowMinimum_FailsLevel()
    {
        var result = Check(Vsa.Sign(Request() with { Level = SlsaBuildLevel.L1 }, _key));
        Assert.Equal(VsaCodes.LevelInsufficient, Assert.Single(result.Problems).Code);
        Assert.True(Check(Vsa.Sign(Request() with { Level = SlsaBuildLevel.L1 }, _key), Expect(SlsaBuildLevel.L1)).Passed);
    }

    [Fact]
    public void Verify_WhenVerificationFailed_FailsResult()
    {
        var result = Check(Vsa.Sign(Request() with { Passed = false }, _key), Expect(SlsaBuildLevel.L0));
        Assert.Equal(VsaCodes.ResultFailed, Assert.Single(result.Problems).Code);
    }

    [Fact]
    public void Verify_WhenAnotherKeySigned_FailsSignature()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(VsaCodes.SignatureInvalid, Assert.Single(Check(Vsa.Sign(Request(), other)).Problems).Code);
    }

    [Fact]
    public void Verify_WhenOtherPackageOrVerifier_Fails()
    {
        var envelope = Vsa.Sign(Request() with { PackageName = "widget-evil" }, _key);
        var codes = Check(envelope).Problems.Select(p => p.Code).ToList();
        Assert.Contains(VsaCodes.SubjectMismatch, codes);
        Assert.Contains(VsaCodes.ResourceMismatch, codes);
        Assert.Equal(VsaCodes.VerifierMismatch, Assert.Single(Check(Vsa.Sign(Request() with { VerifierId = "https://evil.test" }, _key)).Problems).Code);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"!!\",\"signatures\":[]}")]
    [InlineData("{\"payloadType\":\"text/plain\",\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"AA==\"}]}")]
    public void Verify_WhenEnvelopeMalformed_ReportsMalformed(string envelope) =>
        Assert.Equal(VsaCodes.Malformed, Assert.Single(Check(envelope).Problems).Code);

    [Fact]
    public void Verify_WhenSignedPayloadIsNotAVsa_ReportsMalformed()
    {
        var payload = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"https://slsa.dev/provenance/v1\",\"subject\":[],\"predicate\":{}}"u8.ToArray();
        var sig = _key.SignData(Vouch.Sigstore.Dsse.Pae.Encode(Vsa.PayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var envelope = $"{{\"payloadType\":\"{Vsa.PayloadType}\",\"payload\":\"{Convert.ToBase64String(payload)}\",\"signatures\":[{{\"sig\":\"{Convert.ToBase64String(sig)}\"}}]}}";
        var problem = Assert.Single(Check(envelope).Problems);
        Assert.Equal(VsaCodes.Malformed, problem.Code);
        Assert.Contains("predicateType", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_WhenPemRoundTrips_LoadAndRefuseOtherCurves()
    {
        var priv = VsaKeys.LoadPrivate(_key.ExportECPrivateKeyPem(), out var e1);
        Assert.NotNull(priv);
        Assert.Null(e1);
        var pub = VsaKeys.LoadPublic(_key.ExportSubjectPublicKeyInfoPem(), out _);
        Assert.True(Check(Vsa.Sign(Request(), priv!), key: pub).Passed);
        Assert.Null(VsaKeys.LoadPrivate(_key.ExportSubjectPublicKeyInfoPem(), out var e2));
        Assert.Contains("public key", e2, StringComparison.Ordinal);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Null(VsaKeys.LoadPublic(p384.ExportSubjectPublicKeyInfoPem(), out var e3));
        Assert.Contains("P-256", e3, StringComparison.Ordinal);
        Assert.Null(VsaKeys.LoadPublic("garbage", out _));
    }
}
