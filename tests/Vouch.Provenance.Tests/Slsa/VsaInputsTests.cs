using System.Security.Cryptography;
using System.Text;
using Vouch.Provenance.Slsa;

namespace Vouch.Provenance.Tests.Slsa;

/// <summary>A VSA's input attestations: the bundles the verification verified, by the SHA-256 of their bytes.</summary>
public sealed class VsaInputsTests : IDisposable
{
    private static readonly Uri Url = new("https://registry.npmjs.org/-/npm/v1/attestations/widget@1.0.0");
    private readonly SandboxEvidence _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Inputs_WhenProvenanceVerified_ListsItsBundleDigestAndPredicate()
    {
        var report = _sandbox.Report(SandboxEvidence.Release);
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
        var input = Assert.Single(Vsa.Inputs(report, Url));
        Assert.Equal(report.Provenance.BundleSha256, input.Sha256Hex);
        Assert.Matches("^[0-9a-f]{64}$", input.Sha256Hex);
        Assert.Equal("https://slsa.dev/provenance/v1", input.Name);
        Assert.Equal(Url.AbsoluteUri, input.Uri);

        // In the signed statement, as an in-toto resource descriptor.
        var statement = Encoding.UTF8.GetString(Vsa.Statement(new VsaRequest
        {
            PackageName = "widget",
            Version = "1.0.0",
            TarballSha512 = SandboxEvidence.Sha512,
            VerifierId = "https://vouch.test/cli",
            VerifierVersion = "1.2.3",
            TimeVerified = DateTimeOffset.UnixEpoch,
            Passed = true,
            Level = SlsaBuildLevel.L2,
            InputAttestations = Vsa.Inputs(report, Url),
        }));
        Assert.Contains($"\"inputAttestations\":[{{\"name\":\"https://slsa.dev/provenance/v1\",\"uri\":\"{Url.AbsoluteUri}\",\"digest\":{{\"sha256\":\"{input.Sha256Hex}\"}}}}]", statement, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_WhenProvenanceIsForAnotherTarball_LeavesItOut()
    {
        // Honestly signed provenance whose subject is other bytes: it fails, so the summary does not rest on it.
        var report = _sandbox.Report(SandboxEvidence.Release, subjectSha512: SHA512.HashData("other bytes"u8));
        Assert.NotEqual(EvidenceStatus.Verified, report.Provenance.Status);
        Assert.NotNull(report.Provenance.BundleSha256);
        Assert.Empty(Vsa.Inputs(report, Url));
    }

    [Fact]
    public void Inputs_WhenBundlesDiffer_DigestsDiffer()
    {
        // Two signings of the same statement are different bundles (signature, log entry): each is named by its own bytes.
        var a = _sandbox.Report(SandboxEvidence.Release).Provenance.BundleSha256;
        var b = _sandbox.Report(SandboxEvidence.Release).Provenance.BundleSha256;
        Assert.NotEqual(a, b);
        Assert.Empty(Vsa.Inputs(_sandbox.Report(SandboxEvidence.Release), attestationsUrl: null));
    }
}
