using System.Text;
using Vouch.Maintainer.Analysis;

namespace Vouch.Maintainer.Output;

/// <summary>The copy-paste outputs of `maintainer check`: npm trust commands, a consumer policy, a README badge.</summary>
public static class Snippets
{
    /// <summary>
    /// One <c>npm trust github|gitlab</c> command per published package and publishing workflow file:
    /// the trusted-publisher configuration that lets the workflow publish without a token.
    /// </summary>
    public static IReadOnlyList<string> TrustCommands(MaintainerReport report)
    {
        var commands = new List<string>();
        var packages = report.Packages.Select(p => p.Name!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var files = report.Jobs.GroupBy(j => (j.File, j.Platform)).ToList();
        foreach (var group in files)
        {
            var environment = group.Select(j => j.Environment).FirstOrDefault(e => e is not null && !e.Contains("${{", StringComparison.Ordinal));
            foreach (var package in packages)
            {
                var sb = new StringBuilder();
                if (group.Key.Platform == "gitlab")
                {
                    sb.Append($"npm trust gitlab {Quote(package)} --file {Quote(Path.GetFileName(group.Key.File))}");
                    if (report.Repository is { Host: "gitlab.com" } repo)
                    {
                        sb.Append($" --project {Quote(repo.Path)}");
                    }
                }
                else
                {
                    sb.Append($"npm trust github {Quote(package)} --file {Quote(Path.GetFileName(group.Key.File))}");
                    if (report.Repository is { Host: "github.com" } repo)
                    {
                        sb.Append($" --repository {Quote(repo.Path)}");
                    }
                }

                if (environment is not null)
                {
                    sb.Append($" --environment {Quote(environment)}");
                }

                commands.Add(sb.ToString());
            }
        }

        return commands;
    }

    /// <summary>A vouch policy fragment pinning the published packages to this repository and its publishing workflows.</summary>
    public static string Policy(MaintainerReport report)
    {
        var packages = report.Packages.Select(p => p.Name!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (packages.Count == 0)
        {
            // No published package.json was found: a placeholder the reader must replace.
            packages.Add("your-package");
        }

        var workflows = report.Jobs.Where(j => j.Platform == "github").Select(j => j.File).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var gitlab = report.Jobs.Any(j => j.Platform == "gitlab");
        var sb = new StringBuilder();
        sb.Append("# vouch policy: packages of ").Append(report.Repository?.Normalized ?? "this repository").Append(" must come from its publishing workflow\n");
        sb.Append("version: 1\nrules:\n  provenance:\n    severity: error\n    packages: [").Append(string.Join(", ", packages.Select(YamlQuote))).Append("]\n");
        sb.Append("  source:\n    severity: error\n    allowed:\n      - packages: [").Append(string.Join(", ", packages.Select(YamlQuote))).Append("]\n");
        sb.Append("        repositories: [").Append(YamlQuote(report.Repository?.Normalized ?? "github.com/OWNER/REPO")).Append("]\n");
        if (workflows.Count > 0)
        {
            sb.Append("        workflows: [").Append(string.Join(", ", workflows.Select(YamlQuote))).Append("]\n");
        }

        if (gitlab && workflows.Count == 0)
        {
            sb.Append("        workflows: [\".gitlab-ci.yml\"]\n");
        }

        sb.Append("        hosted-runners-only: true\n");
        return sb.ToString();
    }

    /// <summary>A shields.io badge (static, no lookup) stating how the repository publishes, linking the first package on npmjs.com.</summary>
    public static string Badge(MaintainerReport report)
    {
        var weakest = report.Jobs.Count == 0 ? (ProvenanceMode?)null : report.Jobs.Min(j => j.Provenance);
        var (label, color) = weakest switch
        {
            ProvenanceMode.TrustedPublishing => ("trusted publishing", "brightgreen"),
            ProvenanceMode.Flag or ProvenanceMode.PublishConfig => ("provenance", "green"),
            ProvenanceMode.None => ("none", "red"),
            _ => ("not published from CI", "lightgrey"),
        };
        var package = report.Packages.Select(p => p.Name).FirstOrDefault();
        var link = package is null ? "https://docs.npmjs.com/generating-provenance-statements" : $"https://www.npmjs.com/package/{package}";
        return $"[![npm provenance: {label}](https://img.shields.io/badge/npm%20provenance-{Uri.EscapeDataString(label).Replace("-", "--", StringComparison.Ordinal)}-{color})]({link})";
    }

    private static string Quote(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || c is '@' or '/' or '.' or '-' or '_') ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string YamlQuote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
