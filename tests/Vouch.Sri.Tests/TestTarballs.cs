using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Vouch.Sri.Tests;

/// <summary>Real npm-style .tgz files built in memory.</summary>
internal static class TestTarballs
{
    public static byte[] Create(params (string Path, string Content)[] files) =>
        Create(files.Select(f => (f.Path, Encoding.UTF8.GetBytes(f.Content))).ToArray());

    public static byte[] Create(params (string Path, byte[] Content)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(content) };
                writer.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }
}
