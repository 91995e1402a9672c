using System.Security.Cryptography;
using System.Text;

namespace Vouch.Sandbox.Sigstore;

/// <summary>Which Rekor generation a log imitates.</summary>
public enum RekorVersion
{
    /// <summary>Rekor v1: ECDSA P-256 key, origin `host - treeId`, integrated time and signed entry timestamp.</summary>
    V1,

    /// <summary>Rekor v2 (tiles): Ed25519 key, origin `host`, no integrated time, no SET; bundles need an RFC 3161 timestamp.</summary>
    V2,
}

/// <summary>One entry as the log hands it back: where it landed and the proof against the tree right after it.</summary>
internal sealed record LoggedEntry(long Index, long? IntegratedTime, long TreeSize, byte[] RootHash, IReadOnlyList<byte[]> AuditPath);

/// <summary>A stored entry (what persistence writes).</summary>
internal sealed record StoredEntry(byte[] Body, long? IntegratedTime);

/// <summary>
/// A Rekor-like transparency log: an append-only Merkle tree of canonicalized entry bodies with
/// signed checkpoints (C2SP signed-note / tlog-checkpoint) and, for v1, signed entry timestamps.
/// </summary>
internal sealed class TransparencyLog
{
    private readonly Lock _gate = new();
    private readonly MerkleTree _tree = new();
    private readonly List<StoredEntry> _entries = [];

    public TransparencyLog(RekorVersion version, KeyPair key, string hostname, long treeId)
    {
        if (version == RekorVersion.V2 && key is not Ed25519KeyPair)
        {
            throw new ArgumentException("a Rekor v2 log signs with Ed25519", nameof(key));
        }

        Version = version;
        Key = key;
        Hostname = hostname;
        TreeId = treeId;
        LogId = version == RekorVersion.V1 ? key.Sha256KeyId : NoteKeyId(hostname, (Ed25519KeyPair)key);
    }

    public RekorVersion Version { get; }

    public KeyPair Key { get; }

    /// <summary>The checkpoint signer name (and, for v2, the origin).</summary>
    public string Hostname { get; }

    public long TreeId { get; }

    /// <summary>
    /// The log ID trusted roots and bundles carry. v1: SHA-256 of the key's SPKI. v2: the signed-note
    /// key ID, SHA-256(name || 0x0A || 0x01 || raw Ed25519 key), which is what Rekor v2 publishes.
    /// </summary>
    public byte[] LogId { get; }

    /// <summary>Checkpoint key hint: the first four bytes of the log ID, as Rekor writes it.</summary>
    public byte[] KeyHint => LogId[..4];

    public string Origin => Version == RekorVersion.V1 ? $"{Hostname} - {TreeId}" : Hostname;

    public long Size
    {
        get
        {
            lock (_gate)
            {
                return _tree.Size;
            }
        }
    }

    public IReadOnlyList<StoredEntry> Entries()
    {
        lock (_gate)
        {
            return [.. _entries];
        }
    }

    /// <summary>Appends a canonicalized body and proves it against the tree that now ends with it.</summary>
    public LoggedEntry Append(byte[] body, long? integratedTime)
    {
        if (Version == RekorVersion.V2 && integratedTime is not null)
        {
            throw new ArgumentException("Rekor v2 entries carry no integrated time", nameof(integratedTime));
        }

        lock (_gate)
        {
            var index = _tree.Append(body);
            _entries.Add(new StoredEntry(body, integratedTime));
            var size = _tree.Size;
            return new LoggedEntry(index, integratedTime, size, _tree.RootHash(size), _tree.InclusionProof(index, size));
        }
    }

    /// <summary>
    /// The signed entry timestamp: a signature over the canonical JSON of body, integrated time,
    /// hex log ID and index (keys sorted, no whitespace), which is what v1 verifiers rebuild.
    /// </summary>
    public static byte[] SignedEntryTimestampPayload(byte[] body, long integratedTime, byte[] logId, long logIndex)
    {
        var json = $"{{\"body\":\"{Convert.ToBase64String(body)}\",\"integratedTime\":{integratedTime},"
            + $"\"logID\":\"{Convert.ToHexStringLower(logId)}\",\"logIndex\":{logIndex}}}";
        return Encoding.UTF8.GetBytes(json);
    }

    /// <summary>The note body of a checkpoint: origin, size, base64 root, each line newline-terminated.</summary>
    public static string CheckpointBody(string origin, long treeSize, byte[] rootHash) =>
        $"{origin}\n{treeSize}\n{Convert.ToBase64String(rootHash)}\n";

    /// <summary>
    /// A signed note: body, blank line, then one `— name base64(keyHint || signature)` line
    /// (U+2014 em dash). <paramref name="signer"/> may differ from the log key to forge a bad one.
    /// </summary>
    public static string SignNote(string body, string name, byte[] keyHint, KeyPair signer)
    {
        var signature = signer.Sign(Encoding.UTF8.GetBytes(body));
        var blob = new byte[keyHint.Length + signature.Length];
        keyHint.CopyTo(blob, 0);
        signature.CopyTo(blob, keyHint.Length);
        return $"{body}\n\u2014 {name} {Convert.ToBase64String(blob)}\n";
    }

    public string Checkpoint(LoggedEntry entry, KeyPair? signer = null) =>
        SignNote(CheckpointBody(Origin, entry.TreeSize, entry.RootHash), Hostname, KeyHint, signer ?? Key);

    public byte[] SignedEntryTimestamp(byte[] body, LoggedEntry entry, KeyPair? signer = null)
    {
        if (entry.IntegratedTime is not { } time)
        {
            throw new InvalidOperationException("only Rekor v1 entries have a signed entry timestamp");
        }

        return (signer ?? Key).Sign(SignedEntryTimestampPayload(body, time, LogId, entry.Index));
    }

    /// <summary>C2SP signed-note key ID for an Ed25519 key (signature type 0x01).</summary>
    public static byte[] NoteKeyId(string name, Ed25519KeyPair key)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[nameBytes.Length + 2 + key.RawPublicKey.Length];
        nameBytes.CopyTo(buffer, 0);
        buffer[nameBytes.Length] = 0x0A;
        buffer[nameBytes.Length + 1] = 0x01;
        key.RawPublicKey.CopyTo(buffer, nameBytes.Length + 2);
        return SHA256.HashData(buffer);
    }
}
