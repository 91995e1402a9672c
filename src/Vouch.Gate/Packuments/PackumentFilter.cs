using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Gate.Decisions;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Gate.Packuments;

/// <summary>Why one version is not offered.</summary>
public sealed record WithheldVersion(string Version, IReadOnlyList<ReleaseFinding> Findings)
{
    public ReleaseFinding First => Findings[0];
}

/// <summary>
/// One upstream packument after policy: the versions offered, the ones withheld and why, and both
/// client forms (full and abbreviated) serialized once, so serving them is a copy of bytes.
/// </summary>
internal sealed class FilteredPackument
{
    public required string Name { get; init; }

    /// <summary>The upstream document as parsed (all versions, upstream URLs): what verification runs on.</summary>
    public required Packument Upstream { get; init; }

    public required IReadOnlyDictionary<string, WithheldVersion> Withheld { get; init; }

    /// <summary>Tarball file name (last URL segment) to version, for every upstream version.</summary>
    public required IReadOnlyDictionary<string, string> TarballFiles { get; init; }

    public required byte[] Full { get; init; }

    public required string FullETag { get; init; }

    public required byte[] Abbreviated { get; init; }

    public required string AbbreviatedETag { get; init; }

    /// <summary>The <c>X-Vouch-Withheld</c> header (empty when nothing is withheld).</summary>
    public required string WithheldHeader { get; init; }

    /// <summary>Versions a rule in <c>mode: report</c> would withhold (a dry run: they are offered), with its findings.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ReleaseFinding>> Reported { get; init; } = new Dictionary<string, IReadOnlyList<ReleaseFinding>>();

    /// <summary>The <c>X-Vouch-Report</c> header: <c>version=rule</c> pairs of the dry run (empty when none).</summary>
    public string ReportHeader { get; init; } = "";

    /// <summary>
    /// What this entry costs the in-memory cache: the upstream bytes, the parsed packument (counted
    /// as twice its bytes) and both served forms. No JSON tree is kept: per-version documents and
    /// stale renderings are cut from <see cref="Full"/> when asked for.
    /// </summary>
    public long CostBytes(long rawLength) => (3 * rawLength) + Full.Length + Abbreviated.Length;

    /// <summary>One version's document from the filtered full form, with the version a tag points at; null when absent.</summary>
    public (string Version, byte[] Document)? VersionDocument(string versionOrTag)
    {
        using var doc = JsonInput.Parse(Full, Limits.MaxJsonDepth);
        var root = doc.RootElement;
        var version = versionOrTag;
        if (root.TryGetProperty("dist-tags", out var tags) && tags.ValueKind == JsonValueKind.Object
            && tags.TryGetProperty(versionOrTag, out var tagged) && tagged.ValueKind == JsonValueKind.String)
        {
            version = tagged.GetString()!;
        }

        if (Withheld.ContainsKey(version))
        {
            return (version, []);
        }

        if (root.TryGetProperty("versions", out var versions) && versions.ValueKind == JsonValueKind.Object
            && versions.TryGetProperty(version, out var v) && v.ValueKind == JsonValueKind.Object)
        {
            return (version, System.Text.Encoding.UTF8.GetBytes(v.GetRawText()));
        }

        return null;
    }
}

