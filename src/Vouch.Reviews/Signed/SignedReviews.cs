using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Dsse;
using Vouch.Sigstore.Verification;

namespace Vouch.Reviews.Signed;

/// <summary>Signs a review statement into a Sigstore bundle (JSON): with a local key, or keyless (<see cref="KeylessReviewSigner"/>).</summary>
public interface IReviewSigner
{
    Task<ReviewSignature> SignStatementAsync(byte[] statement, CancellationToken ct);
}

/// <summary>How a review step failed: the CLI's exit code follows the kind (1, 3, 2).</summary>
public enum ReviewFailureKind
{
    /// <summary>Something did not verify (integrity, format, a signing answer that does not check out).</summary>
    CheckFailed,

    /// <summary>The registry or a signing service could not be reached or failed on its side.</summary>
    NetworkFailed,

    /// <summary>A signing service refused what the user gave it (an expired or wrong identity token).</summary>
    Refused,
}

/// <summary>A signed review bundle, or why there is none: a value, never an exception.</summary>
public sealed record ReviewSignature
{
    public string? Bundle { get; init; }

    /// <summary>The certificate identity (SAN) a keyless bundle was issued to; null for a local key.</summary>
    public string? SignerIdentity { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }

    public ReviewFailureKind Kind { get; init; }

    internal static ReviewSignature Failed(string code, string message, ReviewFailureKind kind) => new() { Code = code, Message = message, Kind = kind };
}

/// <summary>
/// Signs with a local ECDSA P-256 key: a v0.3 bundle with a `publicKey` hint and no transparency log
/// entry (the key itself is the trust anchor, listed in `trust.toml`).
/// </summary>
public sealed class LocalKeyReviewSigner : IReviewSigner, IDisposable
{
    private readonly ECDsa _key;

