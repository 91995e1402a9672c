using System.Globalization;
using System.Text;
using Vouch.Reviews.Signed;
using Vouch.Common;

namespace Vouch.Reviews.Records;

/// <summary>
/// Adds entries to supply-chain files by appending TOML text, so comments and layout the organisation
/// wrote stay as they are (a serializer round trip would drop them). Every new file content is parsed
/// again before it replaces the old one, atomically: a write never leaves a broken or half-written file.
/// </summary>
public static class SupplyChainWriter
{
    public static void AppendAudit(string directory, string package, string version, string? deltaFrom, IReadOnlyList<string> criteria, string who, string? notes)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"\n[[audits.{Quote(package)}]]\n");
        sb.Append(CultureInfo.InvariantCulture, $"who = {Quote(who)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"criteria = [{string.Join(", ", criteria.Select(Quote))}]\n");
        sb.Append(deltaFrom is null ? $"version = {Quote(version)}\n" : $"delta = {Quote($"{deltaFrom} -> {version}")}\n");
        if (notes is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"notes = {Quote(notes)}\n");
        }

        Append(Path.Combine(directory, SupplyChain.AuditsFileName), sb.ToString(), "# Vouch audits (docs/reviews.md)\n", (text, path) => SupplyChainParser.Parse(text, path));
    }

    public static void AddImport(string directory, string name, Uri url, byte[] content, IReadOnlyDictionary<string, string> criteriaMap)
    {
        if (!SupplyChain.IsValidImportName(name))
        {
            throw new ArgumentException($"import name '{name}' must match [a-z0-9][a-z0-9_.-]*", nameof(name));
        }

        var config = Path.Combine(directory, SupplyChain.ConfigFileName);
        var existing = File.Exists(config) ? SupplyChainParser.ParseFile(config) : null;
        var sha = SupplyChain.Sha256Hex(content);
        var previous = existing?.Imports.FirstOrDefault(i => i.Name == name);
        AtomicFile.Write(SupplyChain.ImportPath(directory, name), content);
        if (previous is not null)
        {
            // Re-pinning: replace the sha256 line in place (or add one after the header).
            var lines = File.ReadAllLines(config).ToList();
            var shaLine = lines.FindIndex(previous.Location.Line, l => l.TrimStart().StartsWith("sha256", StringComparison.Ordinal));
            var nextHeader = lines.FindIndex(previous.Location.Line, l => l.TrimStart().StartsWith('['));
            if (shaLine >= 0 && (nextHeader < 0 || shaLine < nextHeader))
            {
                lines[shaLine] = $"sha256 = \"{sha}\"";
            }
            else
            {
                lines.Insert(previous.Location.Line, $"sha256 = \"{sha}\"");
            }

            Replace(config, string.Join('\n', lines) + "\n", (text, path) => SupplyChainParser.Parse(text, path));
            return;
        }

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"\n[imports.{Quote(name)}]\nurl = {Quote(url.AbsoluteUri)}\nsha256 = \"{sha}\"\n");
        if (criteriaMap.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"criteria-map = {{ {string.Join(", ", criteriaMap.Select(kv => $"{Quote(kv.Key)} = {Quote(kv.Value)}"))} }}\n");
        }

        Append(config, sb.ToString(), "# Vouch supply-chain configuration (docs/reviews.md)\n", (text, path) => SupplyChainParser.Parse(text, path));
    }

    public static void AddReviewer(string directory, string id, string? identity, string? issuer, string? publicKeyPem, TrustLevel? level)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"\n[[reviewer]]\nid = {Quote(id)}\n");
        if (identity is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"identity = {Quote(identity)}\nissuer = {Quote(issuer ?? "")}\n");
        }

        if (publicKeyPem is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"public-key = {Quote(publicKeyPem)}\n");
        }

        if (level is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"level = {Quote(LevelName(level.Value))}\n");
        }

        Append(Path.Combine(directory, TrustGraph.FileName), sb.ToString(), "# Vouch reviewers and trust (docs/reviews.md)\n", (text, path) => TrustGraph.Parse(text, path));
    }

    public static void AddTrust(string directory, string? from, string to, TrustLevel level)
    {
        var text = $"\n[[trust]]\n{(from is null ? "" : $"from = {Quote(from)}\n")}to = {Quote(to)}\nlevel = {Quote(LevelName(level))}\n";
        Append(Path.Combine(directory, TrustGraph.FileName), text, "# Vouch reviewers and trust (docs/reviews.md)\n", (text, path) => TrustGraph.Parse(text, path));
    }

    public static string LevelName(TrustLevel level) => level == TrustLevel.Distrust ? "distrust" : level.ToString().ToLowerInvariant();

    /// <summary>A TOML basic string: quotes, backslashes and control characters escaped.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    private static void Append(string path, string text, string header, Func<string, string, object> validate)
    {
        var before = File.Exists(path) ? File.ReadAllText(path) : header;
        Replace(path, before + text, validate);
    }

    private static void Replace(string path, string content, Func<string, string, object> validate)
    {
        // Parse the new content first: a file that would not load is never written.
        validate(content, path);
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(content));
    }
}
