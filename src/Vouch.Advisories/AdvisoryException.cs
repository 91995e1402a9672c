namespace Vouch.Advisories;

/// <summary>
/// A failure that stops a whole database operation (unreadable source, a cap exceeded, a corrupt
/// index). The CLI maps <see cref="Code"/> to an exit code; a failed import has rolled back.
/// </summary>
public sealed class AdvisoryException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
