using System.Text;
using System.Text.Json;
using Vouch.Npm;
using Vouch.Reviews.Records;
using Vouch.Common.Json;

namespace Vouch.Reviews.Signed;

/// <summary>What a signed review says (the predicate of <see cref="ReviewStatement.PredicateType"/>; docs/reviews.md).</summary>
public sealed record ReviewPredicate
{
    public required string Package { get; init; }

    public required string Version { get; init; }

    public required IReadOnlyList<string> Criteria { get; init; }

    /// <summary>For a delta review: the base version.</summary>
    public string? DeltaFrom { get; init; }

    /// <summary>For a delta review: the base tarball's sha512, lower-case hex.</summary>
    public string? DeltaFromSha512 { get; init; }

    public string? Notes { get; init; }

    /// <summary>Who says they reviewed: informational; the verified signer identity is what counts.</summary>
    public string? Reviewer { get; init; }

    public required DateTimeOffset ReviewedAt { get; init; }
}

/// <summary>Builds and reads the in-toto Statement v1 of a review: subject = the tarball (sha512), predicate = the review.</summary>
public static class ReviewStatement
{
    public const string StatementType = "https://in-toto.io/Statement/v1";

    public const string PredicateType = "https://vouch.dev/attestations/review/v1";

    /// <summary>The in-toto subject name: the package URL npm provenance uses (`pkg:npm/%40scope/name@version`).</summary>
    public static string SubjectName(string name, string version) => $"pkg:npm/{name.Replace("@", "%40", StringComparison.Ordinal)}@{version}";

    public static byte[] Build(ReviewPredicate predicate, byte[] tarballSha512)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        if (tarballSha512.Length != 64)
        {
            throw new ArgumentException("a sha512 digest is 64 bytes", nameof(tarballSha512));
        }

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("_type", StatementType);
            w.WriteStartArray("subject");
            w.WriteStartObject();
            w.WriteString("name", SubjectName(predicate.Package, predicate.Version));
            w.WriteStartObject("digest");
            w.WriteString("sha512", Convert.ToHexStringLower(tarballSha512));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("predicateType", PredicateType);
            w.WriteStartObject("predicate");
            w.WriteStartObject("package");
            w.WriteString("name", predicate.Package);
            w.WriteString("version", predicate.Version);
            w.WriteEndObject();
            w.WriteStartArray("criteria");
            foreach (var c in predicate.Criteria)
            {
                w.WriteStringValue(c);
            }

            w.WriteEndArray();
            if (predicate.DeltaFrom is not null)
            {
                w.WriteStartObject("delta");
                w.WriteString("from", predicate.DeltaFrom);
                if (predicate.DeltaFromSha512 is not null)
                {
                    w.WriteStartObject("digest");
                    w.WriteString("sha512", predicate.DeltaFromSha512);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            if (predicate.Notes is not null)
            {
                w.WriteString("notes", predicate.Notes);
            }

            if (predicate.Reviewer is not null)
            {
                w.WriteString("reviewer", predicate.Reviewer);
            }

            w.WriteString("reviewedAt", predicate.ReviewedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads the predicate; every bad field is listed. Null with <paramref name="problems"/> filled when invalid.</summary>
    public static ReviewPredicate? ParsePredicate(string predicateJson, List<string> problems)
    {
        JsonDocument doc;
        try
        {
            doc = JsonInput.Parse(predicateJson, 16);
        }
        catch (JsonException e)
        {
            problems.Add($"predicate is not JSON: {e.Message}");
            return null;
        }

        using (doc)
        {
            var p = doc.RootElement;
            if (p.ValueKind != JsonValueKind.Object)
            {
                problems.Add("$.predicate: expected an object");
                return null;
            }

            string? Str(JsonElement e, string name, string path, bool required)
            {
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v))
                {
                    if (v.ValueKind == JsonValueKind.String && v.GetString() is { Length: <= ReviewLimits.MaxStringLength } s)
                    {
                        return s;
                    }

                    problems.Add($"{path}.{name}: expected a string (at most {ReviewLimits.MaxStringLength} characters)");
                    return null;
                }

                if (required)
                {
                    problems.Add($"{path}.{name}: required");
                }

                return null;
            }

            var package = p.TryGetProperty("package", out var pk) ? pk : default;
            var name = Str(package, "name", "$.predicate.package", true);
            var version = Str(package, "version", "$.predicate.package", true);
            if (version is not null && SupplyChainParser.NormalizeVersion(version) != version)
            {
                problems.Add("$.predicate.package.version: not a normalised version");
            }

            var criteria = new List<string>();
            if (p.TryGetProperty("criteria", out var cs) && cs.ValueKind == JsonValueKind.Array && cs.GetArrayLength() is > 0 and <= 64)
            {
                foreach (var c in cs.EnumerateArray())
                {
                    if (c.ValueKind == JsonValueKind.String)
                    {
                        criteria.Add(c.GetString()!);
                    }
                    else
                    {
                        problems.Add("$.predicate.criteria: expected strings");
                    }
                }
            }
            else
            {
                problems.Add("$.predicate.criteria: required, an array of 1 to 64 strings");
            }

            string? from = null, fromSha = null;
            if (p.TryGetProperty("delta", out var delta))
            {
                from = Str(delta, "from", "$.predicate.delta", true);
                if (from is not null && SupplyChainParser.NormalizeVersion(from) != from)
                {
                    problems.Add("$.predicate.delta.from: not a normalised version");
                }

                if (delta.ValueKind == JsonValueKind.Object && delta.TryGetProperty("digest", out var dd))
                {
                    fromSha = Str(dd, "sha512", "$.predicate.delta.digest", true);
                    if (fromSha is not null && (fromSha.Length != 128 || !fromSha.All(char.IsAsciiHexDigit)))
                    {
                        problems.Add("$.predicate.delta.digest.sha512: expected 128 hex digits");
                    }
                }
            }

            var at = Str(p, "reviewedAt", "$.predicate", true);
            DateTimeOffset reviewedAt = default;
            if (at is not null && !DateTimeOffset.TryParse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out reviewedAt))
            {
                problems.Add("$.predicate.reviewedAt: not an RFC 3339 time");
            }

            var notes = Str(p, "notes", "$.predicate", false);
            var reviewer = Str(p, "reviewer", "$.predicate", false);
            if (problems.Count > 0 || name is null || version is null)
            {
                return null;
            }

            return new ReviewPredicate
            {
                Package = name,
                Version = version,
                Criteria = criteria,
                DeltaFrom = from,
                DeltaFromSha512 = fromSha?.ToLowerInvariant(),
                Notes = notes,
                Reviewer = reviewer,
                ReviewedAt = reviewedAt,
            };
        }
    }

    /// <summary>The sha512 bytes of an SRI integrity string, or null when it has none.</summary>
    public static byte[]? Sha512Of(string? integrity)
    {
        if (integrity is null)
        {
            return null;
        }

        try
        {
            return Integrity.Parse(integrity).Hashes.FirstOrDefault(h => h.Algorithm == IntegrityAlgorithm.Sha512)?.Digest;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
