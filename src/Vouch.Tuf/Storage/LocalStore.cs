using Vouch.Common;
namespace Vouch.Tuf.Storage;

/// <summary>
/// A flat directory of files (metadata or cached targets). Names are escaped so role names and target
/// paths from a repository can never address anything outside the directory, and every write is
/// temp-file-then-rename so a crash or a concurrent reader never sees half a file.
/// </summary>
internal sealed class LocalStore
{
    public LocalStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary>File name for a role's metadata ("targets.json", "a%2Fb.json").</summary>
    public static string MetadataFileName(string role) => EscapeName(role) + ".json";

    /// <summary>File name for a cached target: the whole path escaped into one name.</summary>
    public static string TargetFileName(string targetPath) => EscapeName(targetPath);

    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Reads a file, or null when it does not exist or is larger than <paramref name="maxBytes"/> (then it cannot be valid anyway).</summary>
    public byte[]? TryRead(string fileName, long maxBytes)
    {
        var path = PathOf(fileName);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > maxBytes)
            {
                return null;
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TufException(TufErrorCodes.Storage, $"cannot read {path}: {e.Message}", e);
        }
    }

    public DateTimeOffset? LastWriteTime(string fileName)
    {
        var info = new FileInfo(PathOf(fileName));
        return info.Exists ? new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero) : null;
    }

    public void Write(string fileName, byte[] data)
    {
        var path = PathOf(fileName);
        try
        {
            // Durable: otherwise a power loss can leave the new name pointing at an empty file,
            // which would silently drop our rollback reference.
            AtomicFile.Write(path, data, Durability.Durable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TufException(TufErrorCodes.Storage, $"cannot write {path}: {e.Message}", e);
        }
    }

    public void Delete(string fileName)
    {
        var path = PathOf(fileName);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing stored yet, so nothing to delete.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TufException(TufErrorCodes.Storage, $"cannot delete {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Percent-escapes everything but unreserved characters, so "/" and "\" become part of the name
    /// and "." or ".." can only appear inside a longer name with a suffix (".json") or escaped.
    /// </summary>
    private static string EscapeName(string name)
    {
        var escaped = Uri.EscapeDataString(name);
        return escaped is "." or ".." ? escaped.Replace(".", "%2E", StringComparison.Ordinal) : escaped;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stray temp file is harmless, the real error is already being reported.
        }
    }
}