    public LocalKeyReviewSigner(string pkcs8Pem)
    {
        _key = ECDsa.Create();
        _key.ImportFromPem(pkcs8Pem);
        if (_key.KeySize != 256)
        {
            _key.Dispose();
            throw new ArgumentException("the review key must be ECDSA P-256", nameof(pkcs8Pem));
        }

        KeyHint = Convert.ToBase64String(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()));
    }

    public string KeyHint { get; }

    public string PublicKeyPem => PemEncoding.WriteString("PUBLIC KEY", _key.ExportSubjectPublicKeyInfo()) + "\n";

    public Task<ReviewSignature> SignStatementAsync(byte[] statement, CancellationToken ct) =>
        Task.FromResult(new ReviewSignature { Bundle = SignStatement(statement) });

    public string SignStatement(byte[] statement)
    {
        var signature = _key.SignData(Pae.Encode(InTotoStatement.PayloadType, statement), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json");
            w.WriteStartObject("verificationMaterial");
            w.WriteStartObject("publicKey");
            w.WriteString("hint", KeyHint);
            w.WriteEndObject();
            w.WriteStartArray("tlogEntries");
            w.WriteEndArray();
            w.WriteEndObject();
            ReviewBundleJson.WriteEnvelope(w, statement, signature, KeyHint);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>A signed review that verified, and who stands behind it.</summary>
public sealed record VerifiedReview(ReviewPredicate Predicate, string ReviewerId, string SignerIdentity, EffectiveTrust Trust);

/// <summary>The outcome of verifying one signed review: a value, never an exception.</summary>
public sealed record SignedReviewResult
{
    public bool IsValid => Code is null;

    public string? Code { get; init; }

    public string? Message { get; init; }

    public VerifiedReview? Review { get; init; }

    internal static SignedReviewResult Fail(string code, string message) => new() { Code = code, Message = message };
}

/// <summary>What a signed review must meet: who is trusted, how far, and how much.</summary>
public sealed record ReviewTrustPolicy
{
    public TrustLevel MinimumLevel { get; init; } = TrustLevel.Low;

    public int MaxDepth { get; init; } = 3;
}

/// <summary>
/// Verifies signed reviews: the Sigstore bundle (through <see cref="SigstoreVerifier"/>), that its
/// subject is the given tarball (sha512) and package, the predicate, and the signer's standing in the
/// web of trust. Configured once; each call names the package, version and tarball digest.
/// </summary>
public sealed class SignedReviewVerifier
{
    private readonly SigstoreVerifier _keyless;
    private readonly SigstoreVerifier _keyed;
    private readonly TrustGraph _trust;
    private readonly ReviewTrustPolicy _policy;
    private readonly IReadOnlyDictionary<string, EffectiveTrust> _standing;

    public SignedReviewVerifier(SigstoreVerifier keyless, TrustGraph trust, ReviewTrustPolicy policy, TimeProvider time)
    {
        _keyless = keyless;

        // Key-signed reviews carry no log entry: the key listed in trust.toml is the anchor (docs/reviews.md),
        // so this one verifier, used only for keys the organisation listed, is the deliberate zero-threshold case.
        _keyed = new SigstoreVerifier(keyless.TrustedRoot, new VerifierOptions { TlogThreshold = 0, AllowZeroThresholdsUnsafe = true, TimeProvider = time });
        _trust = trust;
        _policy = policy;
        _standing = trust.Evaluate(policy.MaxDepth);
    }

    public SignedReviewResult Verify(ReadOnlyMemory<byte> bundleJson, string name, string version, byte[] tarballSha512)
    {
        if (bundleJson.Length > ReviewLimits.MaxBundleBytes)
        {
            return SignedReviewResult.Fail(ReviewCodes.SignatureInvalid, $"the review bundle is larger than {ReviewLimits.MaxBundleBytes} bytes");
        }

        Bundle bundle;
        try
        {
            bundle = Bundle.Parse(bundleJson);
        }
        catch (SigstoreFormatException e)
        {
            return SignedReviewResult.Fail(ReviewCodes.SignatureInvalid, $"{e.Code}: {e.Message}");
        }

        var artifact = Artifact.FromDigest(HashAlgorithmName.SHA512, tarballSha512);
        VerificationResult result;
        Reviewer? reviewer;
        string signer;
        if (bundle.Material.IsPublicKey)
        {
            // Try each listed key: the hint is attacker-controlled and only narrows the search.
            var keys = _trust.Reviewers.Where(r => r.Key is not null).OrderByDescending(r => HintOf(r) == bundle.Material.PublicKeyHint).ToList();
            result = VerificationResult_NoKey;
            reviewer = null;
            foreach (var r in keys)
            {
                result = _keyed.Verify(bundle, artifact, SignerPolicy.PublicKey(r.Key!));
                if (result.IsValid || result.Code != SigstoreCodes.DsseSignatureInvalid)
                {
                    reviewer = r;
                    break;
                }
            }

            if (reviewer is null && result.Code is null or SigstoreCodes.DsseSignatureInvalid && keys.Count > 0)
            {
                return SignedReviewResult.Fail(ReviewCodes.SignatureInvalid, "the review's signature verifies with no reviewer key in trust.toml (tampered, or signed by an unknown key)");
            }

            if (keys.Count == 0)
            {
                return SignedReviewResult.Fail(ReviewCodes.ReviewerUnknown, "the review is key-signed and trust.toml lists no reviewer keys");
            }

            signer = reviewer is null ? "" : "key:" + HintOf(reviewer);
        }
        else
        {
            // Any Fulcio identity may sign; who it is decides trust below, against trust.toml.
            result = _keyless.Verify(bundle, artifact, SignerPolicy.AnyCertificateIdentityUnsafe());
            signer = result.SubjectAlternativeName ?? "";
            reviewer = result.IsValid ? _trust.FindByIdentity(signer, result.CertificateExtensions?.Issuer) : null;
        }

        if (!result.IsValid)
        {
            return SignedReviewResult.Fail(
                result.Code == SigstoreCodes.DsseSubjectMismatch ? ReviewCodes.SubjectMismatch : ReviewCodes.SignatureInvalid,
                $"{result.Code}: {result.Message}");
        }

        var statement = result.Statement;
        if (statement is null || statement.PredicateType != ReviewStatement.PredicateType)
        {
            return SignedReviewResult.Fail(ReviewCodes.PredicateMalformed, $"the statement's predicate type is '{statement?.PredicateType}', not {ReviewStatement.PredicateType}");
        }

        var problems = new List<string>();
        var predicate = ReviewStatement.ParsePredicate(statement.PredicateJson, problems);
        if (predicate is null)
        {
            return SignedReviewResult.Fail(ReviewCodes.PredicateMalformed, string.Join("; ", problems));
        }

        var hex = Convert.ToHexStringLower(tarballSha512);
        var subjectName = ReviewStatement.SubjectName(name, version);
        if (predicate.Package != name || predicate.Version != version
            || !statement.Subjects.Any(s => s.Name == subjectName && s.Digest.TryGetValue("sha512", out var d) && d.Equals(hex, StringComparison.OrdinalIgnoreCase)))
        {
            return SignedReviewResult.Fail(ReviewCodes.SubjectMismatch, $"the review is of {predicate.Package}@{predicate.Version}, not of {name}@{version} with these bytes");
        }

        if (reviewer is null)
        {
            return SignedReviewResult.Fail(ReviewCodes.ReviewerUnknown, $"the review is signed by '{signer}', who is not a reviewer in trust.toml");
        }

        var standing = _standing[reviewer.Id];
        if (standing.Distrusted)
        {
            return SignedReviewResult.Fail(ReviewCodes.ReviewerDistrusted, $"reviewer '{reviewer.Id}' is distrusted (by {standing.DistrustedBy})");
        }

        if (standing.Level < _policy.MinimumLevel)
        {
            return SignedReviewResult.Fail(ReviewCodes.ReviewerTooFar, $"reviewer '{reviewer.Id}' is trusted at {standing.Level} within {_policy.MaxDepth} steps; {_policy.MinimumLevel} is required");
        }

        return new SignedReviewResult { Review = new VerifiedReview(predicate, reviewer.Id, signer, standing) };
    }

    private static readonly VerificationResult VerificationResult_NoKey = new() { Code = SigstoreCodes.KeyRequired, Message = "no reviewer key" };

    private static string HintOf(Reviewer r) => Convert.ToBase64String(SHA256.HashData(r.Key!.SubjectPublicKeyInfo));
}

/// <summary>The bundle's DSSE envelope as both signers write it: the statement, its payload type, one signature.</summary>
internal static class ReviewBundleJson
{
    public static void WriteEnvelope(Utf8JsonWriter w, byte[] statement, byte[] signature, string? keyId)
    {
        w.WriteStartObject("dsseEnvelope");
        w.WriteString("payload", Convert.ToBase64String(statement));
        w.WriteString("payloadType", InTotoStatement.PayloadType);
        w.WriteStartArray("signatures");
        w.WriteStartObject();
        w.WriteString("sig", Convert.ToBase64String(signature));
        if (keyId is not null)
        {
            w.WriteString("keyid", keyId);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
