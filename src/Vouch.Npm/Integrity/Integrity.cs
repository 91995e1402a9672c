using System.Security.Cryptography;

namespace Vouch.Npm;

/// <summary>Hash algorithms that appear in npm integrity strings, weakest first.</summary>
public enum IntegrityAlgorithm
{
    Sha1 = 1,
    Sha256 = 2,
    Sha384 = 3,
    Sha512 = 4,
}

/// <summary>One <c>algorithm-base64digest</c> entry of an SRI string.</summary>
public sealed record IntegrityHash(IntegrityAlgorithm Algorithm, byte[] Digest)
{
    public string ToSri() => $"{Integrity.AlgorithmName(Algorithm)}-{Convert.ToBase64String(Digest)}";

    public override string ToString() => ToSri();
}

/// <summary>How computed hashes compare with what a document claims.</summary>
public enum IntegrityStatus
{
    /// <summary>The strongest claimed hash matches.</summary>
    Match,

    /// <summary>The strongest claimed hash does not match.</summary>
    Mismatch,

    /// <summary>Nothing usable was claimed (empty, unknown algorithms only, or malformed).</summary>
    NoUsableHash,
}

/// <summary>The outcome of an integrity comparison, with the algorithm it was decided on.</summary>
public sealed record IntegrityCheck(IntegrityStatus Status, IntegrityAlgorithm? Algorithm, string Expected, string Actual);

/// <summary>
/// A parsed Subresource Integrity string as npm writes it in <c>dist.integrity</c>: whitespace
/// separated <c>alg-base64</c> entries (options after <c>?</c> ignored). Entries with unknown
/// algorithms or broken base64 are skipped, as npm's ssri does, so the checker decides on the
/// strongest algorithm that is actually present.
/// </summary>
public sealed class Integrity
{
    private Integrity(IReadOnlyList<IntegrityHash> hashes) => Hashes = hashes;

    public IReadOnlyList<IntegrityHash> Hashes { get; }

    /// <summary>The strongest algorithm present, or null when nothing usable was parsed.</summary>
    public IntegrityAlgorithm? StrongestAlgorithm => Hashes.Count == 0 ? null : Hashes.Max(h => h.Algorithm);

    /// <summary>The entries of the strongest algorithm (several are allowed; any may match).</summary>
    public IReadOnlyList<IntegrityHash> Strongest =>
        StrongestAlgorithm is { } alg ? [.. Hashes.Where(h => h.Algorithm == alg)] : [];

    public static Integrity Parse(string? sri)
    {
        var hashes = new List<IntegrityHash>();
        if (string.IsNullOrWhiteSpace(sri))
        {
            return new Integrity(hashes);
        }

        foreach (var token in sri.Split([' ', '\t', '\r', '\n', '\f'], StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = token.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0)
            {
                continue;
            }

            var algorithm = ParseAlgorithm(token[..dash]);
            if (algorithm is null)
            {
                continue;
            }

            var digestText = token[(dash + 1)..];
            var options = digestText.IndexOf('?', StringComparison.Ordinal);
            if (options >= 0)
            {
                digestText = digestText[..options];
            }

            var digest = DecodeBase64(digestText);
            if (digest is null || digest.Length != DigestLength(algorithm.Value))
            {
                continue;
            }

            hashes.Add(new IntegrityHash(algorithm.Value, digest));
        }

        return new Integrity(hashes);
    }

    /// <summary>Compares the strongest claimed algorithm with hashes computed over the bytes.</summary>
    public IntegrityCheck Check(TarballHashes computed)
    {
        ArgumentNullException.ThrowIfNull(computed);
        var strongest = Strongest;
        if (strongest.Count == 0)
        {
            return new IntegrityCheck(IntegrityStatus.NoUsableHash, null, "", computed.Sha512Integrity);
        }

        var algorithm = strongest[0].Algorithm;
        var actual = computed.Get(algorithm);
        var match = strongest.Any(h => CryptographicOperations.FixedTimeEquals(h.Digest, actual));
        return new IntegrityCheck(
            match ? IntegrityStatus.Match : IntegrityStatus.Mismatch,
            algorithm,
            strongest[0].ToSri(),
            new IntegrityHash(algorithm, actual).ToSri());
    }

