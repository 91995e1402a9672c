namespace Vouch.Watch.Tests;

public sealed class WatchlistTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-watchlist-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Build_WhenNamesFilesAndLockfilesAreGiven_MergesSortsAndDeduplicates()
    {
        var file = Path.Combine(_dir.FullName, "packages.txt");
        File.WriteAllText(file, "# top packages\n1 lodash\nreact,2\n  @scope/pkg   # scoped\n\nlodash\n");
        var lockfile = Path.Combine(_dir.FullName, "package-lock.json");
        File.WriteAllText(lockfile, """
            {"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
              "":{"name":"app","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}},
              "node_modules/left-pad":{"version":"1.3.0","resolved":"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz","integrity":"sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEDPJ8bF5fOHtFyfwW7AKBnG1omgfTg8UPmGpcNhqq3Bt+Q=="},
              "node_modules/local":{"version":"1.0.0","resolved":"file:../local"}
            }}
            """);

        var (packages, problems) = Watchlist.Build(["react", "zod"], [file], [lockfile]);

        Assert.Empty(problems);
        Assert.Equal(["@scope/pkg", "left-pad", "lodash", "react", "zod"], packages);
    }

    [Fact]
    public void Build_WhenEntriesAreBad_ListsEveryProblem()
    {
        var file = Path.Combine(_dir.FullName, "bad.txt");
        File.WriteAllText(file, "ok-name\nNot Valid!\n../../etc/passwd\n");

        var (_, problems) = Watchlist.Build(["UPPER space"], [file, Path.Combine(_dir.FullName, "missing.txt")], [Path.Combine(_dir.FullName, "nowhere")]);

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("bad.txt:2", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("bad.txt:3", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("no such file", StringComparison.Ordinal));
    }
}
