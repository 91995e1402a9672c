using System.IO.Compression;
using Vouch.Common.IO;

namespace Vouch.Common.Tests;

public sealed class CappedStreamTests
{
    private static byte[] Gzip(int length)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(new byte[length]);
        }

        return ms.ToArray();
    }

    [Fact]
    public void Read_WhenTheInputUnpacksToExactlyTheCap_ReadsItAll()
    {
        using var gzip = new GZipStream(new MemoryStream(Gzip(64 * 1024)), CompressionMode.Decompress);
        using var capped = new CappedStream(gzip, 64 * 1024);

        capped.CopyTo(Stream.Null);

        Assert.Equal(64 * 1024, capped.Position);
    }

    [Fact]
    public void Read_WhenASmallArchiveUnpacksPastTheCap_Throws()
    {
        // About 1 KiB of gzip that unpacks to 1 MiB: the cap stops it, not the archive's size.
        var bomb = Gzip(1024 * 1024);
        using var gzip = new GZipStream(new MemoryStream(bomb), CompressionMode.Decompress);
        using var capped = new CappedStream(gzip, 64 * 1024);

        var e = Assert.Throws<InvalidDataException>(() => capped.CopyTo(Stream.Null));
        Assert.Contains("more than 65536 bytes", e.Message, StringComparison.Ordinal);
    }
}
