namespace Vouch.Advisories;

/// <summary>A record the import refused, and why (JSON paths).</summary>
public sealed record RejectedRecord(string Origin, string? Id, IReadOnlyList<string> Errors);

public sealed record ImportOptions
{
    /// <summary>Names the source in the snapshot (a path or URL; never credentials).</summary>
    public string? SourceLabel { get; init; }

    /// <summary>When set, the import commits only if the source's digest equals it (air-gapped transfer).</summary>
    public string? ExpectDigest { get; init; }
}

/// <summary>What one import did. Nothing is committed when <see cref="Error"/> is set.</summary>
public sealed record ImportResult
{
    public int Added { get; init; }

    public int Updated { get; init; }

    public int Unchanged { get; init; }

    /// <summary>Records older than the stored copy (by <c>modified</c>): kept out so a stale snapshot cannot roll the index back.</summary>
    public int Stale { get; init; }

    /// <summary>Records (new or updated) that are withdrawn.</summary>
    public int Withdrawn { get; init; }

    /// <summary>Valid records with no npm entry.</summary>
    public int OtherEcosystem { get; init; }

    public IReadOnlyList<RejectedRecord> Rejected { get; init; } = [];

    public int RejectedCount { get; init; }

    /// <summary>Imported records whose CVSS vector was not scored (first 100; each "id: VOUCH_CVSS_VECTOR_MALFORMED: …").</summary>
    public IReadOnlyList<string> SeverityProblems { get; init; } = [];

    /// <summary>Digest of the accepted npm records of this source (same formula as the snapshot digest).</summary>
    public required string SourceDigest { get; init; }

    public required SnapshotInfo Snapshot { get; init; }

    public string? Error { get; init; }

    public string? ErrorCode { get; init; }
}
