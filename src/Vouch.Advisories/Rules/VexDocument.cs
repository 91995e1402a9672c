using System.Globalization;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Advisories;

public enum VexStatus
{
    NotAffected,
    Fixed,
    Affected,
    UnderInvestigation,
}

/// <summary>One statement: these vulnerability names, for these npm packages, have this status.</summary>
public sealed record VexStatement
{
    public required IReadOnlyList<string> Vulnerabilities { get; init; }

    public required IReadOnlyList<NpmPurl> Products { get; init; }

    public required VexStatus Status { get; init; }

    public string? Justification { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>Where it came from, for reports: <c>file#index</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Statuses that mean "this advisory does not apply here".</summary>
    public bool Suppresses => Status is VexStatus.NotAffected or VexStatus.Fixed;
}

public sealed record VexParseResult(IReadOnlyList<VexStatement> Statements, IReadOnlyList<string> Errors)
{
    public bool IsOk => Errors.Count == 0;

    /// <summary>The code a caller reports for a document that does not parse.</summary>
    public string? Code => IsOk ? null : AdvisoryCodes.SuppressionMalformed;
}

/// <summary>
/// Reads OpenVEX (v0.2, <c>@context</c> https://openvex.dev/ns…) and CycloneDX VEX (a BOM with
/// <c>vulnerabilities[].analysis</c>) documents into <see cref="VexStatement"/>s for npm packages.
/// Structure is validated first; every bad field is listed. Products that are not npm purls are
/// skipped (they cannot name an npm dependency). For OpenVEX both <c>products</c> and their
/// <c>subcomponents</c> count: a project states "my app is not affected by X in dependency Y".
/// </summary>
public static class VexDocument
{
    public static VexParseResult Parse(ReadOnlyMemory<byte> json, string source)
    {
        if (json.Length > AdvisoryLimits.MaxVexBytes)
        {
            return new([], [$"{source}: over the {AdvisoryLimits.MaxVexBytes}-byte cap"]);
        }

        try
        {
            using var doc = JsonInput.Parse(json, AdvisoryLimits.MaxJsonDepth);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new([], [$"{source}: $: not an object"]);
            }

            if (root.TryGetProperty("@context", out var ctx) && ctx.ValueKind == JsonValueKind.String && ctx.GetString()!.StartsWith("https://openvex.dev/ns", StringComparison.Ordinal))
            {
                return OpenVex(root, source);
            }

            if (root.TryGetProperty("bomFormat", out var bf) && bf.ValueKind == JsonValueKind.String && bf.GetString() == "CycloneDX")
            {
                return CycloneDx(root, source);
            }

            return new([], [$"{source}: neither an OpenVEX document (@context https://openvex.dev/ns) nor a CycloneDX BOM (bomFormat CycloneDX)"]);
        }
        catch (JsonException e)
        {
            return new([], [$"{source}: not valid JSON ({e.Message})"]);
        }
    }

    private static VexParseResult OpenVex(JsonElement root, string source)
    {
        var errors = new List<string>();
        var statements = new List<VexStatement>();
        var docTime = Time(root, "timestamp", "$.timestamp", source, errors);
        if (!root.TryGetProperty("statements", out var sts) || sts.ValueKind != JsonValueKind.Array)
        {
            return new([], [$"{source}: $.statements: missing or not an array"]);
        }

        if (sts.GetArrayLength() > AdvisoryLimits.MaxVexStatements)
        {
            return new([], [$"{source}: $.statements: more than {AdvisoryLimits.MaxVexStatements}"]);
        }

        var i = 0;
        foreach (var st in sts.EnumerateArray())
        {
            var path = $"$.statements[{i}]";
            var at = $"{source}#{i++}";
            if (st.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{source}: {path}: not an object");
                continue;
            }

            var names = new List<string>();
            if (st.TryGetProperty("vulnerability", out var vuln) && vuln.ValueKind == JsonValueKind.Object)
            {
                AddString(vuln, "name", names);
                AddString(vuln, "@id", names);
                if (vuln.TryGetProperty("aliases", out var al) && al.ValueKind == JsonValueKind.Array)
                {
                    names.AddRange(al.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!));
                }
            }

            if (names.Count == 0)
            {
                errors.Add($"{source}: {path}.vulnerability.name: missing");
            }

            var products = new List<NpmPurl>();
            if (!st.TryGetProperty("products", out var ps) || ps.ValueKind != JsonValueKind.Array)
            {
                errors.Add($"{source}: {path}.products: missing or not an array");
            }
            else
            {
                foreach (var p in ps.EnumerateArray())
                {
                    CollectOpenVexProduct(p, products);
                }
            }

            var status = String(st, "status") switch
            {
                "not_affected" => VexStatus.NotAffected,
                "fixed" => VexStatus.Fixed,
                "affected" => VexStatus.Affected,
                "under_investigation" => VexStatus.UnderInvestigation,
                _ => (VexStatus?)null,
            };
            if (status is null)
            {
                errors.Add($"{source}: {path}.status: must be not_affected, affected, fixed or under_investigation");
                continue;
            }

            var justification = String(st, "justification");
            if (status == VexStatus.NotAffected && justification is null && String(st, "impact_statement") is null)
            {
                // OpenVEX requires one of them; a bare "not affected" is an unexplained suppression.
                errors.Add($"{source}: {path}: not_affected needs a justification or an impact_statement");
                continue;
            }

            var time = Time(st, "timestamp", path + ".timestamp", source, errors) ?? docTime;
            statements.Add(new VexStatement { Vulnerabilities = names, Products = products, Status = status.Value, Justification = justification, Timestamp = time, Source = at });
        }

