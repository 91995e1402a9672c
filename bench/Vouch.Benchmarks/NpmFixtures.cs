using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore.Crypto;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Tests;

namespace Vouch.Benchmarks;

/// <summary>One recorded npm attestation bundle with the artifact and signer it verifies against.</summary>
public sealed record NpmCase(string Package, string PredicateType, byte[] BundleJson, Artifact Artifact, SignerPolicy Signer)
{
    public bool IsProvenance => PredicateType.StartsWith("https://slsa.dev/provenance/", StringComparison.Ordinal);

    public override string ToString() => $"{Package} ({PredicateType})";
}

/// <summary>
/// The real npm data in ../shared/fixtures/npm: the attestations of three packages (a SLSA provenance
/// bundle signed with a Fulcio certificate and an npm publish attestation signed with the registry's
/// key), the tarballs whose sha512 the statements' subjects name, the public-good trusted root and the
/// registry keys.
/// </summary>
public static class NpmFixtures
{
    public const string SlsaPrefix = "https://slsa.dev/provenance/";
    public const string PublishPredicate = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";

    /// <summary>Key id of the npm registry key that signed these publish attestations (2022-12 to 2025-01).</summary>
    public const string RegistryKeyId = "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA";

    /// <summary>Package spec → tarball file (the attestation file is the spec with `/` URL-encoded).</summary>
    public static readonly IReadOnlyDictionary<string, string> Packages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["sigstore@1.0.0"] = "sigstore-1.0.0.tgz",
        ["tuf-js@1.0.0"] = "tuf-js-1.0.0.tgz",
        ["@sigstore/protobuf-specs@0.2.1"] = "sigstore-protobuf-specs-0.2.1.tgz",
    };

    private static readonly Lazy<TrustedRoot> RootValue = new(() => TrustedRoot.Parse(File.ReadAllBytes(TrustedRootPath)));
    private static readonly Lazy<PublicKey> KeyValue = new(LoadRegistryKey);

    public static string TrustedRootPath => SharedFixtures.Path("npm", "trusted_root.json");

    public static TrustedRoot TrustedRoot => RootValue.Value;

    public static PublicKey RegistryKey => KeyValue.Value;

    /// <summary>Every attestation of every package, in a fixed order (provenance first).</summary>
    public static IReadOnlyList<NpmCase> All() =>
        [.. Packages.Keys.SelectMany(Load).OrderBy(c => c.IsProvenance ? 0 : 1).ThenBy(c => c.Package, StringComparer.Ordinal)];

    public static IReadOnlyList<NpmCase> Provenance() => [.. All().Where(c => c.IsProvenance)];

    public static IReadOnlyList<NpmCase> Publish() => [.. All().Where(c => !c.IsProvenance)];

    public static NpmCase Get(string package, bool provenance) =>
        Load(package).Single(c => c.IsProvenance == provenance);

    /// <summary>The sha512 of the package's tarball: the in-toto subject digest.</summary>
    public static byte[] TarballSha512(string package) =>
        SHA512.HashData(File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", Packages[package])));

    public static IEnumerable<NpmCase> Load(string package)
    {
        var artifact = Artifact.FromDigest(HashAlgorithmName.SHA512, TarballSha512(package));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "attestations", package.Replace("/", "%2f", StringComparison.Ordinal) + ".json")));
        var result = new List<NpmCase>();
        foreach (var a in doc.RootElement.GetProperty("attestations").EnumerateArray())
        {
            var predicateType = a.GetProperty("predicateType").GetString()!;
            var bundle = JsonSerializer.SerializeToUtf8Bytes(a.GetProperty("bundle"));
            var signer = predicateType.StartsWith(SlsaPrefix, StringComparison.Ordinal)
                ? SignerPolicy.AnyCertificateIdentityUnsafe()
                : predicateType == PublishPredicate
                    ? SignerPolicy.PublicKey(RegistryKey)
                    : throw new InvalidDataException($"{package}: unexpected predicate type {predicateType}");
            result.Add(new NpmCase(package, predicateType, bundle, artifact, signer));
        }

        return result;
    }

    /// <summary>Throws unless every case verifies: a benchmark of a failing path measures nothing useful.</summary>
    public static void AssertAllVerify(SigstoreVerifier verifier, IEnumerable<NpmCase> cases)
    {
        foreach (var c in cases)
        {
            var result = verifier.Verify(c.BundleJson, c.Artifact, c.Signer);
            if (!result.IsValid)
            {
                throw new InvalidOperationException($"{c} does not verify: {result}");
            }

            if (c.IsProvenance && (result.SigningCertificate is null || result.LogEntries.Count != 1 || result.Statement?.PredicateType != c.PredicateType))
            {
                throw new InvalidOperationException($"{c} verified without the expected evidence");
            }
        }
    }

    private static PublicKey LoadRegistryKey()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "registry-keys.tuf.json")));
        foreach (var k in doc.RootElement.GetProperty("keys").EnumerateArray())
        {
            if (k.GetProperty("keyId").GetString() == RegistryKeyId && k.GetProperty("keyUsage").GetString() == "npm:attestations")
            {
                return PublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(k.GetProperty("publicKey").GetProperty("rawBytes").GetString()!));
            }
        }

        throw new InvalidDataException($"registry key {RegistryKeyId} not found");
    }
}
