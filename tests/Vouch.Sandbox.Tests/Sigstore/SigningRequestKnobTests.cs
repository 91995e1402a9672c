using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

/// <summary>Each knob must break exactly the one thing it names and leave the rest of the bundle valid.</summary>
public sealed class SigningRequestKnobTests
{
    private static readonly byte[] Artifact = Encoding.UTF8.GetBytes("knob test artifact");

    public static TheoryData<string, string> SingleFailureKnobs() => new()
    {
        { "expired-certificate", "certificate-validity" },
        { "not-yet-valid-certificate", "certificate-validity" },
        { "integrated-time-after-expiry", "certificate-validity" },
        { "no-eku", "eku" },
        { "server-auth-eku", "eku" },
        { "root-in-chain", "root-in-chain" },
        { "no-sct", "sct" },
        { "sct-unknown-log", "sct" },
        { "sct-bad-signature", "sct" },
        { "set-untrusted-key", "set" },
        { "no-checkpoint", "checkpoint-missing" },
        { "checkpoint-untrusted-key", "checkpoint" },
        { "no-inclusion-proof", "inclusion-proof-missing" },
        { "other-signing-key", "signature" },
        { "timestamp-over-other-bytes", "timestamp" },
        { "timestamp-untrusted-tsa", "timestamp" },
        { "timestamp-outside-validity", "certificate-validity" },
        { "v03-with-chain", "v03-certificate-form" },
    };

    [Theory]
    [MemberData(nameof(SingleFailureKnobs))]
    public void SignArtifact_WhenKnobSet_ExactlyThatCheckFails(string knob, string expectedFailure)
    {
        var now = Fixtures.Epoch;
        var request = Fixtures.Request();
        request = knob switch
        {
            "expired-certificate" => request with { CertificateNotBefore = now.AddHours(-2), CertificateNotAfter = now.AddHours(-1) },
            "not-yet-valid-certificate" => request with { CertificateNotBefore = now.AddMinutes(5) },
            "integrated-time-after-expiry" => request with { IntegratedTime = now.AddMinutes(30) },
            "no-eku" => request with { ExtendedKeyUsage = LeafExtendedKeyUsage.Omitted },
            "server-auth-eku" => request with { ExtendedKeyUsage = LeafExtendedKeyUsage.ServerAuth },
            "root-in-chain" => request with { BundleVersion = BundleVersion.V02, Chain = CertificateChain.LeafIntermediateAndRoot },
            "no-sct" => request with { Sct = SctMode.Omitted },
            "sct-unknown-log" => request with { Sct = SctMode.UnknownLog },
            "sct-bad-signature" => request with { Sct = SctMode.BadSignature },
            "set-untrusted-key" => request with { SignSetWithUntrustedKey = true },
            "no-checkpoint" => request with { OmitCheckpoint = true },
            "checkpoint-untrusted-key" => request with { SignCheckpointWithUntrustedKey = true },
            "no-inclusion-proof" => request with { OmitInclusionProof = true },
            "other-signing-key" => request with { SignWithOtherKey = true },
            "timestamp-over-other-bytes" => request with { TimestampedBytes = [1, 2, 3] },
            "timestamp-untrusted-tsa" => request with { TimestampFromUntrustedAuthority = true },
            "timestamp-outside-validity" => request with { TimestampTime = now.AddHours(1) },
            "v03-with-chain" => request with { Chain = CertificateChain.LeafAndIntermediate },
            _ => throw new ArgumentOutOfRangeException(nameof(knob)),
        };

        using var instance = SigstoreInstance.Create(timeProvider: new ManualTimeProvider(now));
        var bundle = instance.SignArtifact(Artifact, request);

        Assert.Equal([expectedFailure], BundleChecker.Check(bundle.Json, instance.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignArtifact_WhenRekorV2AndNoTimestamp_OnlyVerifiedTimeIsMissing()
    {
        var bundle = Fixtures.Shared.SignArtifact(Artifact, Fixtures.Request() with { Log = RekorVersion.V2, AddTimestamp = false });

        Assert.Null(Fixtures.Parse(bundle.Json)["verificationMaterial"]!["timestampVerificationData"]);
        Assert.Equal(["no-verified-time"], BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignArtifact_WhenV01WithoutInclusionPromise_OnlySetIsMissing()
    {
        var bundle = Fixtures.Shared.SignArtifact(Artifact, Fixtures.Request() with { BundleVersion = BundleVersion.V01, OmitInclusionPromise = true });

        Assert.Null(Fixtures.Parse(bundle.Json)["verificationMaterial"]!["tlogEntries"]![0]!["inclusionPromise"]);
        Assert.Equal(["set-missing"], BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignArtifact_WhenTimestampWithoutEmbeddedCertificate_TokenHasNoCertificatesAndStillVerifies()
    {
        var bundle = Fixtures.Shared.SignArtifact(Artifact, Fixtures.Request() with { AddTimestamp = true, TimestampEmbedsCertificate = false });

        var response = new System.Formats.Asn1.AsnReader(bundle.SignedTimestamp!, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        response.ReadSequence();
        var cms = new System.Security.Cryptography.Pkcs.SignedCms();
        cms.Decode(response.ReadEncodedValue().Span);
        Assert.Empty(cms.Certificates);
        Assert.Empty(BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignArtifact_WhenSctTimestampOverridden_SctCarriesThatTime()
    {
        var at = Fixtures.Epoch.AddDays(-3);
        var bundle = Fixtures.Shared.SignArtifact(Artifact, Fixtures.Request() with { SctTimestamp = at });

        using var leaf = X509CertificateLoader.LoadCertificate(bundle.Certificate!);
        var sct = CertificateTransparencyLog.DecodeExtensionValue(leaf.Extensions[CertificateTransparencyLog.SctListOid]!.RawData).Single();
        Assert.Equal((ulong)at.ToUnixTimeMilliseconds(), sct.TimestampMilliseconds);
    }

    public static TheoryData<SigningRequest> InapplicableRequests() => new()
    {
        Fixtures.Request() with { Log = RekorVersion.V2, IntegratedTime = Fixtures.Epoch },
        Fixtures.Request() with { Log = RekorVersion.V2, SignSetWithUntrustedKey = true },
        Fixtures.Request() with { Log = RekorVersion.V2, OmitInclusionPromise = true },
        Fixtures.Request() with { OmitInclusionProof = true, OmitCheckpoint = true },
        Fixtures.Request() with { AddTimestamp = false, TimestampTime = Fixtures.Epoch },
        Fixtures.Request() with { DsseEntryKind = DsseEntryKind.Intoto },
    };

    [Theory]
    [MemberData(nameof(InapplicableRequests))]
    public void SignArtifact_WhenKnobCannotApply_Throws(SigningRequest request)
    {
        Assert.Throws<ArgumentException>(() => Fixtures.Shared.SignArtifact(Artifact, request));
    }

    [Fact]
    public void SignWithKey_WhenCertificateKnobSet_Throws()
    {
        using var key = SigningKey.Generate();
        Assert.Throws<ArgumentException>(() => Fixtures.Shared.SignWithKey(Artifact, key, new SigningRequest { Sct = SctMode.Omitted }));
    }
}
