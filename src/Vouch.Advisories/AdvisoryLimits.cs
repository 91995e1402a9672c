namespace Vouch.Advisories;

/// <summary>
/// Caps on the untrusted input this layer reads: OSV records, archives of them, VEX documents.
/// A record or archive over a cap is refused with a code, never truncated silently.
/// </summary>
public static class AdvisoryLimits
{
    /// <summary>Largest single OSV record. Real npm records are under 100 KiB; malware records with many origins stay far below this.</summary>
    public const int MaxRecordBytes = 4 * 1024 * 1024;

    /// <summary>Entries in one zip archive (OSV's npm all.zip holds a few hundred thousand).</summary>
    public const int MaxArchiveEntries = 2_000_000;

    /// <summary>Total uncompressed bytes read from one archive or directory (zip-bomb cap).</summary>
    public const long MaxImportBytes = 8L * 1024 * 1024 * 1024;

    /// <summary>Largest archive downloaded by <c>db update --from URL</c>.</summary>
    public const long MaxDownloadBytes = 2L * 1024 * 1024 * 1024;

    /// <summary>JSON files walked in one directory import.</summary>
    public const int MaxDirectoryFiles = 2_000_000;

    /// <summary>Entries in <c>affected</c> of one record.</summary>
    public const int MaxAffected = 10_000;

    /// <summary>Ranges of one affected entry, and events of one range.</summary>
    public const int MaxRangesOrEvents = 1_000;

    /// <summary>Explicit <c>versions</c> of one affected entry (osv.dev enumerates every affected version).</summary>
    public const int MaxVersions = 100_000;

    /// <summary>Aliases (and related ids) of one record.</summary>
    public const int MaxAliases = 1_000;

    /// <summary>Largest VEX document.</summary>
    public const int MaxVexBytes = 16 * 1024 * 1024;

    /// <summary>Statements / vulnerabilities in one VEX document.</summary>
    public const int MaxVexStatements = 100_000;

    /// <summary>JSON nesting depth for every document here.</summary>
    public const int MaxJsonDepth = 64;
}
