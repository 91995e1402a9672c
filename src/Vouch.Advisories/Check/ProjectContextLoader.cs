using System.Text.Json;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Common.Json;

namespace Vouch.Advisories.Check;

public static class ProjectContextLoader
{
    /// <summary>Reads a project's lockfile (any format Vouch reads) and package.json's dependency names.</summary>
    public static ProjectContext Load(string directory)
    {
        var installed = new Dictionary<string, IReadOnlyList<SemVersion>>(StringComparer.Ordinal);
        if (Directory.Exists(directory) && LockfileReader.Find(directory) is { } lockPath)
        {
            Lockfile lockfile;
            try
            {
                lockfile = LockfileReader.Read(lockPath);
            }
            catch (LockfileFormatException e)
            {
                throw new AdvisoryException(CheckCodes.ProjectUnreadable, $"{lockPath}: {e.Message}");
            }

            foreach (var g in lockfile.Packages.Where(p => p.Source == LockfileSourceKind.Registry).GroupBy(p => p.Name, StringComparer.Ordinal))
            {
                installed[g.Key] = g.Select(p => SemVersion.ParseOrNull(p.Version)).OfType<SemVersion>().ToList();
            }
        }

        var direct = new List<string>();
        var manifest = Path.Combine(directory, "package.json");
        if (File.Exists(manifest))
        {
            try
            {
                using var doc = JsonInput.Parse(File.ReadAllBytes(manifest), AdvisoryLimits.MaxJsonDepth);
                foreach (var field in new[] { "dependencies", "devDependencies", "optionalDependencies", "peerDependencies" })
                {
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(field, out var deps) && deps.ValueKind == JsonValueKind.Object)
                    {
                        direct.AddRange(deps.EnumerateObject().Select(p => p.Name));
                    }
                }
            }
            catch (JsonException e)
            {
                throw new AdvisoryException(CheckCodes.ProjectUnreadable, $"{manifest}: not valid JSON ({e.Message})");
            }
        }

        return new ProjectContext { Installed = installed, DirectDependencies = direct.Distinct(StringComparer.Ordinal).ToList() };
    }
}
