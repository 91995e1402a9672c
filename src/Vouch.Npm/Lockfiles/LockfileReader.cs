using System.Text;

namespace Vouch.Npm.Lockfiles;

/// <summary>
/// Finds and reads lockfiles of every client Vouch supports into the client-neutral
/// <see cref="Lockfile"/>. Everything that goes wrong while reading is a
/// <see cref="LockfileFormatException"/> with a <c>VOUCH_LOCK_*</c> code and a position.
/// </summary>
public static class LockfileReader
{
    /// <summary>Lockfile names in the order a directory's lockfile is chosen.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        ["npm-shrinkwrap.json", "package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"];

    /// <summary>
    /// The lockfile for a path: the path itself when it is a file, else the first of
    /// <see cref="FileNames"/> present in the directory; null when there is none.
    /// </summary>
    public static string? Find(string pathOrDirectory) => FindAll(pathOrDirectory) is [var first, ..] ? first : null;

    /// <summary>Every lockfile for a path, the one <see cref="Find"/> picks first.</summary>
    public static IReadOnlyList<string> FindAll(string pathOrDirectory)
    {
        ArgumentNullException.ThrowIfNull(pathOrDirectory);
        if (File.Exists(pathOrDirectory))
        {
            return [Path.GetFullPath(pathOrDirectory)];
        }

        if (!Directory.Exists(pathOrDirectory))
        {
            return [];
        }

        return FileNames.Select(n => Path.GetFullPath(Path.Combine(pathOrDirectory, n))).Where(File.Exists).ToList();
    }

    /// <summary>
    /// Reads a lockfile, or the lockfile of a directory (see <see cref="Find"/>; the others present
    /// are named in <see cref="Lockfile.Notes"/>).
    /// </summary>
    public static Lockfile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var notes = new List<string>();
        if (Directory.Exists(path))
        {
            var all = FindAll(path);
            if (all.Count == 0)
            {
                var lockb = Path.Combine(path, "bun.lockb");
                if (File.Exists(lockb))
                {
                    throw BinaryBun(lockb);
                }

                throw new LockfileFormatException(LockfileCodes.Unreadable, path, 0, 0,
                    $"no lockfile found (looked for {string.Join(", ", FileNames)})");
            }

            if (all.Count > 1)
            {
                notes.Add($"several lockfiles found; read {Path.GetFileName(all[0])}, ignored {string.Join(", ", all.Skip(1).Select(Path.GetFileName))}");
            }

            path = all[0];
        }

        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (stream.Length > Limits.MaxLockfileBytes)
            {
                throw new LockfileFormatException(LockfileCodes.TooLarge, path, 0, 0, $"the file is larger than {Limits.MaxLockfileBytes} bytes");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LockfileFormatException(LockfileCodes.Unreadable, path, 0, 0, $"cannot read the file ({e.Message})", e);
        }

        var lockfile = ParseUtf8(bytes, path);
        return notes.Count == 0 ? lockfile : lockfile with { Notes = [.. lockfile.Notes, .. notes] };
    }

    /// <summary>Parses lockfile text; the file name in <paramref name="path"/> decides the format, else the content.</summary>
    public static Lockfile Parse(string content, string path)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(path);
        if (content.Length > Limits.MaxLockfileBytes)
        {
            throw new LockfileFormatException(LockfileCodes.TooLarge, path, 0, 0, $"the file is larger than {Limits.MaxLockfileBytes} bytes");
        }

        var kind = Detect(path, content.AsSpan().TrimStart('\uFEFF'));
        return kind switch
        {
            Kind.Npm => NpmLockfileParser.Parse(Encoding.UTF8.GetBytes(content.TrimStart('\uFEFF')), path),
            Kind.Bun => BunLockfileParser.Parse(Encoding.UTF8.GetBytes(content.TrimStart('\uFEFF')), path),
            _ => ParseText(kind, content.TrimStart('\uFEFF'), path),
        };
    }

    internal static Lockfile ParseUtf8(ReadOnlyMemory<byte> utf8, string path)
    {
        if (utf8.Length > Limits.MaxLockfileBytes)
        {
            throw new LockfileFormatException(LockfileCodes.TooLarge, path, 0, 0, $"the file is larger than {Limits.MaxLockfileBytes} bytes");
        }

        if (utf8.Span.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        // Sniffing needs only the start of the file.
        var head = Encoding.UTF8.GetString(utf8.Span[..Math.Min(utf8.Length, 4096)]);
        var kind = Detect(path, head);
        switch (kind)
        {
            case Kind.Npm:
                return NpmLockfileParser.Parse(utf8, path);
            case Kind.Bun:
                return BunLockfileParser.Parse(utf8, path);
            default:
                string text;
                try
                {
                    text = new UTF8Encoding(false, true).GetString(utf8.Span);
                }
                catch (DecoderFallbackException e)
                {
                    throw new LockfileFormatException(LockfileCodes.Malformed, path, 0, 0, "the file is not UTF-8 text", e);
                }

                return ParseText(kind, text, path);
        }
    }

    private static Lockfile ParseText(Kind kind, string text, string path) => kind switch
    {
        Kind.Pnpm => PnpmLockfileParser.Parse(text, path),
        Kind.YarnBerry => YarnBerryParser.Parse(text, path),
        _ => YarnClassicParser.Parse(text, path),
    };

    private static Kind Detect(string path, ReadOnlySpan<char> head)
    {
        var name = Path.GetFileName(path);
        switch (name)
        {
            case "package-lock.json" or "npm-shrinkwrap.json":
                return Kind.Npm;
            case "pnpm-lock.yaml":
                return Kind.Pnpm;
            case "bun.lock":
                return Kind.Bun;
            case "bun.lockb":
                throw BinaryBun(path);
            case "yarn.lock":
                return IsBerry(head) ? Kind.YarnBerry : Kind.YarnClassic;
        }

        // Another name (a copy, a test file): decide by content.
        var trimmed = head.TrimStart();
        if (trimmed.StartsWith("{"))
        {
            // bun.lock arrays per package vs npm objects; bun writes "workspaces" before "packages".
            return trimmed.Contains("\"workspaces\": {", StringComparison.Ordinal) && !trimmed.Contains("\"requires\"", StringComparison.Ordinal)
                ? Kind.Bun
                : Kind.Npm;
        }

        if (trimmed.StartsWith("lockfileVersion:") || head.Contains("\nlockfileVersion:", StringComparison.Ordinal))
        {
            return Kind.Pnpm;
        }

        if (IsBerry(head))
        {
            return Kind.YarnBerry;
        }

        if (head.Contains("# yarn lockfile v1", StringComparison.Ordinal))
        {
            return Kind.YarnClassic;
        }

        throw new LockfileFormatException(LockfileCodes.Unsupported, path, 0, 0,
            $"not a lockfile Vouch recognises (expected one of {string.Join(", ", FileNames)})");
    }

    private static bool IsBerry(ReadOnlySpan<char> head) =>
        head.StartsWith("__metadata:") || head.Contains("\n__metadata:", StringComparison.Ordinal);

    private static LockfileFormatException BinaryBun(string path) =>
        new(LockfileCodes.Unsupported, path, 0, 0, "bun.lockb is bun's binary lockfile; run `bun install --save-text-lockfile` to write bun.lock");

    private enum Kind
    {
        Npm,
        Pnpm,
        YarnClassic,
        YarnBerry,
        Bun,
    }
}