/// <summary>Turns an upstream packument into what the gate serves.</summary>
internal static class PackumentFilter
{
    private static readonly string[] AbbreviatedFields =
    [
        "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies", "bundleDependencies",
        "bundledDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies", "bin", "directories", "dist",
        "engines", "cpu", "os", "libc", "funding", "license", "_hasShrinkwrap", "hasInstallScript",
    ];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="raw">The upstream body (already parsed once into <paramref name="packument"/>, so known to be a valid packument).</param>
    /// <param name="gate">The gate's public URL (ends with '/').</param>
    /// <param name="quarantines">Issue 16: versions `vouch watch` flagged, withheld whatever the policy decides (already net of grants).</param>
    public static FilteredPackument Filter(byte[] raw, Packument packument, IReleaseDecider decider, IReadOnlyList<GrantedApproval> approvals, Uri gate, IReadOnlyDictionary<string, ReleaseFinding>? quarantines = null)
    {
        var root = JsonInput.ParseNode(raw, Limits.MaxJsonDepth)!.AsObject();
        var withheld = new Dictionary<string, WithheldVersion>(StringComparer.Ordinal);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var allowed = new List<PackageVersion>();
        var reported = new Dictionary<string, IReadOnlyList<ReleaseFinding>>(StringComparer.Ordinal);
        foreach (var (key, version) in packument.Versions)
        {
            var file = Path.GetFileName(version.Dist.Tarball.AbsolutePath);
            files.TryAdd(file, key);
            var relevant = approvals.Where(a => a.Name == packument.Name && a.Version == key).ToList();
            var decision = decider.Prefilter(packument, version, relevant);
            if (quarantines is not null && quarantines.TryGetValue(key, out var quarantine))
            {
                decision = decision with { Blocking = [quarantine, .. decision.Blocking] };
            }

            if (decision.Reported.Count > 0)
            {
                reported[key] = decision.Reported;
            }

            if (decision.Allowed)
            {
                allowed.Add(version);
            }
            else
            {
                withheld[key] = new WithheldVersion(key, decision.Blocking);
            }
        }

        var versions = root["versions"] as JsonObject ?? [];
        foreach (var key in versions.Select(p => p.Key).ToList())
        {
            if (!packument.Versions.ContainsKey(key) || withheld.ContainsKey(key))
            {
                // Withheld, or a version the parser rejected (invalid semver): never offered.
                versions.Remove(key);
                continue;
            }

            if (versions[key] is JsonObject doc && doc["dist"] is JsonObject dist)
            {
                var v = packument.Versions[key];
                dist["tarball"] = Upstream.UpstreamUrls.GateTarball(gate, packument.Name, Path.GetFileName(v.Dist.Tarball.AbsolutePath)).ToString();
                if (dist["attestations"] is JsonObject att)
                {
                    att["url"] = Upstream.UpstreamUrls.GateAttestations(gate, packument.Name, key).ToString();
                }
            }
        }

        if (root["time"] is JsonObject time)
        {
            foreach (var key in withheld.Keys)
            {
                time.Remove(key);
            }
        }

        root["dist-tags"] = RepointTags(packument, allowed);
        root["_vouch"] = Explanation(decider.PolicyVersion, withheld, stale: false);
        if (reported.Count > 0)
        {
            var report = new JsonObject();
            foreach (var (v, list) in reported.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                report[v] = new JsonArray(list.Select(f => (JsonNode)new JsonObject { ["rule"] = f.Rule, ["code"] = f.Code, ["reason"] = f.Message, ["mode"] = "report" }).ToArray());
            }

            root["_vouch"]!["report"] = report;
        }

        if (withheld.Count > 0)
        {
            root["policyRestrictions"] = PolicyRestrictions(packument.Name, withheld);
        }
        else
        {
            root.Remove("policyRestrictions");
        }

        var abbreviated = Abbreviate(root);

        var full = Serialize(root);
        var abbrev = Serialize(abbreviated);
        return new FilteredPackument
        {
            Name = packument.Name,
            Upstream = packument,
            Withheld = withheld,
            TarballFiles = files,
            Full = full,
            FullETag = ETag(full),
            Abbreviated = abbrev,
            AbbreviatedETag = ETag(abbrev),
            WithheldHeader = WithheldHeader(withheld),
            Reported = reported,
            ReportHeader = string.Join(", ", reported.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}={string.Join('+', r.Value.Select(f => f.Rule).Distinct())}")),
        };
    }

    /// <summary>The same document marked stale (the upstream failed and this is the last good copy).</summary>
    public static byte[] RenderStale(byte[] document, string policyVersion, IReadOnlyDictionary<string, WithheldVersion> withheld, DateTimeOffset fetchedAt)
    {
        var copy = JsonInput.ParseNode(document, Limits.MaxJsonDepth)!.AsObject();
        var explanation = Explanation(policyVersion, withheld, stale: true);
        explanation["fetchedAt"] = fetchedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        copy["_vouch"] = explanation;
        return Serialize(copy);
    }

