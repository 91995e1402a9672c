using System.Text.Json.Nodes;
using Vouch.Common.Sarif;

namespace Vouch.Sri;

/// <summary>SARIF 2.1.0 for scan findings: one run, one rule per code, file/line/column regions (written by <see cref="SarifLog"/>).</summary>
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
        // No helpUri: the codes are documented in the repository's docs/sri.md, which has no public URL to point at.
        var rules = list.Select(f => f.Code).Distinct(StringComparer.Ordinal)
            .Select(code => new SarifRule(code, RuleDescriptions.GetValueOrDefault(code, code), Help: $"See docs/sri.md and docs/codes.md ({code})."));
        var results = list.Select(f => new SarifResult(
            f.Code,
            ToSarif(f.Level),
            f.Url is null ? f.Message : $"{f.Url}: {f.Message}",
            new SarifLocation(SarifLog.ArtifactUri(f.File, baseDirectory), f.Line, f.Column)));
        return SarifLog.Build(toolVersion, rules, results, utf16Columns: true);
    }

    public static string Level(SriLevel level) => SarifLog.Level(ToSarif(level));

    private static SarifLevel ToSarif(SriLevel level) => level switch
    {
        SriLevel.Error => SarifLevel.Error,
        SriLevel.Warning => SarifLevel.Warning,
        _ => SarifLevel.Note,
    };
}
