using System.Globalization;

namespace Vouch.Advisories;

/// <summary>Qualitative severity, ordered. GitHub's MODERATE is <see cref="Medium"/>.</summary>
public enum SeverityLevel
{
    Unknown = 0,
    None = 1,
    Low = 2,
    Medium = 3,
    High = 4,
    Critical = 5,
}

/// <summary>Where a severity came from: a CVSS vector Vouch scored, or the database's own label.</summary>
public enum SeveritySource
{
    None,
    CvssV3,
    Database,
}

/// <summary>The severity Vouch uses for one record.</summary>
public sealed record AdvisorySeverity(SeverityLevel Level, double? Score, SeveritySource Source, string? Vector)
{
    public static readonly AdvisorySeverity Unknown = new(SeverityLevel.Unknown, null, SeveritySource.None, null);

    public string Label => Level switch
    {
        SeverityLevel.None => "none",
        SeverityLevel.Low => "low",
        SeverityLevel.Medium => "medium",
        SeverityLevel.High => "high",
        SeverityLevel.Critical => "critical",
        _ => "unknown",
    };

    public static bool TryParseLevel(string? text, out SeverityLevel level)
    {
        level = text?.Trim().ToUpperInvariant() switch
        {
            "NONE" => SeverityLevel.None,
            "LOW" => SeverityLevel.Low,
            "MODERATE" or "MEDIUM" => SeverityLevel.Medium,
            "HIGH" => SeverityLevel.High,
            "CRITICAL" => SeverityLevel.Critical,
            _ => SeverityLevel.Unknown,
        };
        return level != SeverityLevel.Unknown;
    }

    /// <summary>CVSS v3 qualitative rating of a base score.</summary>
    public static SeverityLevel LevelOfScore(double score) => score switch
    {
        <= 0 => SeverityLevel.None,
        < 4.0 => SeverityLevel.Low,
        < 7.0 => SeverityLevel.Medium,
        < 9.0 => SeverityLevel.High,
        _ => SeverityLevel.Critical,
    };

    /// <summary>
    /// The record's severity: the base score of its CVSS v3 vector when it has one that parses, else
    /// GitHub's database severity, else unknown. CVSS v4 vectors are not scored (their score needs the
    /// specification's macro-vector table); a record with only a v4 vector falls back to the database
    /// label, which GitHub derives from the same assessment.
    /// </summary>
    public static AdvisorySeverity Of(OsvRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        foreach (var entry in record.SeverityEntries)
        {
            if (entry.Type == "CVSS_V3" && Cvss3.TryScore(entry.Score, out var score))
            {
                return new(LevelOfScore(score), score, SeveritySource.CvssV3, entry.Score);
            }
        }

        return TryParseLevel(record.DatabaseSeverity, out var level)
            ? new(level, null, SeveritySource.Database, null)
            : Unknown;
    }

    public override string ToString() =>
        Score is { } s ? $"{Label} ({s.ToString("0.0", CultureInfo.InvariantCulture)})" : Label;
}
