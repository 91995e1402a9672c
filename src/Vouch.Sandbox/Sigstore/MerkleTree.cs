using System.Numerics;
using System.Security.Cryptography;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// Append-only RFC 6962 / RFC 9162 Merkle tree over SHA-256. It keeps every complete, aligned
/// subtree hash so that roots and audit paths for any earlier size cost O(log² n), not O(n): the
/// sandbox replays thousands of entries when it reloads a log.
/// Not thread-safe; <see cref="TransparencyLog"/> serialises access.
/// </summary>
internal sealed class MerkleTree
{
    // _levels[k][i] is the hash of leaves [i·2^k, (i+1)·2^k).
    private readonly List<List<byte[]>> _levels = [[]];

    public long Size => _levels[0].Count;

    public static byte[] HashLeaf(ReadOnlySpan<byte> data)
    {
        var buffer = new byte[data.Length + 1];
        buffer[0] = 0x00;
        data.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[33..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>Appends a leaf (the raw entry, hashed here) and returns its index.</summary>
    public long Append(ReadOnlySpan<byte> leafData)
    {
        var index = _levels[0].Count;
        _levels[0].Add(HashLeaf(leafData));

        // Close every subtree this leaf completes: while the new node is a right child, pair it up.
        for (var level = 0; _levels[level].Count % 2 == 0; level++)
        {
            if (_levels.Count == level + 1)
            {
                _levels.Add([]);
            }

            var nodes = _levels[level];
            _levels[level + 1].Add(HashChildren(nodes[^2], nodes[^1]));
        }

        return index;
    }

    /// <summary>MTH of the first <paramref name="size"/> leaves (RFC 6962 §2.1).</summary>
    public byte[] RootHash(long size)
    {
        CheckSize(size);
        return size == 0 ? SHA256.HashData(ReadOnlySpan<byte>.Empty) : SubtreeHash(0, size);
    }

    /// <summary>The audit path of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves, leaf to root.</summary>
    public List<byte[]> InclusionProof(long index, long size)
    {
        CheckSize(size);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "leaf index outside the tree");
        }

        var path = new List<byte[]>();
        AppendPath(index, 0, size, path);
        return path;
    }

    private void AppendPath(long index, long start, long size, List<byte[]> path)
    {
        if (size == 1)
        {
            return;
        }

        var split = LargestPowerOfTwoBelow(size);
        if (index < split)
        {
            AppendPath(index, start, split, path);
            path.Add(SubtreeHash(start + split, size - split));
        }
        else
        {
            AppendPath(index - split, start + split, size - split, path);
            path.Add(SubtreeHash(start, split));
        }
    }

    private byte[] SubtreeHash(long start, long size)
    {
        if (BitOperations.IsPow2(size) && start % size == 0)
        {
            var level = BitOperations.Log2((ulong)size);
            return _levels[level][(int)(start >> level)];
        }

        var split = LargestPowerOfTwoBelow(size);
        return HashChildren(SubtreeHash(start, split), SubtreeHash(start + split, size - split));
    }

    /// <summary>The k of RFC 6962: the largest power of two strictly smaller than n (n ≥ 2).</summary>
    private static long LargestPowerOfTwoBelow(long n) => 1L << BitOperations.Log2((ulong)(n - 1));

    private void CheckSize(long size)
    {
        if (size < 0 || size > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "tree size beyond the log");
        }
    }
}
