using BenchmarkDotNet.Attributes;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Verification;

namespace Vouch.Benchmarks;

/// <summary>
/// The real npm attestations, per package: parse only, and parse + full verification (the path
/// `vouch verify` takes), for the SLSA provenance bundle (Fulcio certificate, SCT, Rekor entry) and
/// the npm publish attestation (registry key, Rekor entry).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class NpmVerificationBenchmarks
{
    private SigstoreVerifier _verifier = null!;
    private NpmCase _provenance = null!;
    private NpmCase _publish = null!;

    [ParamsSource(nameof(PackageNames))]
    public string Package { get; set; } = "";

    public static IEnumerable<string> PackageNames => NpmFixtures.Packages.Keys;

    [GlobalSetup]
    public void Setup()
    {
        _verifier = new SigstoreVerifier(NpmFixtures.TrustedRoot);
        _provenance = NpmFixtures.Get(Package, provenance: true);
        _publish = NpmFixtures.Get(Package, provenance: false);
        NpmFixtures.AssertAllVerify(_verifier, [_provenance, _publish]);
    }

    [Benchmark]
    public Bundle ProvenanceParse() => Bundle.Parse(_provenance.BundleJson);

    [Benchmark]
    public VerificationResult ProvenanceParseAndVerify() => _verifier.Verify(_provenance.BundleJson, _provenance.Artifact, _provenance.Signer);

    [Benchmark]
    public Bundle PublishParse() => Bundle.Parse(_publish.BundleJson);

    [Benchmark]
    public VerificationResult PublishParseAndVerify() => _verifier.Verify(_publish.BundleJson, _publish.Artifact, _publish.Signer);
}
