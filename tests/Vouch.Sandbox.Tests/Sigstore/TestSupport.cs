using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Tlog;

namespace Vouch.Sandbox.Tests.Sigstore;

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

internal static class Fixtures
{
    public static readonly DateTimeOffset Epoch = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static GitHubWorkflowIdentity Identity() => new(
        "octo-org/left-pad",
        "refs/tags/v1.0.0",
        "0123456789abcdef0123456789abcdef01234567",
        ".github/workflows/release.yml")
    {
        Trigger = "release",
        RunId = "4242",
        RepositoryId = "777",
        OwnerId = "888",
    };

    public static SigningRequest Request() => new() { Identity = Identity() };

    // Key generation dominates test time; share one instance where a test does not care about isolation.
    private static readonly Lazy<(SigstoreInstance Instance, ManualTimeProvider Time)> SharedInstance = new(() =>
    {
        var time = new ManualTimeProvider(Epoch);
        return (SigstoreInstance.Create(timeProvider: time), time);
    });

    public static SigstoreInstance Shared => SharedInstance.Value.Instance;

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static byte[] B64(JsonNode? node) => Convert.FromBase64String(node!.GetValue<string>());

    public static string Str(JsonNode? node) => node!.GetValue<string>();
}

/// <summary>
/// Checks the sandbox's Merkle tree (the producer) with the verifier Vouch itself uses on real Rekor
/// proofs (Vouch.Sigstore.Tlog.MerkleProof, proven on the conformance cases), and with a naive RFC 6962
/// root written independently of both.
/// </summary>
internal static class MerkleMath
{
    public static byte[] LeafHash(byte[] data) => MerkleProof.LeafHash(data);

    public static byte[] NodeHash(byte[] left, byte[] right) => MerkleProof.NodeHash(left, right);

    public static byte[]? RootFromInclusionProof(long index, long size, byte[] leafHash, IReadOnlyList<byte[]> path) =>
        MerkleProof.RootFromInclusionProof(index, size, leafHash, path);

    /// <summary>MTH straight from RFC 6962 §2.1: slow, obviously right.</summary>
    public static byte[] NaiveRoot(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 0)
        {
            return SHA256.HashData([]);
        }

        if (leaves.Count == 1)
        {
            return LeafHash(leaves[0]);
        }

        var k = 1;
        while (k * 2 < leaves.Count)
        {
            k *= 2;
        }

        return NodeHash(NaiveRoot([.. leaves.Take(k)]), NaiveRoot([.. leaves.Skip(k)]));
    }
}
