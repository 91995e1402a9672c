using System.Globalization;
using System.Text.Json;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Advisories;

/// <summary>The outcome of parsing one record: the record, or every problem found (JSON paths).</summary>
public sealed record OsvParseResult(OsvRecord? Record, IReadOnlyList<string> Errors, string? Id)
{
    public bool IsOk => Record is not null;
}

/// <summary>
/// Parses OSV JSON (schema 1.x) for the npm ecosystem. Structure is validated first and every bad
/// field is listed; only then are typed values built. Entries for other ecosystems are dropped; a
/// record with no npm entry parses with an empty <see cref="OsvRecord.Affected"/>.
/// </summary>
public static class OsvParser
{
    private const string NpmEcosystem = "npm";
    private const int MaxIdLength = 128;
    private const int MaxNameLength = 214;
    private const int MaxSummaryLength = 1024;

    internal static JsonDocumentOptions JsonOptions => JsonInput.Options(AdvisoryLimits.MaxJsonDepth);

    public static OsvParseResult Parse(ReadOnlyMemory<byte> json)
    {
        if (json.Length > AdvisoryLimits.MaxRecordBytes)
        {
            return new(null, [$"$: record is {json.Length} bytes, over the {AdvisoryLimits.MaxRecordBytes}-byte cap"], null);
        }

        JsonDocument doc;
        try
        {
            doc = JsonInput.Parse(json, AdvisoryLimits.MaxJsonDepth);
        }
        catch (JsonException e)
        {
            return new(null, [$"$: not valid JSON ({e.Message})"], null);
        }

        using (doc)
        {
            return Parse(doc.RootElement);
        }
    }

