using System.Formats.Tar;
using System.IO.Compression;

namespace Vouch.Reviews.Tarballs;

/// <summary>
/// Every regular file of an npm tarball, keyed by its path without the first component (`package/`),
/// as npm extracts it (a later entry replaces an earlier one). Paths that climb out are refused; file
/// count and unpacked size are capped, so a decompression bomb stops early.
/// </summary>
public sealed class PackageFiles
{
    private PackageFiles(IReadOnlyDictionary<string, byte[]> files) => Files = files;

    public IReadOnlyDictionary<string, byte[]> Files { get; }

    public long TotalBytes => Files.Values.Sum(f => (long)f.Length);

    /// <summary>Reads a .tgz; null with <paramref name="error"/> set when it is malformed or over a cap.</summary>
    public static PackageFiles? Read(byte[] tgz, out string? error)
    {
        error = null;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long total = 0;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(tgz, writable: false), CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry(copyData: false) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                {
                    continue;
                }

                var path = Normalize(entry.Name);
                if (path is null)
                {
                    error = $"entry '{entry.Name}' climbs out of the package or is empty";
                    return null;
                }

                total += entry.Length;
                if (total > ReviewLimits.MaxUnpackedBytes || files.Count >= ReviewLimits.MaxTarballFiles)
                {
                    error = $"the tarball unpacks to more than {ReviewLimits.MaxUnpackedBytes} bytes or {ReviewLimits.MaxTarballFiles} files";
                    return null;
                }

                var content = new byte[entry.Length];
                entry.DataStream?.ReadExactly(content);
                files[path] = content;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException or ArgumentException)
        {
            error = $"not a valid .tgz: {e.Message}";
            return null;
        }

        return new PackageFiles(files);
    }

    /// <summary>A tar path without its first component, in canonical form; null when it climbs out or is empty.</summary>
    public static string? Normalize(string tarPath)
    {
        var parts = tarPath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1).Where(p => p != ".").ToList();
        if (parts.Count == 0 || parts.Any(p => p == ".."))
        {
            return null;
        }

        return string.Join('/', parts);
    }
}
