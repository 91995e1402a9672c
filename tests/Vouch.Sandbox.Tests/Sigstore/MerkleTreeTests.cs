using System.Text;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class MerkleTreeTests
{
    [Fact]
    public void InclusionProof_WhenEverySizeUpTo70AndEveryIndex_RecomputesToRoot()
    {
        var tree = new MerkleTree();
        var leaves = new List<byte[]>();
        for (var size = 1; size <= 70; size++)
        {
            var leaf = Encoding.UTF8.GetBytes($"entry {size - 1}");
            leaves.Add(leaf);
            tree.Append(leaf);

            var root = tree.RootHash(size);
            Assert.Equal(MerkleMath.NaiveRoot(leaves), root);
            for (var index = 0; index < size; index++)
            {
                var path = tree.InclusionProof(index, size);
                var recomputed = MerkleMath.RootFromInclusionProof(index, size, MerkleMath.LeafHash(leaves[index]), path);
                Assert.True(root.AsSpan().SequenceEqual(recomputed), $"size {size}, index {index}");
            }
        }
    }

    [Fact]
    public void InclusionProof_WhenAskedForAnEarlierSize_MatchesThatSizesRoot()
    {
        var tree = new MerkleTree();
        var leaves = Enumerable.Range(0, 70).Select(i => new[] { (byte)i }).ToList();
        leaves.ForEach(l => tree.Append(l));

        for (var size = 1; size <= 70; size++)
        {
            var expected = MerkleMath.NaiveRoot(leaves[..size]);
            Assert.Equal(expected, tree.RootHash(size));
            var index = size / 2;
            var recomputed = MerkleMath.RootFromInclusionProof(index, size, MerkleMath.LeafHash(leaves[index]), tree.InclusionProof(index, size));
            Assert.Equal(expected, recomputed);
        }
    }

    [Fact]
    public void InclusionProof_WhenLeafDiffers_DoesNotRecomputeToRoot()
    {
        var tree = new MerkleTree();
        for (var i = 0; i < 13; i++)
        {
            tree.Append([(byte)i]);
        }

        var recomputed = MerkleMath.RootFromInclusionProof(5, 13, MerkleMath.LeafHash([99]), tree.InclusionProof(5, 13));
        Assert.NotEqual(tree.RootHash(13), recomputed);
    }

    [Fact]
    public void RootHash_WhenEmpty_IsHashOfEmptyString()
    {
        Assert.Equal(
            Convert.FromHexString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            new MerkleTree().RootHash(0));
    }

    [Fact]
    public void InclusionProof_WhenIndexOutsideTree_Throws()
    {
        var tree = new MerkleTree();
        tree.Append([1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(0, 2));
    }
}
