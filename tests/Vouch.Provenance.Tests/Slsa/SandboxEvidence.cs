using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Provenance.Tests.Slsa;

/// <summary>
/// Real provenance for the SLSA mapping: signed by the in-process Sigstore instance (Fulcio certificate
/// with the identity's extensions, Rekor entry), then verified by <see cref="NpmAttestationVerifier"/>
/// exactly as `vouch verify` does, and wrapped in the report the mapping reads.
/// </summary>
internal sealed class SandboxEvidence : IDisposable
{
    public static readonly GitHubWorkflowIdentity Release = new("acme/widget", "refs/tags/v1.0.0", new string('a', 40), ".github/workflows/release.yml");

    private readonly SigstoreInstance _instance = SigstoreInstance.Create();

    public static byte[] Tarball { get; } = "widget tarball bytes"u8.ToArray();

    public static byte[] Sha512 { get; } = SHA512.HashData(Tarball);

    public void Dispose() => _instance.Dispose();

    /// <summary>Provenance whose predicate says <paramref name="predicate"/>, signed under <paramref name="certificate"/>.</summary>
    public PackageReport Report(GitHubWorkflowIdentity predicate, GitHubWorkflowIdentity? certificate = null, byte[]? subjectSha512 = null)
    {
        var statement = InTotoStatements.NpmProvenanceV1("widget", "1.0.0", subjectSha512 ?? Sha512, predicate);
        var bundle = _instance.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), new SigningRequest { Identity = certificate ?? predicate, BundleVersion = BundleVersion.V03 }).Json;
        var doc = new JsonObject
        {
            ["attestations"] = new JsonArray(new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v1", ["bundle"] = JsonNode.Parse(bundle) }),
        };
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(_instance.TrustedRootJson()));
        var evidence = new NpmAttestationVerifier(new SigstoreVerifier(root), RegistryKeys.Empty("none")).Verify("widget", "1.0.0", Sha512, Encoding.UTF8.GetBytes(doc.ToJsonString()));
        return new PackageReport
        {
            Name = "widget",
            Version = "1.0.0",
            Integrity = new IntegrityReport("verified", "sha512"),
            Provenance = evidence.Provenance,
            PublishAttestation = evidence.Publish,
        };
    }
}
