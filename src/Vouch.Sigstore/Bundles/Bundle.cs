using System.Security.Cryptography;

namespace Vouch.Sigstore.Bundles;

public enum BundleVersion
{
    V01,
    V02,
    V03,
}

/// <summary>A parsed, structurally valid Sigstore bundle. Nothing in it is trusted yet.</summary>
public sealed class Bundle
{
    internal Bundle(BundleVersion version, string mediaType, VerificationMaterial material, MessageSignature? messageSignature, DsseEnvelope? dsse)
    {
        Version = version;
        MediaType = mediaType;
        Material = material;
        MessageSignature = messageSignature;
        DsseEnvelope = dsse;
    }

    public BundleVersion Version { get; }

    public string MediaType { get; }

    public VerificationMaterial Material { get; }

    /// <summary>Set when the bundle signs an artifact directly.</summary>
    public MessageSignature? MessageSignature { get; }

    /// <summary>Set when the bundle carries a DSSE envelope (attestations).</summary>
    public DsseEnvelope? DsseEnvelope { get; }

    /// <summary>The signature bytes, whichever content the bundle has: what RFC 3161 timestamps cover.</summary>
    public byte[] SignatureBytes => MessageSignature?.Signature ?? DsseEnvelope!.Signatures[0].Signature;

    public static Bundle Parse(ReadOnlyMemory<byte> json) => BundleParser.Parse(json);

    public static Bundle Parse(string json) => BundleParser.Parse(System.Text.Encoding.UTF8.GetBytes(json));
}

/// <summary>The bundle's key material: a certificate (chain) or a hint naming a key the verifier must be given.</summary>
public sealed record VerificationMaterial(
    IReadOnlyList<byte[]> Certificates,
    string? PublicKeyHint,
    bool IsPublicKey,
    IReadOnlyList<TlogEntry> TlogEntries,
    IReadOnlyList<byte[]> Rfc3161Timestamps);

public sealed record TlogEntry(
    long LogIndex,
    byte[] LogId,
    string Kind,
    string KindVersion,
    long IntegratedTime,
    byte[]? SignedEntryTimestamp,
    InclusionProof? InclusionProof,
    byte[] CanonicalizedBody);

public sealed record InclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string? Checkpoint);

public sealed record MessageSignature(HashAlgorithmName? DigestAlgorithm, byte[]? Digest, byte[] Signature);

public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures);

public sealed record DsseSignature(byte[] Signature, string? KeyId);
