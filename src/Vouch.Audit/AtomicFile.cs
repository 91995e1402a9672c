namespace Vouch.Audit;

/// <summary>Writes a file so that readers see the old content or the new, never a part: temp file beside it, then rename.</summary>
public static class AtomicFile
{
    /// <param name="ensureDirectory">False when the caller knows the directory exists (saves a system call per file in the evidence cache).</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, bool ensureDirectory = true)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (ensureDirectory)
        {
            Directory.CreateDirectory(dir);
        }

        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                stream.Write(content);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public static void WriteAllText(string path, string content) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content));
}