        return new(errors.Count == 0 ? statements : [], errors);
    }

    private static void CollectOpenVexProduct(JsonElement p, List<NpmPurl> into)
    {
        if (p.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        AddPurl(String(p, "@id"), into);
        if (p.TryGetProperty("identifiers", out var ids) && ids.ValueKind == JsonValueKind.Object)
        {
            AddPurl(String(ids, "purl"), into);
        }

        if (p.TryGetProperty("subcomponents", out var subs) && subs.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in subs.EnumerateArray())
            {
                CollectOpenVexProduct(s, into);
            }
        }
    }

    private static VexParseResult CycloneDx(JsonElement root, string source)
    {
        var errors = new List<string>();
        var statements = new List<VexStatement>();
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("components", out var comps) && comps.ValueKind == JsonValueKind.Array)
        {
            CollectComponents(comps, refs, 0);
        }

        if (!root.TryGetProperty("vulnerabilities", out var vulns) || vulns.ValueKind != JsonValueKind.Array)
        {
            return new([], [$"{source}: $.vulnerabilities: missing or not an array (not a VEX BOM)"]);
        }

        if (vulns.GetArrayLength() > AdvisoryLimits.MaxVexStatements)
        {
            return new([], [$"{source}: $.vulnerabilities: more than {AdvisoryLimits.MaxVexStatements}"]);
        }

        var i = 0;
        foreach (var v in vulns.EnumerateArray())
        {
            var path = $"$.vulnerabilities[{i}]";
            var at = $"{source}#{i++}";
            var names = new List<string>();
            AddString(v, "id", names);
            if (v.TryGetProperty("references", out var rs) && rs.ValueKind == JsonValueKind.Array)
            {
                foreach (var r in rs.EnumerateArray())
                {
                    AddString(r, "id", names);
                }
            }

            if (names.Count == 0)
            {
                errors.Add($"{source}: {path}.id: missing");
            }

            if (!v.TryGetProperty("analysis", out var analysis) || analysis.ValueKind != JsonValueKind.Object)
            {
                // A vulnerability without analysis states nothing about exploitability: not a VEX statement.
                continue;
            }

            var status = String(analysis, "state") switch
            {
                "not_affected" or "false_positive" => VexStatus.NotAffected,
                "resolved" or "resolved_with_pedigree" => VexStatus.Fixed,
                "exploitable" => VexStatus.Affected,
                "in_triage" => VexStatus.UnderInvestigation,
                _ => (VexStatus?)null,
            };
            if (status is null)
            {
                errors.Add($"{source}: {path}.analysis.state: must be one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected");
                continue;
            }

            var justification = String(analysis, "justification");
            if (status == VexStatus.NotAffected && justification is null && String(analysis, "detail") is null)
            {
                errors.Add($"{source}: {path}.analysis: not_affected/false_positive needs a justification or a detail");
                continue;
            }

            var products = new List<NpmPurl>();
            if (v.TryGetProperty("affects", out var affects) && affects.ValueKind == JsonValueKind.Array)
            {
                foreach (var a in affects.EnumerateArray())
                {
                    if (String(a, "ref") is { } r)
                    {
                        AddPurl(refs.GetValueOrDefault(r) ?? r, products);
                    }
                }
            }

            if (products.Count == 0)
            {
                errors.Add($"{source}: {path}.affects: names no npm component (a bom-ref with a purl, or a purl)");
                continue;
            }

            var time = Time(analysis, "lastUpdated", path + ".analysis.lastUpdated", source, errors) ?? Time(analysis, "firstIssued", path + ".analysis.firstIssued", source, errors);
            statements.Add(new VexStatement { Vulnerabilities = names, Products = products, Status = status.Value, Justification = justification, Timestamp = time, Source = at });
        }

        return new(errors.Count == 0 ? statements : [], errors);
    }

    private static void CollectComponents(JsonElement comps, Dictionary<string, string> refs, int depth)
    {
        if (depth > 16)
        {
            return;
        }

        foreach (var c in comps.EnumerateArray())
        {
            if (String(c, "bom-ref") is { } r && String(c, "purl") is { } purl)
            {
                refs.TryAdd(r, purl);
            }

            if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("components", out var nested) && nested.ValueKind == JsonValueKind.Array)
            {
                CollectComponents(nested, refs, depth + 1);
            }
        }
    }

    private static void AddPurl(string? text, List<NpmPurl> into)
    {
        if (NpmPurl.Parse(text) is { } purl)
        {
            into.Add(purl);
        }
    }

    private static void AddString(JsonElement obj, string name, List<string> into)
    {
        if (String(obj, name) is { Length: > 0 } s)
        {
            into.Add(s);
        }
    }

    private static string? String(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? Time(JsonElement obj, string name, string path, string source, List<string> errors)
    {
        if (String(obj, name) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }

        errors.Add($"{source}: {path}: '{OsvParser.Shorten(text)}' is not a timestamp");
        return null;
    }
}
