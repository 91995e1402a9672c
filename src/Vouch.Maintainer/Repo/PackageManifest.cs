using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Maintainer.Repo;

/// <summary>What `maintainer check` needs from one package.json.</summary>
public sealed record PackageManifest
{
    /// <summary>Path relative to the repository root ('/' separators).</summary>
    public required string Path { get; init; }

    public string? Name { get; init; }

    public bool Private { get; init; }

    /// <summary><c>publishConfig.provenance</c>: true, false, or null when absent.</summary>
    public bool? PublishConfigProvenance { get; init; }

    /// <summary>1-based line of <c>"publishConfig"</c> (0 when absent), for findings.</summary>
    public int PublishConfigLine { get; init; }

    public IReadOnlyDictionary<string, string> Scripts { get; init; } = new Dictionary<string, string>();

    /// <summary>The <c>repository</c> field (string or <c>{url}</c>), raw.</summary>
    public string? Repository { get; init; }

    /// <summary>Workspace globs (<c>workspaces</c> array or <c>workspaces.packages</c>).</summary>
    public IReadOnlyList<string> Workspaces { get; init; } = [];

    /// <summary>A package npm would publish: named and not private.</summary>
    public bool Publishable => Name is not null && !Private;

    /// <summary>Parses a package.json; null and a reason when it is not a JSON object.</summary>
    public static PackageManifest? Parse(string relativePath, string text, out string? error)
    {
        try
        {
            using var doc = JsonInput.Parse(text, MaintainerLimits.MaxJsonDepth);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "not a JSON object";
                return null;
            }

            bool? provenance = null;
            if (root.TryGetProperty("publishConfig", out var pc) && pc.ValueKind == JsonValueKind.Object && pc.TryGetProperty("provenance", out var p))
            {
                // npm reads the config value loosely: true or "true" turn provenance on.
                provenance = p.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.String => string.Equals(p.GetString(), "true", StringComparison.OrdinalIgnoreCase),
                    _ => false,
                };
            }

            var scripts = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("scripts", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                foreach (var prop in s.EnumerateObject())
                {
                    if (prop.Value.ValueKind == JsonValueKind.String)
                    {
                        scripts[prop.Name] = prop.Value.GetString()!;
                    }
                }
            }

            string? repository = null;
            if (root.TryGetProperty("repository", out var r))
            {
                repository = r.ValueKind switch
                {
                    JsonValueKind.String => r.GetString(),
                    JsonValueKind.Object when r.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String => u.GetString(),
                    _ => null,
                };
            }

            var workspaces = new List<string>();
            if (root.TryGetProperty("workspaces", out var w))
            {
                var list = w.ValueKind == JsonValueKind.Object && w.TryGetProperty("packages", out var wp) ? wp : w;
                if (list.ValueKind == JsonValueKind.Array)
                {
                    workspaces.AddRange(list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
                }
            }

            error = null;
            return new PackageManifest
            {
                Path = relativePath,
                Name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null,
                Private = root.TryGetProperty("private", out var pr) && pr.ValueKind == JsonValueKind.True,
                PublishConfigProvenance = provenance,
                PublishConfigLine = LineOf(text, "\"publishConfig\""),
                Scripts = scripts,
                Repository = repository,
                Workspaces = workspaces,
            };
        }
        catch (JsonException e)
        {
            error = $"invalid JSON ({e.Message})";
            return null;
        }
    }

    private static int LineOf(string text, string needle)
    {
        var i = text.IndexOf(needle, StringComparison.Ordinal);
        return i < 0 ? 0 : 1 + text.AsSpan(0, i).Count('\n');
    }
}
