using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class CheckpointTests
{
    [Fact]
    public void Checkpoint_WhenRekorV1_IsSignedNoteWithHostnameTreeIdOriginAndLogIdHint()
    {
        using var key = KeyPair.CreateP256();
        var log = new TransparencyLog(RekorVersion.V1, key, "rekor.example.test", 1234567890123);
        log.Append(Encoding.UTF8.GetBytes("a"), 1);
        var entry = log.Append(Encoding.UTF8.GetBytes("b"), 2);

        var note = log.Checkpoint(entry);

        var root = Convert.ToBase64String(entry.RootHash);
        var match = Regex.Match(note, "^rekor\\.example\\.test - 1234567890123\\n2\\n(?<root>[A-Za-z0-9+/=]+)\\n\\n\u2014 rekor\\.example\\.test (?<sig>[A-Za-z0-9+/=]+)\\n$");
        Assert.True(match.Success, note);
        Assert.Equal(root, match.Groups["root"].Value);
        var blob = Convert.FromBase64String(match.Groups["sig"].Value);
        Assert.Equal(SHA256.HashData(key.SubjectPublicKeyInfo)[..4], blob[..4]);
        var body = $"rekor.example.test - 1234567890123\n2\n{root}\n";
        Assert.True(key.PublicKey.VerifyData(Encoding.UTF8.GetBytes(body), blob[4..]));
    }

    [Fact]
    public void Checkpoint_WhenRekorV2_OriginIsHostnameAndEd25519SignatureVerifies()
    {
        using var key = KeyPair.CreateEd25519();
        var log = new TransparencyLog(RekorVersion.V2, key, "log2025-1.rekor.example.test", 0);
        var entry = log.Append(Encoding.UTF8.GetBytes("a"), null);

        var note = log.Checkpoint(entry);

        var lines = note.Split('\n');
        Assert.Equal("log2025-1.rekor.example.test", lines[0]);
        Assert.Equal("1", lines[1]);
        Assert.Equal(string.Empty, lines[3]);
        var signature = lines[4].Split(' ');
        Assert.Equal("\u2014", signature[0]);
        Assert.Equal("log2025-1.rekor.example.test", signature[1]);
        var blob = Convert.FromBase64String(signature[2]);
        Assert.Equal(68, blob.Length);

        // Rekor v2 publishes the signed-note key ID as its log ID, so the hint is its prefix.
        var keyId = SHA256.HashData([.. Encoding.UTF8.GetBytes("log2025-1.rekor.example.test"), 0x0A, 0x01, .. key.RawPublicKey]);
        Assert.Equal(keyId, log.LogId);
        Assert.Equal(keyId[..4], blob[..4]);
        Assert.True(key.PublicKey.VerifyData(Encoding.UTF8.GetBytes(string.Join('\n', lines[..3]) + "\n"), blob[4..]));
    }

    [Fact]
    public void SignedEntryTimestampPayload_WhenBuilt_IsSortedCompactJson()
    {
        var payload = TransparencyLog.SignedEntryTimestampPayload([1, 2, 3], 1700000000, [0xAB, 0xCD], 42);

        Assert.Equal("{\"body\":\"AQID\",\"integratedTime\":1700000000,\"logID\":\"abcd\",\"logIndex\":42}", Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public void Append_WhenRekorV2WithIntegratedTime_Throws()
    {
        using var key = KeyPair.CreateEd25519();
        var log = new TransparencyLog(RekorVersion.V2, key, "h", 0);
        Assert.Throws<ArgumentException>(() => log.Append([1], 5));
    }
}
