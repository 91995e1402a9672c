namespace Vouch.Npm;

/// <summary>
/// A registry document that cannot be used: not JSON, or missing or mistyping a field Vouch relies
/// on. <see cref="Problems"/> lists every problem found, not just the first, so one error message
/// tells the whole story.
/// </summary>
public sealed class NpmDocumentException : Exception
{
    public NpmDocumentException()
        : this("invalid npm document", [])
    {
    }

    public NpmDocumentException(string message)
        : this(message, [])
    {
    }

    public NpmDocumentException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public NpmDocumentException(string document, IReadOnlyList<string> problems)
        : base(problems.Count == 0 ? document : $"{document}: {string.Join("; ", problems)}")
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}
