using Vouch.Maintainer.Yaml;

namespace Vouch.Maintainer.Repo;

/// <summary>The files of a repository `maintainer check` reads, loaded under <see cref="MaintainerLimits"/>.</summary>
public sealed class RepositoryContents
{
    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal)
    {
        "node_modules", "bower_components", "test", "tests", "__tests__", "fixtures", "__fixtures__", "e2e", "examples", "example", "bin", "obj", "dist", "build",
    };

    public required string Root { get; init; }

    public List<YamlFile> Workflows { get; } = [];

    public YamlFile? GitLabCi { get; set; }

    public List<PackageManifest> Packages { get; } = [];

    /// <summary>The root .npmrc text, when present (it can turn provenance on or name a token).</summary>
    public string? Npmrc { get; set; }

    /// <summary>Files that could not be read: relative path and a one-line reason.</summary>
    public List<(string Path, string Reason)> Unreadable { get; } = [];

    public PackageManifest? RootPackage => Packages.FirstOrDefault(p => p.Path == "package.json");

    /// <summary>
    /// Reads .github/workflows/*.yml|yaml, .gitlab-ci.yml, the root .npmrc and package.json files (the
    /// root's, then every one below it to <see cref="MaintainerLimits.MaxPackageDepth"/> levels, which
    /// covers npm, yarn and pnpm workspaces alike). Symbolic links are not followed: the repository is
    /// untrusted and a link could point anywhere on the machine.
    /// </summary>
    public static RepositoryContents Read(string root)
    {
        var full = System.IO.Path.GetFullPath(root);
        var contents = new RepositoryContents { Root = full };
        var workflowDir = System.IO.Path.Combine(full, ".github", "workflows");
        if (Directory.Exists(workflowDir) && !IsLink(System.IO.Path.Combine(full, ".github")) && !IsLink(workflowDir))
        {
            var files = Directory.EnumerateFiles(workflowDir)
                .Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (var file in files.Take(MaintainerLimits.MaxWorkflowFiles))
            {
                contents.LoadYaml(file, y => contents.Workflows.Add(y));
            }

            if (files.Count > MaintainerLimits.MaxWorkflowFiles)
            {
                contents.Unreadable.Add((".github/workflows", $"more than {MaintainerLimits.MaxWorkflowFiles} workflow files; the rest were not read"));
            }
        }

        var gitlab = System.IO.Path.Combine(full, ".gitlab-ci.yml");
        if (File.Exists(gitlab))
        {
            contents.LoadYaml(gitlab, y => contents.GitLabCi = y);
        }

        var npmrc = System.IO.Path.Combine(full, ".npmrc");
        if (File.Exists(npmrc) && contents.ReadText(npmrc) is { } rc)
        {
            contents.Npmrc = rc;
        }

        contents.ReadPackages(full);
        return contents;
    }

    /// <summary>The relative path of a full path under the root, with '/' separators.</summary>
    public string Relative(string fullPath) => System.IO.Path.GetRelativePath(Root, fullPath).Replace('\\', '/');

    private void LoadYaml(string file, Action<YamlFile> add)
    {
        var rel = Relative(file);
        if (IsLink(file))
        {
            Unreadable.Add((rel, "a symbolic link (not followed)"));
            return;
        }

        var yaml = YamlFile.Load(file, rel, out var error);
        if (yaml is null)
        {
            Unreadable.Add((rel, error!));
            return;
        }

        add(yaml);
    }

    private string? ReadText(string file)
    {
        var rel = Relative(file);
        try
        {
            if (IsLink(file))
            {
                Unreadable.Add((rel, "a symbolic link (not followed)"));
                return null;
            }

            if (new FileInfo(file).Length > MaintainerLimits.MaxFileBytes)
            {
                Unreadable.Add((rel, $"larger than {MaintainerLimits.MaxFileBytes} bytes"));
                return null;
            }

            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Unreadable.Add((rel, e.Message));
            return null;
        }
    }

    private void ReadPackages(string root)
    {
        var queue = new Queue<(string Dir, int Depth)>();
        queue.Enqueue((root, 0));
        while (queue.Count > 0)
        {
            var (dir, depth) = queue.Dequeue();
            var file = System.IO.Path.Combine(dir, "package.json");
            if (File.Exists(file))
            {
                if (Packages.Count >= MaintainerLimits.MaxPackageJsons)
                {
                    Unreadable.Add((Relative(file), $"more than {MaintainerLimits.MaxPackageJsons} package.json files; the rest were not read"));
                    return;
                }

                if (ReadText(file) is { } text)
                {
                    var manifest = PackageManifest.Parse(Relative(file), text, out var error);
                    if (manifest is null)
                    {
                        Unreadable.Add((Relative(file), error!));
                    }
                    else
                    {
                        Packages.Add(manifest);
                    }
                }
            }

            if (depth >= MaintainerLimits.MaxPackageDepth)
            {
                continue;
            }

            IEnumerable<string> subs;
            try
            {
                subs = Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var sub in subs)
            {
                var name = System.IO.Path.GetFileName(sub);
                if (!name.StartsWith('.') && !SkippedDirectories.Contains(name) && !IsLink(sub))
                {
                    queue.Enqueue((sub, depth + 1));
                }
            }
        }
    }

    private static bool IsLink(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
