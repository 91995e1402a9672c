using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vouch.Survey;

/// <summary>
/// The row formats: one JSON object per line (fields always present, in a fixed order, null when
/// unknown) and one CSV record per package (RFC 4180 quoting). docs/survey.md documents both.
/// </summary>
public static class SurveyFormats
{
    public const int SchemaVersion = 1;

    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "index", "rank", "name", "status", "code", "latest_version", "tier", "repository_host", "repository",
        "provenance_repository", "repository_matches_provenance", "publisher", "publisher_evidence", "ci_provider",
        "published_by", "first_provenance_version", "first_provenance_time", "versions_surveyed", "versions_total",
        "downgrades", "downgrade_versions",
    ];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string CsvHeader => string.Join(',', CsvColumns);

    /// <summary>One JSON Lines record (without the newline).</summary>
    public static byte[] Json(SurveyRow r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("schema", SchemaVersion);
            w.WriteNumber("index", r.Index);
            Number(w, "rank", r.Rank);
            w.WriteString("name", r.Name);
            w.WriteString("status", r.Status);
            w.WriteString("code", r.Code);
            w.WriteString("error", r.Error);
            w.WriteString("latestVersion", r.LatestVersion);
            w.WriteString("tier", r.LatestTier is { } t ? EvidenceTiers.Name(t) : null);
            w.WriteString("repositoryUrl", r.RepositoryUrl);
            w.WriteString("repository", r.Repository);
            w.WriteString("repositoryHost", r.RepositoryHost);
            w.WriteString("provenanceRepository", r.ProvenanceRepository);
            if (r.RepositoryMatchesProvenance is { } m)
            {
                w.WriteBoolean("repositoryMatchesProvenance", m);
            }
            else
            {
                w.WriteNull("repositoryMatchesProvenance");
            }

            w.WriteString("publisher", r.Publisher);
            w.WriteString("publisherEvidence", r.PublisherEvidence);
            w.WriteString("ciProvider", r.CiProvider);
            w.WriteString("publishedBy", r.PublishedBy);
            w.WriteString("firstProvenanceVersion", r.FirstProvenanceVersion);
            Time(w, "firstProvenanceTime", r.FirstProvenanceTime);
            w.WriteNumber("versionsTotal", r.VersionCount);
            w.WriteStartArray("versions");
            foreach (var v in r.Versions)
            {
                w.WriteStartObject();
                w.WriteString("version", v.Version);
                w.WriteString("line", v.Line);
                Time(w, "published", v.Published);
                w.WriteString("tier", EvidenceTiers.Name(v.Tier));
                w.WriteBoolean("provenanceAdvertised", v.ProvenanceAdvertised);
                w.WriteStartArray("problems");
                foreach (var p in v.Problems)
                {
                    w.WriteStringValue(p);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("downgrades");
            foreach (var d in r.Downgrades)
            {
                w.WriteStartObject();
                w.WriteString("version", d.Version);
                w.WriteString("line", d.Line);
                w.WriteString("code", d.Code);
                w.WriteBoolean("verified", d.Verified);
                Time(w, "published", d.Published);
                w.WriteString("message", d.Message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>One CSV record (without the line break).</summary>
    public static string Csv(SurveyRow r)
    {
        var cells = new string?[]
        {
            r.Index.ToString(CultureInfo.InvariantCulture), r.Rank?.ToString(CultureInfo.InvariantCulture), r.Name, r.Status, r.Code,
            r.LatestVersion, r.LatestTier is { } t ? EvidenceTiers.Name(t) : null, r.RepositoryHost, r.Repository,
            r.ProvenanceRepository, r.RepositoryMatchesProvenance is { } m ? (m ? "true" : "false") : null, r.Publisher, r.PublisherEvidence, r.CiProvider,
            r.PublishedBy, r.FirstProvenanceVersion, r.FirstProvenanceTime is { } f ? Iso(f) : null, r.Versions.Count.ToString(CultureInfo.InvariantCulture),
            r.VersionCount.ToString(CultureInfo.InvariantCulture), r.Downgrades.Count.ToString(CultureInfo.InvariantCulture),
            string.Join(' ', r.Downgrades.Select(d => d.Version).Distinct(StringComparer.Ordinal)),
        };
        // The name is a validated npm name (scoped ones start with '@'): quoted, never prefixed.
        return string.Join(',', cells.Select((c, i) => Quote(c, guardFormula: i != 2)));
    }

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // RFC 4180, and a leading =, +, - or @ is quoted behind an apostrophe so a spreadsheet never runs
    // a formula out of a registry-controlled field (publisher names, URLs, messages).
    internal static string Quote(string? value, bool guardFormula = true)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (guardFormula && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        if (value.IndexOfAny([',', '"', '\n', '\r']) < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 2).Append('"');
        sb.Append(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        return sb.Append('"').ToString();
    }

    private static void Number(Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Time(Utf8JsonWriter w, string name, DateTimeOffset? value) => w.WriteString(name, value is { } t ? Iso(t) : null);
}
