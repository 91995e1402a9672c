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

    /// <summary>Stored as an integer in the index: appended so older databases keep their meaning.</summary>
    CvssV4,
}

/// <summary>The severity Vouch uses for one record.</summary>
public sealed record AdvisorySeverity(SeverityLevel Level, double? Score, SeveritySource Source, string? Vector)
{
    /// <summary>
    /// Why a CVSS vector of the record was not scored (<see cref="AdvisoryCodes.CvssVectorMalformed"/>:
    /// the type, the vector and the reason); the severity then comes from the next source.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

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
    /// The record's severity: the score of its CVSS v3.x vector when it has a well-formed one, else of its
    /// CVSS v4.0 vector (<see cref="Cvss4"/>), else GitHub's database severity, else unknown. v3 comes first
    /// because GitHub records carry both and the threshold's meaning should not move when a v4 vector is
    /// added beside an existing v3 one. A malformed vector is never scored; it is listed in
    /// <see cref="Problems"/> with <see cref="AdvisoryCodes.CvssVectorMalformed"/>.
    /// </summary>
    public static AdvisorySeverity Of(OsvRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var problems = new List<string>();
        AdvisorySeverity? v4 = null;
        AdvisorySeverity? v3 = null;
        foreach (var entry in record.SeverityEntries)
        {
            if (entry.Type == "CVSS_V3" && v3 is null)
            {
                if (Cvss3.TryScore(entry.Score, out var score))
                {
                    v3 = new(LevelOfScore(score), score, SeveritySource.CvssV3, entry.Score);
                }
                else
                {
                    problems.Add($"{AdvisoryCodes.CvssVectorMalformed}: CVSS_V3 '{Shorten(entry.Score)}' is not a CVSS v3.0/v3.1 vector");
                }
            }
            else if (entry.Type == "CVSS_V4" && v4 is null)
            {
                if (Cvss4.TryScore(entry.Score, out var score, out var error))
                {
                    v4 = new(LevelOfScore(score), score, SeveritySource.CvssV4, entry.Score);
                }
                else
                {
                    problems.Add($"{AdvisoryCodes.CvssVectorMalformed}: CVSS_V4 '{Shorten(entry.Score)}': {error}");
                }
            }
        }

        var chosen = v3 ?? v4 ?? (TryParseLevel(record.DatabaseSeverity, out var level)
            ? new(level, null, SeveritySource.Database, null)
            : Unknown);
        return problems.Count == 0 ? chosen : chosen with { Problems = problems };
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 120 ? text : text[..120] + "…";

    public override string ToString() =>
        Score is { } s ? $"{Label} ({s.ToString("0.0", CultureInfo.InvariantCulture)})" : Label;
}
