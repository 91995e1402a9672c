using System.Formats.Tar;
using System.IO.Compression;
using Vouch.Common.IO;

namespace Vouch.Sri;

/// <summary>
/// The files of an npm tarball as a CDN serves them: the first path component (`package/`) is
/// dropped, as npm and the CDNs do, and a later entry for the same path replaces an earlier one,
/// as extraction would. Only the files asked for are kept in memory.
/// </summary>
public sealed class PackageTarball
{
    private readonly byte[] _tgz;
    private HashSet<string>? _paths;

    public PackageTarball(byte[] tgz) => _tgz = tgz;

    /// <summary>Every regular file's path (without the `package/` component).</summary>
    public IReadOnlySet<string> Paths => _paths ??= Read(_ => false).Paths;

    /// <summary>The content of one file, or null when the tarball has no such file.</summary>
    public byte[]? ReadFile(string path)
    {
        var normal = Normalize(path);
        if (normal is null)
        {
            return null;
        }

        var (paths, files) = Read(p => p == normal);
        _paths ??= paths;
        return files.GetValueOrDefault(normal);
    }

    /// <summary>A path inside the package in canonical form, or null if it climbs out or is empty.</summary>
    public static string? Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    continue;
                case "..":
                    return null;
                default:
                    parts.Add(part);
                    break;
            }
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    private (HashSet<string> Paths, Dictionary<string, byte[]> Files) Read(Func<string, bool> keep)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var gzip = new GZipStream(new MemoryStream(_tgz, writable: false), CompressionMode.Decompress);
            using var capped = new CappedStream(gzip, Limits.MaxUnpackedBytes);
            using var reader = new TarReader(capped);
            var count = 0;
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (++count > Limits.MaxTarEntries)
                {
                    throw new InvalidDataException($"the tarball has more than {Limits.MaxTarEntries} entries");
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                {
                    continue;
                }

                var slash = entry.Name.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0 || Normalize(entry.Name[(slash + 1)..]) is not { } path)
                {
                    continue;
                }

                paths.Add(path);
                if (!keep(path) || entry.DataStream is null)
                {
                    files.Remove(path);
                    continue;
                }

                if (entry.Length > Limits.MaxPackageFileBytes)
                {
                    throw new InvalidDataException($"{path} is larger than {Limits.MaxPackageFileBytes} bytes");
                }

                using var buffer = new MemoryStream();
                entry.DataStream.CopyTo(buffer);
                files[path] = buffer.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"the tarball cannot be read: {e.Message}", e);
        }

        return (paths, files);
    }
}
