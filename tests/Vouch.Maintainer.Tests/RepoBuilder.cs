namespace Vouch.Maintainer.Tests;

/// <summary>A temporary repository with given files, for tampered variants of fixtures.</summary>
internal static class RepoBuilder
{
    public static string Create(params (string Path, string Content)[] files)
    {
        var root = Path.Combine(Path.GetTempPath(), "vouch-maint-" + Guid.NewGuid().ToString("N"));
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>A fixture row's repository with its workflow text changed by <paramref name="tamper"/> (asserting the change happened).</summary>
    public static string Tampered(string repo, string file, Func<string, string> tamper)
    {
        var root = WorkflowFixtures.Materialize(WorkflowFixtures.Row(repo, file));
        var path = file == ".gitlab-ci.yml" ? Path.Combine(root, file) : Path.Combine(root, ".github", "workflows", file);
        var before = File.ReadAllText(path);
        var after = tamper(before);
        Assert.NotEqual(before, after);
        File.WriteAllText(path, after);
        return root;
    }

    public static string Replace(this string text, string from, string to, int expectedCount)
    {
        var count = (text.Length - text.Replace(from, string.Empty, StringComparison.Ordinal).Length) / from.Length;
        Assert.True(count == expectedCount, $"expected {expectedCount} of '{from}', found {count}");
        return text.Replace(from, to, StringComparison.Ordinal);
    }
}
