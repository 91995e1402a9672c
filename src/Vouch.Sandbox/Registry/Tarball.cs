using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Sandbox.Registry;

/// <summary>A package tarball and the digests npm describes it by.</summary>
internal sealed record TarballFile(byte[] Bytes, int FileCount, long UnpackedSize)
{
    public byte[] Sha512 { get; } = SHA512.HashData(Bytes);

    public string Integrity => "sha512-" + Convert.ToBase64String(Sha512);

    public string Shasum => Convert.ToHexStringLower(SHA1.HashData(Bytes));
}

/// <summary>
/// Writes npm package tarballs: gzip'd ustar with every file under `package/`, fixed owner, mode and
/// modification time, in a fixed order, so the same scenario always yields the same bytes (and the
/// same integrity) from one run to the next.
/// </summary>
internal static class Tarball
{
    public static TarballFile Create(IReadOnlyList<(string Path, string Content)> files, DateTimeOffset modified)
    {
        using var output = new MemoryStream();
        long unpacked = 0;
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (path, content) in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                var bytes = Encoding.UTF8.GetBytes(content);
                unpacked += bytes.Length;
                var entry = new UstarTarEntry(TarEntryType.RegularFile, "package/" + path)
                {
                    ModificationTime = modified,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    DataStream = new MemoryStream(bytes),
                };
                tar.WriteEntry(entry);
            }
        }

        return new TarballFile(output.ToArray(), files.Count, unpacked);
    }

    /// <summary>The file name npm gives a tarball: the unscoped part of the name, the version, `.tgz`.</summary>
    public static string FileName(string packageName, string version)
    {
        var slash = packageName.IndexOf('/', StringComparison.Ordinal);
        return $"{(slash >= 0 ? packageName[(slash + 1)..] : packageName)}-{version}.tgz";
    }
}
