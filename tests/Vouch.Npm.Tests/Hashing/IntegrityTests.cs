using System.Security.Cryptography;
using Vouch.Npm.Tests.Infrastructure;
using Vouch.Npm.Tests.Registry;

namespace Vouch.Npm.Tests.Hashing;

public sealed class IntegrityTests
{
    private static readonly byte[] Data = "hello npm"u8.ToArray();

    private static string Sri(string alg, byte[] digest) => $"{alg}-{Convert.ToBase64String(digest)}";

    [Fact]
    public void Check_WhenRecordedTarballMatchesRecordedIntegrity_ReturnsMatch()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.NpmFixtures, "tarballs", "tuf-js-1.0.0.tgz"));
        var check = Integrity.Parse(SignaturesFixture.IntegrityOf("tuf-js")).Check(TarballHashes.Compute(bytes));
        Assert.Equal(IntegrityStatus.Match, check.Status);
        Assert.Equal(IntegrityAlgorithm.Sha512, check.Algorithm);
    }

    [Fact]
    public void Check_WhenOneByteFlipped_ReturnsMismatch()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.NpmFixtures, "tarballs", "tuf-js-1.0.0.tgz"));
        bytes[bytes.Length / 2] ^= 1;
        var check = Integrity.Parse(SignaturesFixture.IntegrityOf("tuf-js")).Check(TarballHashes.Compute(bytes));
        Assert.Equal(IntegrityStatus.Mismatch, check.Status);
        Assert.NotEqual(check.Expected, check.Actual);
    }

    [Fact]
    public void Check_WhenSeveralAlgorithms_DecidesOnStrongest()
    {
        // A correct sha1 must not rescue a wrong sha512.
        var sri = Sri("sha1", SHA1.HashData(Data)) + " " + Sri("sha512", SHA512.HashData("other"u8));
        var check = Integrity.Parse(sri).Check(TarballHashes.Compute(Data));
        Assert.Equal(IntegrityStatus.Mismatch, check.Status);
        Assert.Equal(IntegrityAlgorithm.Sha512, check.Algorithm);
    }

    [Fact]
    public void Check_WhenStrongestAlgorithmHasSeveralHashes_MatchesAny()
    {
        var sri = $"{Sri("sha512", SHA512.HashData("other"u8))}\n{Sri("sha512", SHA512.HashData(Data))}?opt {Sri("sha256", SHA256.HashData(Data))}";
        var parsed = Integrity.Parse(sri);
        Assert.Equal(2, parsed.Strongest.Count);
        Assert.Equal(IntegrityStatus.Match, parsed.Check(TarballHashes.Compute(Data)).Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("md5-XUFAKrxLKna5cZ2REBfFkg==")]
    [InlineData("sha512-notbase64!!")]
    [InlineData("sha512-AAAA")]
    [InlineData("sha512")]
    public void Check_WhenNothingUsable_ReturnsNoUsableHash(string sri)
    {
        var check = Integrity.Parse(sri).Check(TarballHashes.Compute(Data));
        Assert.Equal(IntegrityStatus.NoUsableHash, check.Status);
    }

    [Fact]
    public void Parse_WhenUnknownAlgorithmBesideKnown_KeepsKnown()
    {
        var parsed = Integrity.Parse("md5-XUFAKrxLKna5cZ2REBfFkg== " + Sri("sha384", SHA384.HashData(Data)));
        Assert.Equal(IntegrityAlgorithm.Sha384, parsed.StrongestAlgorithm);
        Assert.Equal(IntegrityStatus.Match, parsed.Check(TarballHashes.Compute(Data)).Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CheckShasum_WhenHexGiven_ComparesCaseInsensitively(bool upper)
    {
        var hex = Convert.ToHexStringLower(SHA1.HashData(Data));
        var check = Integrity.CheckShasum(upper ? hex.ToUpperInvariant() : hex, TarballHashes.Compute(Data));
        Assert.Equal(IntegrityStatus.Match, check.Status);
    }

    [Fact]
    public void CheckShasum_WhenMalformedOrWrong_ReportsIt()
    {
        var hashes = TarballHashes.Compute(Data);
        Assert.Equal(IntegrityStatus.NoUsableHash, Integrity.CheckShasum("xyz", hashes).Status);
        Assert.Equal(IntegrityStatus.NoUsableHash, Integrity.CheckShasum(null, hashes).Status);
        Assert.Equal(IntegrityStatus.Mismatch, Integrity.CheckShasum(new string('0', 40), hashes).Status);
    }

    [Fact]
    public void IncrementalHasher_WhenFedInChunks_EqualsOneShot()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.NpmFixtures, "tarballs", "node-fetch-1.7.1.tgz"));
        using var hasher = new IncrementalTarballHasher();
        for (var i = 0; i < bytes.Length; i += 4096)
        {
            hasher.Append(bytes.AsSpan(i, Math.Min(4096, bytes.Length - i)));
        }

        var incremental = hasher.Finish();
        var oneShot = TarballHashes.Compute(bytes);
        Assert.Equal(oneShot.Sha512Integrity, incremental.Sha512Integrity);
        Assert.Equal(oneShot.Sha1Hex, incremental.Sha1Hex);
        Assert.Equal(SignaturesFixture.IntegrityOf("node-fetch"), incremental.Sha512Integrity);
    }
}
