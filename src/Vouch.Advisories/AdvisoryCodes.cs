namespace Vouch.Advisories;

/// <summary>Stable codes of the advisory layer (docs/codes.md, docs/advisories.md).</summary>
public static class AdvisoryCodes
{
    /// <summary>An OSV record is malformed (the message lists every bad field by JSON path).</summary>
    public const string RecordMalformed = "VOUCH_OSV_RECORD_MALFORMED";

    /// <summary>An OSV record, archive or download is over a cap in <see cref="AdvisoryLimits"/>.</summary>
    public const string InputTooLarge = "VOUCH_OSV_INPUT_TOO_LARGE";

    /// <summary>The import source is not a zip archive, a JSON file or a directory, or cannot be read.</summary>
    public const string SourceUnreadable = "VOUCH_DB_SOURCE_UNREADABLE";

    /// <summary>Downloading the import source failed (network or HTTP status).</summary>
    public const string DownloadFailed = "VOUCH_DB_DOWNLOAD_FAILED";

    /// <summary>The source's record digest differs from the one the operator expected (--expect-digest).</summary>
    public const string DigestMismatch = "VOUCH_DB_DIGEST_MISMATCH";

    /// <summary>No advisory database exists yet at the path (run `vouch db update`).</summary>
    public const string DatabaseMissing = "VOUCH_DB_MISSING";

    /// <summary>The database file is not a Vouch advisory index, or a stored row does not parse.</summary>
    public const string DatabaseCorrupt = "VOUCH_DB_CORRUPT";

    /// <summary>A version is affected by a vulnerability advisory at or above the threshold.</summary>
    public const string Vulnerable = "VOUCH_ADVISORY_VULNERABLE";

    /// <summary>A version is listed as malicious (an OSV <c>MAL-</c> record): always an error.</summary>
    public const string Malware = "VOUCH_ADVISORY_MALWARE";

    /// <summary>An advisory matched but is below the threshold: reported as a note.</summary>
    public const string BelowThreshold = "VOUCH_ADVISORY_BELOW_THRESHOLD";

    /// <summary>An advisory matched and was suppressed by an unexpired ignore entry or a VEX statement: reported as a note.</summary>
    public const string Suppressed = "VOUCH_ADVISORY_SUPPRESSED";

    /// <summary>An ignore entry has expired: the advisory it covered counts again, and the entry is reported.</summary>
    public const string IgnoreExpired = "VOUCH_ADVISORY_IGNORE_EXPIRED";

    /// <summary>An ignore entry lacks its reason or expiry, or a VEX document is malformed.</summary>
    public const string SuppressionMalformed = "VOUCH_ADVISORY_SUPPRESSION_MALFORMED";

    /// <summary>A record's CVSS vector does not parse (unknown or repeated metric, bad value, wrong order, missing base metric): it is not scored, and the severity falls back to the next source.</summary>
    public const string CvssVectorMalformed = "VOUCH_CVSS_VECTOR_MALFORMED";
}
