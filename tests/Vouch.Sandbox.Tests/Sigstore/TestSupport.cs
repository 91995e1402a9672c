using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;

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

/// <summary>RFC 9162 §2.1.3.2, written independently of the producer: recompute the root from an audit path.</summary>
internal static class MerkleMath
{
    public static byte[] LeafHash(byte[] data) => SHA256.HashData([0x00, .. data]);

    public static byte[] NodeHash(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    public static byte[]? RootFromInclusionProof(long index, long size, byte[] leafHash, IReadOnlyList<byte[]> path)
    {
        if (index >= size)
        {
            return null;
        }

        long fn = index, sn = size - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0)
            {
                return null;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? r : null;
    }

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
