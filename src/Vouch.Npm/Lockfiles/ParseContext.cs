namespace Vouch.Npm.Lockfiles;

/// <summary>What every format parser shares: the file's path for errors, and the entry cap.</summary>
internal sealed class ParseContext(string path)
{
    private readonly List<LockfilePackage> _packages = [];

    public string Path { get; } = path;

    public List<LockfilePackage> Packages => _packages;

    public void Add(LockfilePackage package)
    {
        if (_packages.Count >= Limits.MaxLockfileEntries)
        {
            throw Fail(LockfileCodes.TooLarge, package.Line, 0, $"more than {Limits.MaxLockfileEntries} entries");
        }

        _packages.Add(package);
    }

    public LockfileFormatException Fail(string code, int line, int column, string problem, Exception? inner = null) =>
        new(code, Path, line, column, problem, inner);

    public LockfileFormatException Malformed(int line, int column, string problem, Exception? inner = null) =>
        new(LockfileCodes.Malformed, Path, line, column, problem, inner);

    public LockfileFormatException InvalidEntry(int line, int column, string problem) =>
        new(LockfileCodes.InvalidEntry, Path, line, column, problem);
}

/// <summary>
/// Turns byte offsets into 1-based line numbers, counting newlines once: offsets asked for only
/// grow while a reader moves forward, so the whole file is scanned once in total.
/// </summary>
internal sealed class LineCounter(ReadOnlyMemory<byte> text)
{
    private long _offset;
    private int _line = 1;

    public int LineAt(long offset)
    {
        if (offset < _offset)
        {
            _offset = 0;
            _line = 1;
        }

        offset = Math.Min(offset, text.Length);
        _line += text.Span[(int)_offset..(int)offset].Count((byte)'\n');
        _offset = offset;
        return _line;
    }
}
