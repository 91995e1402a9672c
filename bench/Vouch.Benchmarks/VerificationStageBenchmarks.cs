using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Crypto;
using Vouch.Sigstore.Dsse;
using Vouch.Sigstore.Tlog;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Sigstore.X509;

namespace Vouch.Benchmarks;

/// <summary>
/// The stages of one provenance verification, each timed alone on the same bundle, to show where the
/// time of <see cref="SigstoreVerifier.Verify(Bundle, Artifact, SignerPolicy)"/> goes. The bundle is
/// @sigstore/protobuf-specs@0.2.1's, the only fixture whose Rekor entry carries an inclusion proof
/// and checkpoint as well as a signed entry timestamp, so every stage has work to do. Each stage
/// mirrors what the verifier does (some through internals, which Vouch.Sigstore exposes to this
/// assembly); GlobalSetup checks that every stage succeeds on this input.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class VerificationStageBenchmarks
{
    private const string Package = "@sigstore/protobuf-specs@0.2.1";

    private SigstoreVerifier _verifier = null!;
    private TrustedRoot _root = null!;
    private NpmCase _case = null!;
    private Bundle _bundle = null!;
    private byte[] _leafDer = null!;
    private Certificate _leaf = null!;
    private PublicKey _leafKey = null!;
    private DsseEnvelope _envelope = null!;
    private byte[] _pae = null!;
    private TlogEntry _entry = null!;
    private TransparencyLog _rekor = null!;
    private LoggedContent _logged = null!;
    private Certificate _issuer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = NpmFixtures.TrustedRoot;
        _verifier = new SigstoreVerifier(_root);
        _case = NpmFixtures.Get(Package, provenance: true);
        NpmFixtures.AssertAllVerify(_verifier, [_case]);

        _bundle = Bundle.Parse(_case.BundleJson);
        _leafDer = _bundle.Material.Certificates[0];
        _leaf = Certificate.Parse(_leafDer);
        _leafKey = _leaf.PublicKey;
        _envelope = _bundle.DsseEnvelope!;
        _pae = Pae.Encode(_envelope.PayloadType, _envelope.Payload);
        _entry = _bundle.Material.TlogEntries[0];
        _rekor = _root.FindTlog(_entry.LogId)!;
        _logged = new LoggedContent(_bundle.SignatureBytes, _leaf.Raw, _leafKey.SubjectPublicKeyInfo, null, _envelope.Payload, SHA256.HashData(_pae));
        _issuer = _root.CertificateAuthorities.First(ca => _leaf.IsSignedBy(ca.Issuer)).Issuer;

        Check(S04_DssePaeAndSignatureP256(), nameof(S04_DssePaeAndSignatureP256));
        Check(S05_InTotoStatementParse().Subjects.Count == 1, nameof(S05_InTotoStatementParse));
        Check(S06_RekorBodyMatch() is null, nameof(S06_RekorBodyMatch));
        Check(S07_SignedEntryTimestampP256(), nameof(S07_SignedEntryTimestampP256));
        Check(S08_InclusionProofMerkle(), nameof(S08_InclusionProofMerkle));
        Check(S09_CheckpointParseAndSignatureP256(), nameof(S09_CheckpointParseAndSignatureP256));
        Check(S10_LeafSignedByFulcioCaP384(), nameof(S10_LeafSignedByFulcioCaP384));
        Check(S11_SctPrecertTbsAndSignatureP256() == 1, nameof(S11_SctPrecertTbsAndSignatureP256));
        Check(S12_FulcioExtensions().Issuer is not null, nameof(S12_FulcioExtensions));
        Check(VerifyParsedBundle().IsValid, nameof(VerifyParsedBundle));
    }

    [Benchmark(Baseline = true)]
    public VerificationResult ParseAndVerify() => _verifier.Verify(_case.BundleJson, _case.Artifact, _case.Signer);

    [Benchmark]
    public VerificationResult VerifyParsedBundle() => _verifier.Verify(_bundle, _case.Artifact, _case.Signer);

    [Benchmark]
    public Bundle S01_BundleParse() => Bundle.Parse(_case.BundleJson);

    [Benchmark]
    public Certificate S02_LeafCertificateParse() => Certificate.Parse(_leafDer);

    [Benchmark]
    public PublicKey S03_LeafKeyImportEcdsa() => PublicKey.FromSubjectPublicKeyInfo(_leaf.SubjectPublicKeyInfo.Span);

    [Benchmark]
    public bool S04_DssePaeAndSignatureP256() => _leafKey.VerifyData(Pae.Encode(_envelope.PayloadType, _envelope.Payload), _envelope.Signatures[0].Signature);

    [Benchmark]
    public InTotoStatement S05_InTotoStatementParse() => InTotoStatement.Parse(_envelope.Payload);

    [Benchmark]
    public string? S06_RekorBodyMatch() => RekorBody.Mismatch(_entry.Kind, _entry.KindVersion, _entry.CanonicalizedBody, _logged);

    [Benchmark]
    public bool S07_SignedEntryTimestampP256()
    {
        var payload = string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"body\":\"{Convert.ToBase64String(_entry.CanonicalizedBody)}\",\"integratedTime\":{_entry.IntegratedTime},\"logID\":\"{Convert.ToHexString(_entry.LogId).ToLowerInvariant()}\",\"logIndex\":{_entry.LogIndex}}}");
        return _rekor.Key!.VerifyData(Encoding.UTF8.GetBytes(payload), _entry.SignedEntryTimestamp);
    }

    [Benchmark]
    public bool S08_InclusionProofMerkle()
    {
        var proof = _entry.InclusionProof!;
        var root = MerkleProof.RootFromInclusionProof(proof.LogIndex, proof.TreeSize, MerkleProof.LeafHash(_entry.CanonicalizedBody), proof.Hashes);
        return root is not null && root.AsSpan().SequenceEqual(proof.RootHash);
    }

    [Benchmark]
    public bool S09_CheckpointParseAndSignatureP256()
    {
        var checkpoint = Checkpoint.Parse(_entry.InclusionProof!.Checkpoint!);
        return checkpoint.Signatures.Any(s => _rekor.Key!.VerifyData(checkpoint.SignedText, s.Signature));
    }

    [Benchmark]
    public bool S10_LeafSignedByFulcioCaP384() => _leaf.IsSignedBy(_issuer);

    [Benchmark]
    public int S11_SctPrecertTbsAndSignatureP256() => SignedCertificateTimestamps.CountVerified(_leaf, _issuer, _root, out _);

    [Benchmark]
    public byte[] S11a_SctPrecertTbsRebuildOnly() => _leaf.PrecertificateTbs();

    [Benchmark]
    public FulcioExtensions S12_FulcioExtensions() => FulcioExtensions.From(_leaf);

    private static void Check(bool ok, string stage)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"stage {stage} does not succeed on the fixture; its timing would be meaningless");
        }
    }
}
