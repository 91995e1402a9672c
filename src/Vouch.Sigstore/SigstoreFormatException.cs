namespace Vouch.Sigstore;

/// <summary>
/// A document (bundle, trusted root, certificate, checkpoint…) is malformed. Thrown once, after
/// parsing, with every problem found: structure is validated before any trust decision is made.
/// </summary>
public sealed class SigstoreFormatException : Exception
{
    public SigstoreFormatException(string document, IReadOnlyList<string> problems, string? code = null)
        : base($"malformed {document}: {string.Join("; ", problems)}")
    {
        Document = document;
        Problems = problems;
        Code = code ?? (document == "trusted root" ? SigstoreCodes.TrustedRootMalformed : SigstoreCodes.BundleMalformed);
    }

    /// <summary>Which document was malformed ("bundle", "trusted root"…).</summary>
    public string Document { get; }

    /// <summary>Every problem found, each prefixed with its JSON path.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The stable failure code (see <see cref="SigstoreCodes"/>).</summary>
    public string Code { get; }
}
