namespace Vouch.Common;

/// <summary>How much an <see cref="AtomicFile"/> write promises beyond "old or new, never a part".</summary>
public enum Durability
{
    /// <summary>Rename only: readers never see a partial file, but a power loss may leave the old one (caches that can be refetched).</summary>
    Atomic,

    /// <summary>The content is flushed to the device before the rename, so after a crash the file is the old or the whole new one (records, trust material, databases, user files).</summary>
    Durable,
}

/// <summary>
/// The one atomic writer (issue 13): a temporary file in the target's directory (same file system,
/// so the rename is atomic), written, optionally flushed to the device, then renamed over the
/// target. A failed write deletes its temporary file and leaves the target as it was; two writers
/// racing on one path each rename a complete file, and the last rename wins. Replacing an existing
/// file keeps its permission bits (a user's package.json stays as it was).
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, Durability durability = Durability.Durable, bool ensureDirectory = true)
    {
        var (full, temp) = Prepare(path, ensureDirectory);
        try
        {
            WriteTemporary(temp, content, durability, unixMode: null);
            Commit(temp, full);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Streams the content synchronously (a zip being built); <paramref name="write"/> may throw to abandon the write.</summary>
    public static void Write(string path, Action<Stream> write, Durability durability = Durability.Durable, bool ensureDirectory = true)
    {
        var (full, temp) = Prepare(path, ensureDirectory);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024))
            {
                write(stream);
                stream.Flush(flushToDisk: durability == Durability.Durable);
            }

            Commit(temp, full);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Publishes a whole file only if none exists yet: the first of several racing writers wins and
    /// the others get false and read the winner's (a key every process must agree on). Readers see
    /// no file or the complete one.
    /// </summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content, Durability durability = Durability.Durable, bool ensureDirectory = true, UnixFileMode? unixMode = null)
    {
        var (full, temp) = Prepare(path, ensureDirectory);
        try
        {
            WriteTemporary(temp, content, durability, unixMode);
            if (File.Exists(full))
            {
                TryDelete(temp);
                return false;
            }

            try
            {
                // Without overwrite the move fails when the target appeared meanwhile (on Unix .NET
                // links the new name, which link(2) refuses when it exists): no winner is replaced.
                File.Move(temp, full, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(full))
            {
                TryDelete(temp);
                return false;
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteText(string path, string content, Durability durability = Durability.Durable) =>
        Write(path, System.Text.Encoding.UTF8.GetBytes(content), durability);

    /// <summary>Streams the content (large files: tarballs, database snapshots); <paramref name="write"/> may throw to abandon the write.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, Durability durability = Durability.Durable, bool ensureDirectory = true, CancellationToken ct = default)
    {
        var (full, temp) = Prepare(path, ensureDirectory);
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, ct).ConfigureAwait(false);
                await stream.FlushAsync(ct).ConfigureAwait(false);
                if (durability == Durability.Durable)
                {
                    stream.Flush(flushToDisk: true);
                }
            }

            Commit(temp, full);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Moves a file the caller already wrote completely (for example a database built beside its
    /// target) over the target, flushing it first when durable.
    /// </summary>
    public static void Replace(string completeFile, string path, Durability durability = Durability.Durable)
    {
        if (durability == Durability.Durable)
        {
            using var stream = new FileStream(completeFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            stream.Flush(flushToDisk: true);
        }

        Commit(completeFile, Path.GetFullPath(path));
    }

    /// <summary>A fresh temporary path beside <paramref name="path"/>, hidden and unique per call (for <see cref="Replace"/>).</summary>
    public static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    private static void WriteTemporary(string temp, ReadOnlySpan<byte> content, Durability durability, UnixFileMode? unixMode)
    {
        using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);

        // The mode is set before any byte is written, so a secret is never readable by others.
        if (unixMode is { } mode && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(stream.SafeFileHandle, mode);
        }

        stream.Write(content);
        if (durability == Durability.Durable)
        {
            stream.Flush(flushToDisk: true);
        }
    }

    private static (string Full, string Temp) Prepare(string path, bool ensureDirectory)
    {
        var full = Path.GetFullPath(path);
        if (ensureDirectory)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }

        return (full, TempPathFor(full));
    }

    private static void Commit(string temp, string full)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(full))
        {
            File.SetUnixFileMode(temp, File.GetUnixFileMode(full));
        }

        File.Move(temp, full, overwrite: true);
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