    /// <summary>Compares a legacy <c>dist.shasum</c> (40 hex digits) with the computed SHA-1.</summary>
    public static IntegrityCheck CheckShasum(string? shasum, TarballHashes computed)
    {
        ArgumentNullException.ThrowIfNull(computed);
        var actual = Convert.ToHexStringLower(computed.Sha1);
        var expected = ParseShasum(shasum);
        if (expected is null)
        {
            return new IntegrityCheck(IntegrityStatus.NoUsableHash, null, shasum ?? "", actual);
        }

        var match = CryptographicOperations.FixedTimeEquals(expected, computed.Sha1);
        return new IntegrityCheck(match ? IntegrityStatus.Match : IntegrityStatus.Mismatch, IntegrityAlgorithm.Sha1, Convert.ToHexStringLower(expected), actual);
    }

    /// <summary>True when the string is 40 hexadecimal digits.</summary>
    public static bool IsValidShasum(string? shasum) => ParseShasum(shasum) is not null;

    public override string ToString() => string.Join(' ', Hashes.Select(h => h.ToSri()));

    internal static string AlgorithmName(IntegrityAlgorithm algorithm) => algorithm switch
    {
        IntegrityAlgorithm.Sha1 => "sha1",
        IntegrityAlgorithm.Sha256 => "sha256",
        IntegrityAlgorithm.Sha384 => "sha384",
        _ => "sha512",
    };

    private static IntegrityAlgorithm? ParseAlgorithm(string name) => name switch
    {
        "sha1" => IntegrityAlgorithm.Sha1,
        "sha256" => IntegrityAlgorithm.Sha256,
        "sha384" => IntegrityAlgorithm.Sha384,
        "sha512" => IntegrityAlgorithm.Sha512,
        _ => null,
    };

    private static int DigestLength(IntegrityAlgorithm algorithm) => algorithm switch
    {
        IntegrityAlgorithm.Sha1 => 20,
        IntegrityAlgorithm.Sha256 => 32,
        IntegrityAlgorithm.Sha384 => 48,
        _ => 64,
    };

    private static byte[]? DecodeBase64(string text)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    private static byte[]? ParseShasum(string? shasum)
    {
        if (shasum is null || shasum.Length != 40)
        {
            return null;
        }

        foreach (var c in shasum)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return null;
            }
        }

        return Convert.FromHexString(shasum);
    }
}

/// <summary>Digests of one tarball, computed while it was read.</summary>
public sealed class TarballHashes
{
    public TarballHashes(byte[] sha512, byte[] sha384, byte[] sha256, byte[] sha1)
    {
        Sha512 = sha512;
        Sha384 = sha384;
        Sha256 = sha256;
        Sha1 = sha1;
    }

    public byte[] Sha512 { get; }

    public byte[] Sha384 { get; }

    public byte[] Sha256 { get; }

    public byte[] Sha1 { get; }

    /// <summary><c>sha512-base64</c>, the form npm writes in <c>dist.integrity</c>.</summary>
    public string Sha512Integrity => "sha512-" + Convert.ToBase64String(Sha512);

    /// <summary>Lower-case hex SHA-1, the form of <c>dist.shasum</c>.</summary>
    public string Sha1Hex => Convert.ToHexStringLower(Sha1);

    public byte[] Get(IntegrityAlgorithm algorithm) => algorithm switch
    {
        IntegrityAlgorithm.Sha1 => Sha1,
        IntegrityAlgorithm.Sha256 => Sha256,
        IntegrityAlgorithm.Sha384 => Sha384,
        _ => Sha512,
    };

    public static TarballHashes Compute(ReadOnlySpan<byte> data) =>
        new(SHA512.HashData(data), SHA384.HashData(data), SHA256.HashData(data), SHA1.HashData(data));
}

/// <summary>Feeds every algorithm at once so a streamed body is hashed in a single pass.</summary>
internal sealed class IncrementalTarballHasher : IDisposable
{
    private readonly IncrementalHash _sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
    private readonly IncrementalHash _sha384 = IncrementalHash.CreateHash(HashAlgorithmName.SHA384);
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);

    public void Append(ReadOnlySpan<byte> data)
    {
        _sha512.AppendData(data);
        _sha384.AppendData(data);
        _sha256.AppendData(data);
        _sha1.AppendData(data);
    }

    public TarballHashes Finish() =>
        new(_sha512.GetHashAndReset(), _sha384.GetHashAndReset(), _sha256.GetHashAndReset(), _sha1.GetHashAndReset());

    public void Dispose()
    {
        _sha512.Dispose();
        _sha384.Dispose();
        _sha256.Dispose();
        _sha1.Dispose();
    }
}
