namespace Vouch.Npm.Lockfiles;

/// <summary>
/// A lockfile that cannot be read: unreadable, not the syntax of its format, an unsupported
/// version, over a cap, or an entry missing a field. <see cref="Line"/> and <see cref="Column"/>
/// are 1-based (0 when the problem has no position) so an editor can jump to it.
/// </summary>
public sealed class LockfileFormatException : Exception
{
    public LockfileFormatException()
        : this(LockfileCodes.Malformed, "", 0, 0, "invalid lockfile")
    {
    }

    public LockfileFormatException(string message)
        : this(LockfileCodes.Malformed, "", 0, 0, message)
    {
    }

    public LockfileFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = LockfileCodes.Malformed;
        LockfilePath = "";
        Problem = message;
    }

    public LockfileFormatException(string code, string path, int line, int column, string problem, Exception? innerException = null)
        : base(Format(path, line, column, problem), innerException)
    {
        Code = code;
        LockfilePath = path;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>A <c>VOUCH_LOCK_*</c> code from <see cref="LockfileCodes"/>.</summary>
    public string Code { get; }

    public string LockfilePath { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>What was wrong or expected, without the location.</summary>
    public string Problem { get; }

    private static string Format(string path, int line, int column, string problem) =>
        (line, column) switch
        {
            (0, _) => $"{path}: {problem}",
            (_, 0) => $"{path}:{line}: {problem}",
            _ => $"{path}:{line}:{column}: {problem}",
        };
}
