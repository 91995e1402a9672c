namespace Vouch.Advisories;

/// <summary>
/// One OSV record, validated and reduced to what Vouch decides on: the npm packages it affects with
/// their ranges and explicit versions, severity, aliases and the withdrawn mark. Built only by
/// <see cref="OsvParser"/>.
/// </summary>
public sealed record OsvRecord
{
    public required string Id { get; init; }

    public required DateTimeOffset Modified { get; init; }

    public DateTimeOffset? Published { get; init; }

    /// <summary>When set, the record was retracted: it is kept in the index but never matches.</summary>
    public DateTimeOffset? Withdrawn { get; init; }

    public IReadOnlyList<string> Aliases { get; init; } = [];

    public string? Summary { get; init; }

    /// <summary>The record's <c>severity</c> entries (type and vector or score) as given.</summary>
    public IReadOnlyList<OsvSeverityEntry> SeverityEntries { get; init; } = [];

    /// <summary>GitHub's <c>database_specific.severity</c> (LOW, MODERATE, HIGH, CRITICAL), when present.</summary>
    public string? DatabaseSeverity { get; init; }

    /// <summary>Only the entries of the npm ecosystem; others are dropped at parse time.</summary>
    public IReadOnlyList<OsvAffected> Affected { get; init; } = [];

    /// <summary>Things in the record that are legal but suspicious (events out of order, ignored range types).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>OSV's malicious-packages ids (<c>MAL-</c>) mark malware; so do malware aliases.</summary>
    public bool IsMalware => IsMalwareId(Id) || Aliases.Any(IsMalwareId);

    public static bool IsMalwareId(string id) => id.StartsWith("MAL-", StringComparison.Ordinal);
}

public sealed record OsvSeverityEntry(string Type, string Score);

/// <summary>The ranges and explicit versions of one npm package in one record.</summary>
public sealed record OsvAffected
{
    public required string Package { get; init; }

    public IReadOnlyList<OsvRange> Ranges { get; init; } = [];

    public IReadOnlyList<Vouch.Npm.SemVersion> Versions { get; init; } = [];
}

public enum OsvRangeType
{
    Semver,
    Ecosystem,
}

public enum OsvEventKind
{
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

/// <summary>
/// One event. <see cref="Version"/> is null for <c>introduced: "0"</c> (before every version) and for
/// <c>limit: "*"</c> (after every version).
/// </summary>
public sealed record OsvEvent(OsvEventKind Kind, Vouch.Npm.SemVersion? Version);

/// <summary>A SEMVER or ECOSYSTEM range; <see cref="Events"/> are sorted by version (stable), limits kept apart.</summary>
public sealed record OsvRange
{
    public required OsvRangeType Type { get; init; }

    public required IReadOnlyList<OsvEvent> Events { get; init; }

    public IReadOnlyList<OsvEvent> Limits { get; init; } = [];
}