    /// <summary>A per-version document served from a stale packument: marked as the packument is.</summary>
    public static byte[] MarkStale(byte[] versionDocument, DateTimeOffset fetchedAt)
    {
        var copy = JsonInput.ParseNode(versionDocument, Limits.MaxJsonDepth)!.AsObject();
        copy["_vouch"] = new JsonObject { ["gate"] = "vouch", ["stale"] = true, ["fetchedAt"] = fetchedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture) };
        return Serialize(copy);
    }

    public static byte[] Serialize(JsonNode node)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            node.WriteTo(w);
        }

        return ms.ToArray();
    }

    public static string ETag(byte[] body) => "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"";

    /// <summary>Longest <c>X-Vouch-Withheld</c> value: Node's HTTP parser refuses responses whose headers pass 16 KiB.</summary>
    public const int MaxWithheldHeaderChars = 8 * 1024;

    /// <summary>
    /// The <c>X-Vouch-Withheld</c> header value: <c>version=rule</c> pairs, <c>version=rule:ID+ID</c> when
    /// OSV records are the reason. Cut at <see cref="MaxWithheldHeaderChars"/> with a count of the rest
    /// (the <c>_vouch</c> field always lists every version).
    /// </summary>
    public static string WithheldHeader(IReadOnlyDictionary<string, WithheldVersion> withheld)
    {
        var text = new System.Text.StringBuilder();
        var ordered = withheld.Values.OrderBy(w => w.Version, StringComparer.Ordinal).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            var w = ordered[i];
            var pair = w.First.Records.Count == 0 ? $"{w.Version}={w.First.Rule}" : $"{w.Version}={w.First.Rule}:{string.Join('+', w.First.Records)}";
            if (text.Length + pair.Length + 2 > MaxWithheldHeaderChars)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $", {ordered.Count - i} more (see _vouch)");
                break;
            }

            text.Append(text.Length == 0 ? "" : ", ").Append(pair);
        }

        return text.ToString();
    }

    private static JsonObject FindingJson(ReleaseFinding f)
    {
        var o = new JsonObject { ["rule"] = f.Rule, ["code"] = f.Code, ["reason"] = f.Message };
        if (f.Records.Count > 0)
        {
            o["records"] = new JsonArray(f.Records.Select(r => (JsonNode)JsonValue.Create(r)).ToArray());
        }

        if (f.AdvisorySnapshot is { } snapshot)
        {
            o["advisorySnapshot"] = snapshot;
        }

        return o;
    }

    private static JsonObject Explanation(string policyVersion, IReadOnlyDictionary<string, WithheldVersion> withheld, bool stale)
    {
        var list = new JsonObject();
        foreach (var w in withheld.Values.OrderBy(w => w.Version, StringComparer.Ordinal))
        {
            var entry = FindingJson(w.First);
            entry["findings"] = new JsonArray(w.Findings.Select(f => (JsonNode)FindingJson(f)).ToArray());
            list[w.Version] = entry;
        }

        return new JsonObject { ["gate"] = "vouch", ["policy"] = policyVersion, ["stale"] = stale, ["withheld"] = list };
    }

    /// <summary>
    /// npm's own form for versions a registry refuses by policy: asked for one of them exactly, npm
    /// fails with E403 and prints <c>message</c>, so users see the rule without reading JSON. Only
    /// name and version are given: a withheld version's tarball URL is not advertised.
    /// </summary>
    private static JsonObject PolicyRestrictions(string name, IReadOnlyDictionary<string, WithheldVersion> withheld)
    {
        var versions = new JsonObject();
        var lines = new List<string>();
        foreach (var w in withheld.Values.OrderBy(w => w.Version, StringComparer.Ordinal))
        {
            versions[w.Version] = new JsonObject { ["name"] = name, ["version"] = w.Version };
            lines.Add($"{name}@{w.Version} is withheld by the vouch gate: rule {w.First.Rule} ({w.First.Code}): {w.First.Message}. To ask for an exception: vouch approve request {name}@{w.Version} --rule {w.First.Rule}");
        }

        return new JsonObject { ["message"] = string.Join("\n", lines), ["versions"] = versions };
    }

    private static JsonObject RepointTags(Packument packument, List<PackageVersion> allowed)
    {
        var tags = new JsonObject();
        foreach (var (tag, target) in packument.DistTags)
        {
            if (allowed.Any(a => a.Version.ToString() == target))
            {
                tags[tag] = target;
                continue;
            }

            // The tagged version is withheld: point at the highest allowed version below it, stable for stable tags.
            var targetVersion = SemVersion.ParseOrNull(target);
            var best = allowed
                .Where(a => targetVersion is null || a.Version.CompareTo(targetVersion) <= 0)
                .Where(a => targetVersion is null || targetVersion.IsPrerelease || !a.Version.IsPrerelease)
                .MaxBy(a => a.Version);
            if (best is not null)
            {
                tags[tag] = best.Version.ToString();
            }
        }

        if (tags["latest"] is null && allowed.Where(a => !a.Version.IsPrerelease).MaxBy(a => a.Version) is { } stable)
        {
            tags["latest"] = stable.Version.ToString();
        }

        return tags;
    }

    private static JsonObject Abbreviate(JsonObject full)
    {
        var versions = new JsonObject();
        if (full["versions"] is JsonObject all)
        {
            foreach (var (key, node) in all)
            {
                if (node is not JsonObject doc)
                {
                    continue;
                }

                var slim = new JsonObject();
                foreach (var field in AbbreviatedFields)
                {
                    if (doc[field] is { } value)
                    {
                        slim[field] = value.DeepClone();
                    }
                }

                if (slim["hasInstallScript"] is null && doc["scripts"] is JsonObject scripts
                    && (scripts.ContainsKey("preinstall") || scripts.ContainsKey("install") || scripts.ContainsKey("postinstall")))
                {
                    slim["hasInstallScript"] = true;
                }

                versions[key] = slim;
            }
        }

        var result = new JsonObject { ["name"] = full["name"]?.DeepClone() };
        if (full["time"] is JsonObject time && time["modified"] is { } modified)
        {
            result["modified"] = modified.DeepClone();
        }

        result["dist-tags"] = full["dist-tags"]?.DeepClone();
        result["versions"] = versions;
        result["_vouch"] = full["_vouch"]?.DeepClone();
        if (full["policyRestrictions"] is { } restrictions)
        {
            result["policyRestrictions"] = restrictions.DeepClone();
        }

        return result;
    }
}
