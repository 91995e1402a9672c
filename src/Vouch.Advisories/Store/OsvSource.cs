using System.IO.Compression;

namespace Vouch.Advisories;

/// <summary>One candidate record from a source: its bytes, or why it could not be read.</summary>
public sealed record OsvSourceItem(string Origin, byte[]? Bytes, string? Error);

/// <summary>
/// Reads OSV records from a zip archive (OSV's per-ecosystem <c>all.zip</c>, or a <c>vouch db export</c>
/// snapshot), a directory tree of <c>*.json</c> files (github/advisory-database,
/// ossf/malicious-packages) or one JSON file. Archive entries are decompressed into memory one at a
/// time, never extracted to disk, so entry names (zip-slip) do not matter; every entry and the total
/// are capped, and the caps hold even when an entry's declared size lies.
/// </summary>
public static class OsvSource
{
    /// <summary>The manifest entry a <c>vouch db export</c> archive carries; not a record.</summary>
    public const string ManifestEntry = "vouch-snapshot.json";

    public static IEnumerable<OsvSourceItem> Read(string path, CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(path))
        {
            return ReadDirectory(path, cancellationToken);
        }

        if (!File.Exists(path))
        {
            throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{path}: no such file or directory");
        }

        return IsZip(path) ? ReadZip(path, cancellationToken) : ReadSingle(path);
    }

    private static bool IsZip(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var f = File.OpenRead(path);
            // A local file header starts an archive with entries; an archive with none (an export of an
            // ecosystem with no records) is only its end-of-central-directory record.
            return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && (magic.SequenceEqual("PK\u0003\u0004"u8) || magic.SequenceEqual("PK\u0005\u0006"u8));
        }
        catch (IOException e)
        {
            throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{path}: {e.Message}");
        }
    }

    private static IEnumerable<OsvSourceItem> ReadSingle(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > AdvisoryLimits.MaxRecordBytes)
        {
            yield return new(path, null, $"{AdvisoryCodes.InputTooLarge}: {info.Length} bytes, over the {AdvisoryLimits.MaxRecordBytes}-byte record cap");
            yield break;
        }

        yield return new(path, File.ReadAllBytes(path), null);
    }

    private static IEnumerable<OsvSourceItem> ReadDirectory(string root, CancellationToken cancellationToken)
    {
        // Symbolic links are skipped: a link out of the tree would import files the operator did not point at.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden, IgnoreInaccessible = false };
        var files = new List<string>();
        foreach (var f in Directory.EnumerateFiles(root, "*.json", options))
        {
            if (files.Count >= AdvisoryLimits.MaxDirectoryFiles)
            {
                throw new AdvisoryException(AdvisoryCodes.InputTooLarge, $"{root}: more than {AdvisoryLimits.MaxDirectoryFiles} JSON files");
            }

            files.Add(f);
        }

        files.Sort(StringComparer.Ordinal);
        long total = 0;
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var relative = Path.GetRelativePath(root, file);
            long length;
            try
            {
                length = new FileInfo(file).Length;
            }
            catch (IOException e)
            {
                throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{relative}: {e.Message}");
            }

            if (length > AdvisoryLimits.MaxRecordBytes)
            {
                yield return new(relative, null, $"{AdvisoryCodes.InputTooLarge}: {length} bytes, over the {AdvisoryLimits.MaxRecordBytes}-byte record cap");
                continue;
            }

            total += length;
            if (total > AdvisoryLimits.MaxImportBytes)
            {
                throw new AdvisoryException(AdvisoryCodes.InputTooLarge, $"{root}: more than {AdvisoryLimits.MaxImportBytes} bytes of JSON");
            }

            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(file);
            }
            catch (IOException e)
            {
                throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{relative}: {e.Message}");
            }

            yield return new(relative, bytes, null);
        }
    }

    private static IEnumerable<OsvSourceItem> ReadZip(string path, CancellationToken cancellationToken)
    {
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{path}: not a readable zip archive ({e.Message})");
        }

        using (archive)
        {
            if (archive.Entries.Count > AdvisoryLimits.MaxArchiveEntries)
            {
                throw new AdvisoryException(AdvisoryCodes.InputTooLarge, $"{path}: {archive.Entries.Count} entries, over the {AdvisoryLimits.MaxArchiveEntries}-entry cap");
            }

            long total = 0;
            var buffer = new byte[AdvisoryLimits.MaxRecordBytes + 1];
            foreach (var entry in archive.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.FullName.EndsWith('/') || !entry.FullName.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || entry.FullName == ManifestEntry)
                {
                    continue;
                }

                if (entry.Length > AdvisoryLimits.MaxRecordBytes)
                {
                    yield return new(entry.FullName, null, $"{AdvisoryCodes.InputTooLarge}: {entry.Length} bytes, over the {AdvisoryLimits.MaxRecordBytes}-byte record cap");
                    continue;
                }

                int read;
                try
                {
                    using var stream = entry.Open();
                    // Read one byte past the cap: the declared size in the directory is attacker-controlled.
                    read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                }
                catch (InvalidDataException e)
                {
                    throw new AdvisoryException(AdvisoryCodes.SourceUnreadable, $"{path}: entry {entry.FullName}: {e.Message}");
                }

                if (read > AdvisoryLimits.MaxRecordBytes)
                {
                    yield return new(entry.FullName, null, $"{AdvisoryCodes.InputTooLarge}: inflates past the {AdvisoryLimits.MaxRecordBytes}-byte record cap");
                    continue;
                }

                total += read;
                if (total > AdvisoryLimits.MaxImportBytes)
                {
                    throw new AdvisoryException(AdvisoryCodes.InputTooLarge, $"{path}: inflates past {AdvisoryLimits.MaxImportBytes} bytes");
                }

                yield return new(entry.FullName, buffer.AsSpan(0, read).ToArray(), null);
            }
        }
    }
}
