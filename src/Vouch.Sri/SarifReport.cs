using System.Text.Json.Nodes;

namespace Vouch.Sri;

/// <summary>SARIF 2.1.0 for scan findings: one run, one rule per code, file/line/column regions.</summary>
public static class SarifReport
{
    private static readonly Dictionary<string, string> RuleDescriptions = new()
    {
        [SriCodes.MissingIntegrity] = "Cross-origin script or stylesheet without Subresource Integrity",
        [SriCodes.MissingCrossOrigin] = "Cross-origin resource without a crossorigin attribute",
        [SriCodes.WeakHash] = "Integrity uses an algorithm browsers ignore",
        [SriCodes.MalformedIntegrity] = "Malformed integrity metadata",
        [SriCodes.UnpinnedCdnUrl] = "npm CDN URL not pinned to an exact version",
        [SriCodes.UnpinnedGitHubRef] = "jsDelivr GitHub URL not pinned to a commit",
        [SriCodes.PerBrowserService] = "Service generates responses per browser; self-host instead",
        [SriCodes.InsecureUrl] = "Cross-origin resource over plain http",
        [SriCodes.TemplateUrlSkipped] = "URL built by a template; not checked",
    };

    public static JsonObject Build(IEnumerable<SriFinding> findings, string toolVersion, string? baseDirectory = null)
    {
        var list = findings.ToList();
        var codes = list.Select(f => f.Code).Distinct().Order(StringComparer.Ordinal).ToList();
        var rules = new JsonArray();
        foreach (var code in codes)
        {
            rules.Add(new JsonObject
            {
                ["id"] = code,
                ["shortDescription"] = new JsonObject { ["text"] = RuleDescriptions.GetValueOrDefault(code, code) },
                // No helpUri: the codes are documented in the repository's docs/sri.md, which has no public URL to point at.
                ["help"] = new JsonObject { ["text"] = $"See docs/sri.md and docs/codes.md ({code})." },
            });
        }

        var results = new JsonArray();
        foreach (var f in list)
        {
            results.Add(new JsonObject
            {
                ["ruleId"] = f.Code,
                ["ruleIndex"] = codes.IndexOf(f.Code),
                ["level"] = Level(f.Level),
                ["message"] = new JsonObject { ["text"] = f.Url is null ? f.Message : $"{f.Url}: {f.Message}" },
                ["locations"] = new JsonArray(new JsonObject
                {
                    ["physicalLocation"] = new JsonObject
                    {
                        ["artifactLocation"] = new JsonObject { ["uri"] = ArtifactUri(f.File, baseDirectory) },
                        ["region"] = new JsonObject { ["startLine"] = f.Line, ["startColumn"] = f.Column },
                    },
                }),
            });
        }

        return new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "vouch",
                        ["version"] = toolVersion,
                        ["rules"] = rules,
                    },
                },
                ["columnKind"] = "utf16CodeUnits",
                ["results"] = results,
            }),
        };
    }

    public static string Level(SriLevel level) => level switch
    {
        SriLevel.Error => "error",
        SriLevel.Warning => "warning",
        _ => "note",
    };

    /// <summary>A relative URI (forward slashes, percent-encoded) when the file is under the base directory, else a file: URI.</summary>
    private static string ArtifactUri(string file, string? baseDirectory)
    {
        var full = Path.GetFullPath(file);
        if (baseDirectory is not null)
        {
            var relative = Path.GetRelativePath(baseDirectory, full);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return string.Join('/', relative.Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
            }
        }

        return new Uri(full).AbsoluteUri;
    }
}
