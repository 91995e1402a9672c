namespace Vouch.Sri;

/// <summary>Caps on untrusted input read by the SRI layer (pages, tarballs, package.json).</summary>
public static class Limits
{
    /// <summary>JSON nesting depth of a package.json read from a tarball.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest HTML or template file scanned or fixed.</summary>
    public const long MaxDocumentBytes = 32L * 1024 * 1024;

    /// <summary>Files visited under the directories given to scan/fix.</summary>
    public const int MaxFiles = 100_000;

    /// <summary>Total bytes a tarball may decompress to (a gzip bomb stops here).</summary>
    public const long MaxUnpackedBytes = 1024L * 1024 * 1024;

    /// <summary>Largest single file hashed out of a tarball.</summary>
    public const long MaxPackageFileBytes = 64L * 1024 * 1024;

    /// <summary>Entries read from one tarball.</summary>
    public const int MaxTarEntries = 200_000;

    /// <summary>Length of one start tag the attribute lexer reads.</summary>
    public const int MaxStartTagChars = 64 * 1024;
}
