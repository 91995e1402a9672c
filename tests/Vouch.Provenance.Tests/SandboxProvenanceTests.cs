using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Provenance.Tests;

/// <summary>
/// Provenance signed by the in-process Sigstore instance: a certificate issued to one workflow over a
/// predicate that names another must be refused, though every signature in it is valid.
/// </summary>
public sealed class SandboxProvenanceTests : IDisposable
{
    private static readonly GitHubWorkflowIdentity Real = new("acme/widget", "refs/tags/v1.0.0", new string('a', 40), ".github/workflows/release.yml");
    private readonly SigstoreInstance _instance = SigstoreInstance.Create();

    public void Dispose() => _instance.Dispose();

    private AttestationEvidence Verify(GitHubWorkflowIdentity predicateIdentity, GitHubWorkflowIdentity certificateIdentity)
    {
        var sha512 = SHA512.HashData("tarball"u8.ToArray());
        var statement = InTotoStatements.NpmProvenanceV1("widget", "1.0.0", sha512, predicateIdentity);
        var bundle = _instance.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), new SigningRequest { Identity = certificateIdentity, BundleVersion = Vouch.Sandbox.Sigstore.BundleVersion.V03 }).Json;
        var doc = new JsonObject
        {
            ["attestations"] = new JsonArray(new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v1", ["bundle"] = JsonNode.Parse(bundle) }),
        };
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(_instance.TrustedRootJson()));
        return new NpmAttestationVerifier(new SigstoreVerifier(root), RegistryKeys.Empty("none")).Verify("widget", "1.0.0", sha512, Encoding.UTF8.GetBytes(doc.ToJsonString()));
    }

    [Fact]
    public void Verify_WhenCertificateAndPredicateAgree_IsVerified()
    {
        var evidence = Verify(Real, Real);
        Assert.True(evidence.Provenance.Status == EvidenceStatus.Verified, evidence.Provenance.Problem?.ToString());
        Assert.Equal("https://github.com/acme/widget", evidence.Provenance.Claims!.SourceRepository);
        Assert.Equal(".github/workflows/release.yml", evidence.Provenance.Claims.WorkflowPath);
    }

    [Fact]
    public void Verify_WhenCertificateFromAnotherWorkflow_FailsIdentityMismatch()
    {
        var evidence = Verify(Real, Real with { WorkflowPath = ".github/workflows/other.yml" });
        Assert.Equal(ProvenanceCodes.ProvenanceIdentityMismatch, evidence.Provenance.Problem!.Code);
    }

    [Fact]
    public void Verify_WhenCertificateFromAnotherRepository_FailsIdentityMismatch()
    {
        var evidence = Verify(Real, Real with { Repository = "attacker/widget" });
        Assert.Equal(ProvenanceCodes.ProvenanceIdentityMismatch, evidence.Provenance.Problem!.Code);
        Assert.Contains("attacker/widget", evidence.Provenance.Problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_WhenCertificateForAnotherCommit_FailsIdentityMismatch()
    {
        var evidence = Verify(Real, Real with { Sha = new string('b', 40) });
        Assert.Equal(ProvenanceCodes.ProvenanceIdentityMismatch, evidence.Provenance.Problem!.Code);
    }
}
