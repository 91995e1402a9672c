using System.Buffers.Binary;
using System.Formats.Asn1;

namespace Vouch.Sandbox.Sigstore;

/// <summary>One RFC 6962 v1 SignedCertificateTimestamp, decoded.</summary>
internal sealed record SignedCertificateTimestamp(
    byte[] LogId,
    ulong TimestampMilliseconds,
    byte[] Extensions,
    byte HashAlgorithm,
    byte SignatureAlgorithm,
    byte[] Signature);

/// <summary>
/// A CT log that only issues SCTs for precertificates (it keeps no tree: Sigstore verifiers check
/// embedded SCTs, never CT inclusion).
/// </summary>
internal sealed class CertificateTransparencyLog(KeyPair key)
{
    /// <summary>OID of the embedded SCT list X.509 extension.</summary>
    public const string SctListOid = "1.3.6.1.4.1.11129.2.4.2";

    // TLS registries: HashAlgorithm.sha256 and SignatureAlgorithm.ecdsa.
    private const byte HashSha256 = 4;
    private const byte SignatureEcdsa = 3;

    public KeyPair Key { get; } = key;

    /// <summary>RFC 6962 log ID: SHA-256 of the log key's SubjectPublicKeyInfo.</summary>
    public byte[] LogId => Key.Sha256KeyId;

    /// <summary>
    /// Signs a precert_entry and returns the serialized SCT. <paramref name="tbsWithoutSct"/> is the
    /// final certificate's TBSCertificate minus the SCT list extension: exactly what a verifier
    /// rebuilds. <paramref name="signer"/>/<paramref name="logId"/> override the log's own to forge.
    /// </summary>
    public byte[] IssuePrecertificateSct(
        byte[] issuerKeyHash,
        byte[] tbsWithoutSct,
        DateTimeOffset timestamp,
        KeyPair? signer = null,
        byte[]? logId = null)
    {
        if (issuerKeyHash.Length != 32)
        {
            throw new ArgumentException("issuer key hash must be a SHA-256 digest", nameof(issuerKeyHash));
        }

        var millis = (ulong)timestamp.ToUnixTimeMilliseconds();
        var signature = (signer ?? Key).Sign(PrecertificateSignedData(millis, issuerKeyHash, tbsWithoutSct, []));
        return Serialize(new SignedCertificateTimestamp(logId ?? LogId, millis, [], HashSha256, SignatureEcdsa, signature));
    }

    /// <summary>The `digitally-signed` input of RFC 6962 §3.2 for a precert_entry.</summary>
    public static byte[] PrecertificateSignedData(ulong timestampMillis, byte[] issuerKeyHash, byte[] tbs, byte[] extensions)
    {
        if (tbs.Length >= 1 << 24)
        {
            throw new ArgumentException("TBSCertificate too large for an SCT", nameof(tbs));
        }

        var data = new byte[1 + 1 + 8 + 2 + 32 + 3 + tbs.Length + 2 + extensions.Length];
        var span = data.AsSpan();
        span[0] = 0; // sct_version v1
        span[1] = 0; // signature_type certificate_timestamp
        BinaryPrimitives.WriteUInt64BigEndian(span[2..], timestampMillis);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], 1); // entry_type precert_entry
        issuerKeyHash.CopyTo(span[12..]);
        WriteUInt24(span[44..], tbs.Length);
        tbs.CopyTo(span[47..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[(47 + tbs.Length)..], (ushort)extensions.Length);
        extensions.CopyTo(span[(49 + tbs.Length)..]);
        return data;
    }

    public static byte[] Serialize(SignedCertificateTimestamp sct)
    {
        using var stream = new MemoryStream();
        stream.WriteByte(0); // v1
        stream.Write(sct.LogId);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(number, sct.TimestampMilliseconds);
        stream.Write(number);
        WriteUInt16Prefixed(stream, sct.Extensions);
        stream.WriteByte(sct.HashAlgorithm);
        stream.WriteByte(sct.SignatureAlgorithm);
        WriteUInt16Prefixed(stream, sct.Signature);
        return stream.ToArray();
    }

    /// <summary>The TLS `SignedCertificateTimestampList` (RFC 6962 §3.3).</summary>
    public static byte[] EncodeList(IEnumerable<byte[]> serializedScts)
    {
        using var body = new MemoryStream();
        foreach (var sct in serializedScts)
        {
            WriteUInt16Prefixed(body, sct);
        }

        using var list = new MemoryStream();
        WriteUInt16Prefixed(list, body.ToArray());
        return list.ToArray();
    }

    /// <summary>The X.509 extension value: the TLS list wrapped in a DER OCTET STRING.</summary>
    public static byte[] EncodeExtensionValue(IEnumerable<byte[]> serializedScts)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(EncodeList(serializedScts));
        return writer.Encode();
    }

    /// <summary>Inverse of <see cref="EncodeExtensionValue"/>; throws <see cref="FormatException"/> on malformed input.</summary>
    public static List<SignedCertificateTimestamp> DecodeExtensionValue(byte[] extensionValue)
    {
        byte[] list;
        try
        {
            var reader = new AsnReader(extensionValue, AsnEncodingRules.DER);
            list = reader.ReadOctetString();
            reader.ThrowIfNotEmpty();
        }
        catch (AsnContentException e)
        {
            throw new FormatException("SCT extension is not an OCTET STRING", e);
        }

        var input = new TlsReader(list);
        var body = new TlsReader(input.ReadUInt16Prefixed());
        input.EnsureEnd();
        var result = new List<SignedCertificateTimestamp>();
        while (!body.AtEnd)
        {
            var sct = new TlsReader(body.ReadUInt16Prefixed());
            if (sct.ReadByte() != 0)
            {
                throw new FormatException("unsupported SCT version");
            }

            var logId = sct.ReadBytes(32);
            var timestamp = BinaryPrimitives.ReadUInt64BigEndian(sct.ReadBytes(8));
            var extensions = sct.ReadUInt16Prefixed();
            var hash = sct.ReadByte();
            var signatureAlgorithm = sct.ReadByte();
            var signature = sct.ReadUInt16Prefixed();
            sct.EnsureEnd();
            result.Add(new SignedCertificateTimestamp(logId, timestamp, extensions, hash, signatureAlgorithm, signature));
        }

        return result;
    }

    private static void WriteUInt16Prefixed(Stream stream, ReadOnlySpan<byte> data)
    {
        if (data.Length > ushort.MaxValue)
        {
            throw new ArgumentException("field too long for a 16-bit length prefix");
        }

        stream.WriteByte((byte)(data.Length >> 8));
        stream.WriteByte((byte)data.Length);
        stream.Write(data);
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
    }

    private sealed class TlsReader(byte[] data)
    {
        private int _position;

        public bool AtEnd => _position == data.Length;

        public byte ReadByte() => ReadBytes(1)[0];

        public byte[] ReadBytes(int count)
        {
            if (count > data.Length - _position)
            {
                throw new FormatException("truncated SCT data");
            }

            var slice = data[_position..(_position + count)];
            _position += count;
            return slice;
        }

        public byte[] ReadUInt16Prefixed()
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(ReadBytes(2));
            return ReadBytes(length);
        }

        public void EnsureEnd()
        {
            if (!AtEnd)
            {
                throw new FormatException("trailing bytes in SCT data");
            }
        }
    }
}
