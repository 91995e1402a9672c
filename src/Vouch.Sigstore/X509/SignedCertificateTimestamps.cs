using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using Vouch.Sigstore.Trust;

namespace Vouch.Sigstore.X509;

/// <summary>An RFC 6962 signed certificate timestamp embedded in a certificate.</summary>
internal sealed record Sct(byte[] LogId, ulong TimestampMillis, byte[] Extensions, byte HashAlgorithm, byte SignatureAlgorithm, byte[] Signature)
{
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(TimestampMillis, long.MaxValue / 2));
}

/// <summary>Parses the embedded SCT list and verifies SCTs against the trusted CT logs.</summary>
internal static class SignedCertificateTimestamps
{
    public static IReadOnlyList<Sct> Parse(Certificate leaf)
    {
        if (leaf.FindExtension(Certificate.OidSct) is not { } ext)
        {
            return [];
        }

        byte[] list;
        try
        {
            var r = new AsnReader(ext.Value, AsnEncodingRules.DER);
            list = r.ReadOctetString();
            r.ThrowIfNotEmpty();
        }
        catch (AsnContentException)
        {
            throw Malformed("the SCT list extension is not an OCTET STRING");
        }

        var span = list.AsSpan();
        if (span.Length < 2 || BinaryPrimitives.ReadUInt16BigEndian(span) != span.Length - 2)
        {
            throw Malformed("the SCT list length is wrong");
        }

        span = span[2..];
        var result = new List<Sct>();
        while (span.Length > 0)
        {
            if (span.Length < 2)
            {
                throw Malformed("truncated SCT list");
            }

            var len = BinaryPrimitives.ReadUInt16BigEndian(span);
            if (span.Length < 2 + len)
            {
                throw Malformed("truncated SCT");
            }

            result.Add(ParseOne(span.Slice(2, len)));
            span = span[(2 + len)..];
            if (result.Count > Limits.MaxEmbeddedScts)
            {
                throw Malformed("too many SCTs");
            }
        }

        return result;
    }

    private static Sct ParseOne(ReadOnlySpan<byte> s)
    {
        // version(1) log_id(32) timestamp(8) extensions(2+n) hash(1) sig(1) signature(2+n)
        if (s.Length < 1 + 32 + 8 + 2 || s[0] != 0)
        {
            throw Malformed("unsupported SCT version or truncated SCT");
        }

        var logId = s.Slice(1, 32).ToArray();
        var ts = BinaryPrimitives.ReadUInt64BigEndian(s.Slice(33, 8));
        var extLen = BinaryPrimitives.ReadUInt16BigEndian(s.Slice(41, 2));
        var rest = s[43..];
        if (rest.Length < extLen + 4)
        {
            throw Malformed("truncated SCT extensions");
        }

        var extensions = rest[..extLen].ToArray();
        rest = rest[extLen..];
        var hash = rest[0];
        var sigAlg = rest[1];
        var sigLen = BinaryPrimitives.ReadUInt16BigEndian(rest.Slice(2, 2));
        if (rest.Length != 4 + sigLen)
        {
            throw Malformed("SCT signature length is wrong");
        }

        return new Sct(logId, ts, extensions, hash, sigAlg, rest[4..].ToArray());
    }

    /// <summary>Counts SCTs that verify against a CT log of the trusted root valid at the SCT's time.</summary>
    public static int CountVerified(Certificate leaf, Certificate issuer, TrustedRoot root, out string? lastProblem)
    {
        lastProblem = null;
        var scts = Parse(leaf);
        if (scts.Count == 0)
        {
            lastProblem = "the certificate carries no signed certificate timestamp";
            return 0;
        }

        var tbs = leaf.PrecertificateTbs();
        var issuerKeyHash = SHA256.HashData(issuer.SubjectPublicKeyInfo.Span);
        var verified = 0;
        foreach (var sct in scts)
        {
            var log = root.FindCtlog(sct.LogId);
            if (log?.Key is null)
            {
                lastProblem = "an SCT is from a CT log the trusted root does not list";
                continue;
            }

            if (!log.ValidFor.Contains(sct.Timestamp))
            {
                lastProblem = $"an SCT was issued at {sct.Timestamp:u}, outside its CT log's validity ({log.ValidFor})";
                continue;
            }

            if (sct.HashAlgorithm != 4)
            {
                lastProblem = "an SCT uses a hash other than SHA-256";
                continue;
            }

            var signed = SignedData(sct, issuerKeyHash, tbs);
            if (log.Key.VerifyData(signed, sct.Signature))
            {
                verified++;
            }
            else
            {
                lastProblem = "an SCT's signature does not verify with its CT log's key";
            }
        }

        return verified;
    }

    private static byte[] SignedData(Sct sct, byte[] issuerKeyHash, byte[] tbs)
    {
        var buffer = new byte[1 + 1 + 8 + 2 + 32 + 3 + tbs.Length + 2 + sct.Extensions.Length];
        var s = buffer.AsSpan();
        s[0] = 0; // v1
        s[1] = 0; // certificate_timestamp
        BinaryPrimitives.WriteUInt64BigEndian(s[2..], sct.TimestampMillis);
        BinaryPrimitives.WriteUInt16BigEndian(s[10..], 1); // precert_entry
        issuerKeyHash.CopyTo(s[12..]);
        s[44] = (byte)(tbs.Length >> 16);
        s[45] = (byte)(tbs.Length >> 8);
        s[46] = (byte)tbs.Length;
        tbs.CopyTo(s[47..]);
        var o = 47 + tbs.Length;
        BinaryPrimitives.WriteUInt16BigEndian(s[o..], (ushort)sct.Extensions.Length);
        sct.Extensions.CopyTo(s[(o + 2)..]);
        return buffer;
    }

    private static SigstoreFormatException Malformed(string why) => new("certificate", [why], SigstoreCodes.SctInvalid);
}