    private static OsvParseResult Parse(JsonElement root)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new(null, ["$: not an object"], null);
        }

        var id = RequiredString(root, "id", "$.id", errors);
        if (id is not null && !IsValidId(id))
        {
            errors.Add("$.id: must be 1-128 characters of A-Z a-z 0-9 . _ - :");
            id = null;
        }

        var modified = Timestamp(root, "modified", "$.modified", required: true, errors);
        var published = Timestamp(root, "published", "$.published", required: false, errors);
        var withdrawn = Timestamp(root, "withdrawn", "$.withdrawn", required: false, errors);
        var aliases = StringArray(root, "aliases", "$.aliases", AdvisoryLimits.MaxAliases, errors);
        foreach (var alias in aliases.Where(a => !IsValidId(a)))
        {
            errors.Add($"$.aliases: '{Shorten(alias)}' is not a valid id");
        }

        var summary = OptionalString(root, "summary", "$.summary", errors);
        if (summary is { Length: > MaxSummaryLength })
        {
            summary = summary[..MaxSummaryLength];
        }

        var severities = new List<OsvSeverityEntry>();
        if (Member(root, "severity") is { } sev)
        {
            if (sev.ValueKind != JsonValueKind.Array)
            {
                errors.Add("$.severity: not an array");
            }
            else
            {
                var i = 0;
                foreach (var s in sev.EnumerateArray())
                {
                    var path = $"$.severity[{i++}]";
                    var type = RequiredString(s, "type", path + ".type", errors);
                    var score = RequiredString(s, "score", path + ".score", errors);
                    if (type is not null && score is not null)
                    {
                        severities.Add(new(type, score));
                    }
                }
            }
        }

        string? databaseSeverity = null;
        if (Member(root, "database_specific") is { ValueKind: JsonValueKind.Object } dbs
            && Member(dbs, "severity") is { ValueKind: JsonValueKind.String } dbSev)
        {
            databaseSeverity = dbSev.GetString()!.ToUpperInvariant();
        }

        var affected = new List<OsvAffected>();
        if (Member(root, "affected") is { } aff)
        {
            if (aff.ValueKind != JsonValueKind.Array)
            {
                errors.Add("$.affected: not an array");
            }
            else if (aff.GetArrayLength() > AdvisoryLimits.MaxAffected)
            {
                errors.Add($"$.affected: more than {AdvisoryLimits.MaxAffected} entries");
            }
            else
            {
                var i = 0;
                foreach (var a in aff.EnumerateArray())
                {
                    if (ParseAffected(a, $"$.affected[{i++}]", errors, warnings) is { } entry)
                    {
                        affected.Add(entry);
                    }
                }
            }
        }

        if (errors.Count > 0 || id is null || modified is null)
        {
            return new(null, errors, id);
        }

        return new(new OsvRecord
        {
            Id = id,
            Modified = modified.Value,
            Published = published,
            Withdrawn = withdrawn,
            Aliases = aliases.Distinct(StringComparer.Ordinal).Where(a => a != id).ToList(),
            Summary = summary,
            SeverityEntries = severities,
            DatabaseSeverity = databaseSeverity,
            Affected = affected,
            Warnings = warnings,
        }, [], id);
    }

    private static OsvAffected? ParseAffected(JsonElement a, string path, List<string> errors, List<string> warnings)
    {
        if (a.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path + ": not an object");
            return null;
        }

        if (Member(a, "package") is not { ValueKind: JsonValueKind.Object } package)
        {
            // OSV allows affected entries without a package (e.g. GIT-only); nothing for npm there.
            return null;
        }

        var ecosystem = RequiredString(package, "ecosystem", path + ".package.ecosystem", errors);
        var name = RequiredString(package, "name", path + ".package.name", errors);
        if (ecosystem != NpmEcosystem || name is null)
        {
            return null;
        }

        if (name.Length is 0 or > MaxNameLength)
        {
            errors.Add($"{path}.package.name: must be 1-{MaxNameLength} characters");
            return null;
        }

        var errorCount = errors.Count;
        var ranges = new List<OsvRange>();
        if (Member(a, "ranges") is { } rs)
        {
            if (rs.ValueKind != JsonValueKind.Array || rs.GetArrayLength() > AdvisoryLimits.MaxRangesOrEvents)
            {
                errors.Add($"{path}.ranges: not an array of at most {AdvisoryLimits.MaxRangesOrEvents} ranges");
            }
            else
            {
                var i = 0;
                foreach (var r in rs.EnumerateArray())
                {
                    if (ParseRange(r, $"{path}.ranges[{i++}]", errors, warnings) is { } range)
                    {
                        ranges.Add(range);
                    }
                }
            }
        }

        var versions = new List<SemVersion>();
        var rawVersions = StringArray(a, "versions", path + ".versions", AdvisoryLimits.MaxVersions, errors);
        foreach (var v in rawVersions)
        {
            if (SemVersion.TryParse(v, out var parsed))
            {
                versions.Add(parsed);
            }
            else
            {
                // An npm version that is not semver can never be installed; it cannot match anything.
                warnings.Add($"{path}.versions: '{Shorten(v)}' is not a semantic version and is ignored");
            }
        }

        return errors.Count > errorCount ? null : new OsvAffected { Package = name, Ranges = ranges, Versions = versions };
    }

    private static OsvRange? ParseRange(JsonElement r, string path, List<string> errors, List<string> warnings)
    {
        var type = RequiredString(r, "type", path + ".type", errors);
        OsvRangeType rangeType;
        switch (type)
        {
            case "SEMVER":
                rangeType = OsvRangeType.Semver;
                break;
            case "ECOSYSTEM":
                rangeType = OsvRangeType.Ecosystem;
                break;
            case null:
                return null;
            default:
                // GIT ranges name commits, not npm versions: nothing to evaluate against a version.
                warnings.Add($"{path}.type: {Shorten(type)} ranges are not evaluated for npm versions");
                return null;
        }

        if (Member(r, "events") is not { ValueKind: JsonValueKind.Array } evs || evs.GetArrayLength() is 0 || evs.GetArrayLength() > AdvisoryLimits.MaxRangesOrEvents)
        {
            errors.Add($"{path}.events: must be an array of 1-{AdvisoryLimits.MaxRangesOrEvents} events");
            return null;
        }

        var events = new List<OsvEvent>();
        var limits = new List<OsvEvent>();
        var i = 0;
        foreach (var e in evs.EnumerateArray())
        {
            var epath = $"{path}.events[{i++}]";
            if (e.ValueKind != JsonValueKind.Object)
            {
                errors.Add(epath + ": not an object");
                continue;
            }

            var members = e.EnumerateObject().ToList();
            if (members.Count != 1)
            {
                errors.Add(epath + ": must have exactly one of introduced, fixed, last_affected, limit");
                continue;
            }

            var member = members[0];
            OsvEventKind kind;
            switch (member.Name)
            {
                case "introduced": kind = OsvEventKind.Introduced; break;
                case "fixed": kind = OsvEventKind.Fixed; break;
                case "last_affected": kind = OsvEventKind.LastAffected; break;
                case "limit": kind = OsvEventKind.Limit; break;
                default:
                    errors.Add($"{epath}: unknown event '{Shorten(member.Name)}'");
                    continue;
            }

            if (member.Value.ValueKind != JsonValueKind.String)
            {
                errors.Add($"{epath}.{member.Name}: not a string");
                continue;
            }

            var text = member.Value.GetString()!;
            if (kind == OsvEventKind.Introduced && text == "0")
            {
                events.Add(new(kind, null));
                continue;
            }

            if (kind == OsvEventKind.Limit && text == "*")
            {
                limits.Add(new(kind, null));
                continue;
            }

            if (text.Length == 0 && kind is OsvEventKind.Fixed or OsvEventKind.LastAffected)
            {
                // Older GitHub exports wrote an open range as {"fixed": ""}: no end.
                warnings.Add($"{epath}.{member.Name}: empty version read as no end event");
                continue;
            }

            if (!SemVersion.TryParse(text, out var version))
            {
                errors.Add($"{epath}.{member.Name}: '{Shorten(text)}' is not a semantic version");
                continue;
            }

            (kind == OsvEventKind.Limit ? limits : events).Add(new(kind, version));
        }

        if (!events.Any(e => e.Kind == OsvEventKind.Introduced))
        {
            errors.Add($"{path}.events: no introduced event");
            return null;
        }

        if (events.Any(e => e.Kind == OsvEventKind.Fixed) && events.Any(e => e.Kind == OsvEventKind.LastAffected))
        {
            // The spec forbids both in one range; the sorted walk still gives a defined answer.
            warnings.Add($"{path}.events: both fixed and last_affected in one range");
        }

        if (!IsAscending(events))
        {
            warnings.Add($"{path}.events: not in ascending version order (evaluated sorted, as OSV specifies)");
        }

        // OSV: evaluate events sorted by version; OrderBy is stable, so ties keep the record's order.
        var sorted = events.OrderBy(e => e.Version, NullFirst.Instance).ToList();
        return new OsvRange { Type = rangeType, Events = sorted, Limits = limits };
    }

    private static bool IsAscending(List<OsvEvent> events)
    {
        for (var i = 1; i < events.Count; i++)
        {
            if (NullFirst.Instance.Compare(events[i - 1].Version, events[i].Version) > 0)
            {
                return false;
            }
        }

        return true;
    }

    internal static bool IsValidId(string id) =>
        id.Length is > 0 and <= MaxIdLength && id[0] != '.' && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    private static JsonElement? Member(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static string? RequiredString(JsonElement obj, string name, string path, List<string> errors)
    {
        if (Member(obj, name) is not { } v)
        {
            errors.Add(path + ": missing");
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(path + ": not a string");
            return null;
        }

        return v.GetString();
    }

    private static string? OptionalString(JsonElement obj, string name, string path, List<string> errors)
    {
        if (Member(obj, name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(path + ": not a string");
            return null;
        }

        return v.GetString();
    }

    private static List<string> StringArray(JsonElement obj, string name, string path, int max, List<string> errors)
    {
        var result = new List<string>();
        if (Member(obj, name) is not { } v)
        {
            return result;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            errors.Add(path + ": not an array");
            return result;
        }

        if (v.GetArrayLength() > max)
        {
            errors.Add($"{path}: more than {max} entries");
            return result;
        }

        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                errors.Add($"{path}[{i}]: not a string");
            }
            else
            {
                result.Add(item.GetString()!);
            }

            i++;
        }

        return result;
    }

    private static DateTimeOffset? Timestamp(JsonElement obj, string name, string path, bool required, List<string> errors)
    {
        var text = required ? RequiredString(obj, name, path, errors) : OptionalString(obj, name, path, errors);
        if (text is null)
        {
            return null;
        }

        // RFC 3339 with an explicit offset (OSV requires UTC "Z"; an offset is accepted, a bare local time is not).
        if (text.Length < 20 || !(text.EndsWith('Z') || text[^6] is '+' or '-')
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            errors.Add($"{path}: '{Shorten(text)}' is not an RFC 3339 timestamp");
            return null;
        }

        return value;
    }

    internal static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";

    /// <summary>Orders versions with null (introduced "0") before every version.</summary>
    internal sealed class NullFirst : IComparer<SemVersion?>
    {
        public static readonly NullFirst Instance = new();

        public int Compare(SemVersion? x, SemVersion? y) =>
            x is null ? (y is null ? 0 : -1) : y is null ? 1 : x.CompareTo(y);
    }
}
