using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Vouch.Sigstore.Crypto;

namespace Vouch.Sigstore.Verification;

/// <summary>
/// The artifact a bundle must be about. A required argument of every verification: either the bytes,
/// or a digest (then signatures that need the whole message, such as Ed25519, cannot be checked).
/// </summary>
public sealed class Artifact
{
    private readonly ReadOnlyMemory<byte>? _bytes;
    private readonly Dictionary<string, byte[]> _digests = new(StringComparer.Ordinal);

    private Artifact(ReadOnlyMemory<byte>? bytes) => _bytes = bytes;

    public bool HasBytes => _bytes is not null;

    public ReadOnlyMemory<byte> Bytes => _bytes ?? throw new InvalidOperationException("only a digest of the artifact is known");

    public static Artifact FromBytes(ReadOnlyMemory<byte> bytes) => new(bytes);

    /// <summary>An artifact known only by its digest (`sha256:<hex>` on the command line).</summary>
    public static Artifact FromDigest(HashAlgorithmName algorithm, byte[] digest)
    {
        var a = new Artifact(null);
        a._digests[Name(algorithm)] = digest;
        return a;
    }

    /// <summary>Parses `sha256:<hex>` (also sha384, sha512).</summary>
    public static Artifact? ParseDigest(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        HashAlgorithmName? alg = text[..colon].ToLowerInvariant() switch
        {
            "sha256" => HashAlgorithmName.SHA256,
            "sha384" => HashAlgorithmName.SHA384,
            "sha512" => HashAlgorithmName.SHA512,
            _ => null,
        };
        if (alg is null)
        {
            return null;
        }

        byte[] digest;
        try
        {
            digest = Convert.FromHexString(text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }

        return digest.Length == HashSize(alg.Value) ? FromDigest(alg.Value, digest) : null;
    }

    /// <summary>The artifact's digest under <paramref name="algorithm"/>, or null when it cannot be known.</summary>
    public byte[]? Digest(HashAlgorithmName algorithm)
    {
        var name = Name(algorithm);
        if (_digests.TryGetValue(name, out var d))
        {
            return d;
        }

        if (_bytes is not { } bytes)
        {
            return null;
        }

        var buffer = new byte[HashSize(algorithm)];
        PublicKey.Hash(algorithm, bytes.Span, buffer);
        lock (_digests)
        {
            _digests[name] = buffer;
        }

        return buffer;
    }

    internal static string Name(HashAlgorithmName a) => a.Name!.ToLowerInvariant();

    private static int HashSize(HashAlgorithmName a) => a == HashAlgorithmName.SHA384 ? 48 : a == HashAlgorithmName.SHA512 ? 64 : 32;
}

/// <summary>An expected signer identity: the certificate's SAN (exact or pattern) and OIDC issuer.</summary>
public sealed class CertificateIdentity
{
    private readonly string? _san;
    private readonly Regex? _sanPattern;
    private readonly string? _issuer;
    private readonly Regex? _issuerPattern;

    private CertificateIdentity(string? san, Regex? sanPattern, string? issuer, Regex? issuerPattern)
    {
        _san = san;
        _sanPattern = sanPattern;
        _issuer = issuer;
        _issuerPattern = issuerPattern;
    }

    public static CertificateIdentity Exact(string subjectAlternativeName, string issuer) => new(subjectAlternativeName, null, issuer, null);

    /// <summary>Patterns are anchored: they must match the whole value.</summary>
    public static CertificateIdentity Pattern(string subjectAlternativeNamePattern, string issuerPatternOrExact, bool issuerIsPattern = false) =>
        new(null, Anchored(subjectAlternativeNamePattern), issuerIsPattern ? null : issuerPatternOrExact, issuerIsPattern ? Anchored(issuerPatternOrExact) : null);

    internal bool SanMatches(IEnumerable<string> sans) => sans.Any(s => _san is not null ? s == _san : _sanPattern!.IsMatch(s));

    internal bool IssuerMatches(string? issuer) => issuer is not null && (_issuer is not null ? issuer == _issuer : _issuerPattern!.IsMatch(issuer));

    public override string ToString() => $"{_san ?? _sanPattern!.ToString()} from {_issuer ?? _issuerPattern!.ToString()}";

    // \z, not $: "$" also matches before a final newline, so "https://x" would accept the SAN "https://x\n".
    private static Regex Anchored(string pattern) => new($"^(?:{pattern})\\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

/// <summary>Who must have signed: a certificate identity, a known public key, or (unsafe) any Fulcio identity.</summary>
public sealed class SignerPolicy
{
    private SignerPolicy(IReadOnlyList<CertificateIdentity> identities, PublicKey? key, bool anyIdentity)
    {
        Identities = identities;
        Key = key;
        AnyIdentity = anyIdentity;
    }

    public IReadOnlyList<CertificateIdentity> Identities { get; }

    public PublicKey? Key { get; }

    internal bool AnyIdentity { get; }

    public static SignerPolicy Certificate(params CertificateIdentity[] identities)
    {
        if (identities.Length == 0)
        {
            throw new ArgumentException("at least one identity is required", nameof(identities));
        }

        return new(identities, null, false);
    }

    public static SignerPolicy PublicKey(PublicKey key) => new([], key, false);

    /// <summary>
    /// Accepts any certificate that chains to a trusted CA, whoever it names. Only for callers that
    /// check the identity themselves afterwards (npm provenance checks it against the predicate).
    /// </summary>
    public static SignerPolicy AnyCertificateIdentityUnsafe() => new([], null, true);
}

/// <summary>How a verifier is configured: the thresholds of sigstore-go's defaults, and an injected clock.</summary>
public sealed class VerifierOptions
{
    /// <summary>Verified transparency log entries required.</summary>
    public int TlogThreshold { get; init; } = 1;

    /// <summary>Verified SCTs required on a Fulcio certificate.</summary>
    public int SctThreshold { get; init; } = 1;

    /// <summary>Verified times (log integrated times or RFC 3161 timestamps) required for a certificate.</summary>
    public int ObserverTimestampThreshold { get; init; } = 1;

    /// <summary>How far in the future a log's integrated time may be before it is refused (clock skew).</summary>
    public TimeSpan AllowedClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Accept thresholds of 0 (a bundle with no log entry, no SCT or no verified time). Only for tests
    /// and private deployments that knowingly give up that check; never set by a command-line default.
    /// </summary>
    public bool AllowZeroThresholdsUnsafe { get; init; }

    /// <summary>Every problem with these options, empty when they are usable (checked when a verifier is built).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[] { (nameof(TlogThreshold), TlogThreshold), (nameof(SctThreshold), SctThreshold), (nameof(ObserverTimestampThreshold), ObserverTimestampThreshold) })
        {
            if (value < 0 || (value == 0 && !AllowZeroThresholdsUnsafe))
            {
                problems.Add($"{name} is {value}: at least 1{(value == 0 ? $" (0 only with {nameof(AllowZeroThresholdsUnsafe)})" : "")}");
            }
        }

        if (AllowedClockSkew < TimeSpan.Zero)
        {
            problems.Add($"{nameof(AllowedClockSkew)} is negative");
        }

        return problems;
    }
}
