using Vouch.Provenance;

namespace Vouch.Sandbox.Tests.Registry;

public sealed class TamperFixture : RegistryFixture
{
    public static readonly string[] Switches =
    [
        "tarball-bytes", "signature", "signature-missing", "signature-unknown-key", "provenance-subject", "provenance-identity",
        "provenance-signature", "attestation-missing", "publish-attestation-missing", "publish-attestation-key",
    ];

    protected override Scenario CreateScenario()
    {
        var yaml = new System.Text.StringBuilder("name: tamper\npackages:\n");
        foreach (var name in Switches.Append("none"))
        {
            yaml.Append($"  - name: tamper-{name}\n    repository: octo/tamper-{name}\n    versions:\n      - version: 1.0.0\n        published: -2d\n        publisher: trusted-publisher\n");
            if (name != "none")
            {
                yaml.Append($"        tamper: [{name}]\n");
            }
        }

        return Scenario.Parse(yaml.ToString(), "tamper.yml");
    }
}

/// <summary>Every tamper switch breaks exactly the evidence it names, and Vouch reports it with its code.</summary>
public sealed class TamperTests(TamperFixture fixture) : IClassFixture<TamperFixture>
{
    [Theory]
    [InlineData("tarball-bytes", ProvenanceCodes.IntegrityMismatch)]
    [InlineData("signature", ProvenanceCodes.SignatureInvalid)]
    [InlineData("signature-unknown-key", ProvenanceCodes.SignatureKeyUnknown)]
    [InlineData("provenance-subject", ProvenanceCodes.ProvenanceSubjectMismatch)]
    [InlineData("provenance-identity", ProvenanceCodes.ProvenanceIdentityMismatch)]
    [InlineData("provenance-signature", ProvenanceCodes.ProvenanceInvalid)]
    [InlineData("attestation-missing", ProvenanceCodes.ProvenanceInvalid)]
    [InlineData("publish-attestation-key", ProvenanceCodes.PublishAttestationKeyUnknown)]
    public async Task VerifyAsync_WhenTamperSwitchSet_ReportsItsCode(string tamper, string code)
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync($"tamper-{tamper}@1.0.0");

        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Code == code);
    }

    [Fact]
    public async Task VerifyAsync_WhenSignatureMissing_SignatureAbsent()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync("tamper-signature-missing@1.0.0");

        Assert.Equal("absent", report.Signature.Status);
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
    }

    [Fact]
    public async Task VerifyAsync_WhenPublishAttestationMissing_PublishAbsentProvenanceVerified()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync("tamper-publish-attestation-missing@1.0.0");

        Assert.Equal(EvidenceStatus.Absent, report.PublishAttestation.Status);
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
    }

    [Fact]
    public async Task VerifyAsync_WhenNoTamperSwitch_Passes()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync("tamper-none@1.0.0");

        Assert.True(report.Passed, string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}")));
        Assert.Equal(EvidenceLevel.TrustedPublisher, report.EvidenceLevel);
    }
}
