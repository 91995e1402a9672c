using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Registry;

/// <summary>
/// The scenario's advisories as an OSV export: a zip of `&lt;id&gt;.json` records shaped like OSV's
/// per-ecosystem `all.zip` (GitHub-style vulnerability records with an `ECOSYSTEM` range, CVSS vector
/// and database severity; OpenSSF-style `MAL-` records with a `SEMVER` range or explicit versions).
/// `vouch db update --from URL` imports it, so a scenario runs with no network at all.
/// </summary>
internal static class AdvisorySnapshot
{
    public const string Path = "-/vouch/osv/all.zip";

    public static byte[]? Build(Scenario scenario, DateTimeOffset now)
    {
        if (scenario.Advisories.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var advisory in scenario.Advisories)
            {
                var entry = zip.CreateEntry(advisory.Id + ".json", CompressionLevel.Fastest);
                // A fixed entry time keeps the bytes of a scenario's snapshot stable between runs.
                entry.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var stream = entry.Open();
                stream.Write(System.Text.Encoding.UTF8.GetBytes(Record(advisory, now).ToJsonString()));
            }
        }

        return buffer.ToArray();
    }

    internal static JsonObject Record(ScenarioAdvisory advisory, DateTimeOffset now)
    {
        static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        var affected = new JsonObject
        {
            ["package"] = new JsonObject
            {
                ["ecosystem"] = "npm",
                ["name"] = advisory.Package,
                ["purl"] = "pkg:npm/" + (advisory.Package.StartsWith('@') ? "%40" + advisory.Package[1..] : advisory.Package),
            },
        };
        if (advisory.HasRange)
        {
            var events = new JsonArray { new JsonObject { ["introduced"] = advisory.Introduced ?? "0" } };
            if (advisory.Fixed is { } f)
            {
                events.Add(new JsonObject { ["fixed"] = f });
            }
            else if (advisory.LastAffected is { } l)
            {
                events.Add(new JsonObject { ["last_affected"] = l });
            }

            affected["ranges"] = new JsonArray { new JsonObject { ["type"] = advisory.IsMalware ? "SEMVER" : "ECOSYSTEM", ["events"] = events } };
        }

        if (advisory.Versions.Count > 0)
        {
            affected["versions"] = new JsonArray([.. advisory.Versions.Select(v => (JsonNode)JsonValue.Create(v))]);
        }

        var record = new JsonObject
        {
            ["schema_version"] = "1.6.0",
            ["id"] = advisory.Id,
            ["modified"] = Time(advisory.Modified.Resolve(now)),
            ["published"] = Time(advisory.Published.Resolve(now)),
            ["aliases"] = new JsonArray([.. advisory.Aliases.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["summary"] = advisory.Summary ?? (advisory.IsMalware ? $"Malicious code in {advisory.Package} (npm)" : $"Vulnerability in {advisory.Package}"),
            ["details"] = "Sandbox record (vouch sandbox): synthetic, for offline tests and demos.",
        };
        if (advisory.Cvss is { } cvss)
        {
            record["severity"] = new JsonArray { new JsonObject { ["type"] = cvss.StartsWith("CVSS:4.0/", StringComparison.Ordinal) ? "CVSS_V4" : "CVSS_V3", ["score"] = cvss } };
        }

        record["affected"] = new JsonArray { affected };
        if (advisory.Severity is { } severity)
        {
            record["database_specific"] = new JsonObject { ["severity"] = severity };
        }

        return record;
    }
}
