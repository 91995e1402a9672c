namespace Vouch.Reviews;

/// <summary>A review file that cannot be used: every problem with its <c>file:line:column</c>.</summary>
public sealed class ReviewFormatException : Exception
{
    public ReviewFormatException(string code, string file, IReadOnlyList<ReviewProblem> problems)
        : base(string.Join("; ", problems.Select(p => p.ToString())))
    {
        Code = code;
        File = file;
        Problems = problems;
    }

    public string Code { get; }

    public string File { get; }

    public IReadOnlyList<ReviewProblem> Problems { get; }
}

/// <summary>One problem in a file; line and column are 1-based (0 when the whole file is meant).</summary>
public sealed record ReviewProblem(string File, int Line, int Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}: {Message}";
}
