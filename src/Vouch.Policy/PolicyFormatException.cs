namespace Vouch.Policy;

/// <summary>
/// A policy file that cannot be used. The message is <c>file:line:column: what was expected</c>, so
/// an editor can jump to it; a bad policy never falls back to a default.
/// </summary>
public sealed class PolicyFormatException : Exception
{
    public PolicyFormatException()
        : this("policy", 0, 0, "invalid policy")
    {
    }

    public PolicyFormatException(string message)
        : this("policy", 0, 0, message)
    {
    }

    public PolicyFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = "policy";
        Expected = message;
    }

    public PolicyFormatException(string file, int line, int column, string expected)
        : base(line > 0 ? $"{file}:{line}:{column}: {expected}" : $"{file}: {expected}")
    {
        File = file;
        Line = line;
        Column = column;
        Expected = expected;
    }

    public string File { get; }

    /// <summary>1-based; 0 when the problem is the file as a whole (unreadable, too large).</summary>
    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without its location.</summary>
    public string Expected { get; }
}
