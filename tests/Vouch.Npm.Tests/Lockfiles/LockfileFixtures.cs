using Vouch.Npm.Lockfiles;

namespace Vouch.Npm.Tests.Lockfiles;

/// <summary>The lockfiles the real clients wrote for Fixtures/project (see Fixtures/regenerate.sh).</summary>
internal static class LockfileFixtures
{
    private static readonly Lazy<string> RootPath = new(Locate);

    public static string Root => RootPath.Value;

    /// <summary>(fixture folder, lockfile name, format) for every client generation.</summary>
    public static readonly (string Dir, string File, LockfileFormat Format)[] All =
    [
        ("npm-v3", "package-lock.json", LockfileFormat.NpmV3),
        ("npm-v2", "package-lock.json", LockfileFormat.NpmV2),
        ("npm-v1", "package-lock.json", LockfileFormat.NpmV1),
        ("pnpm-v9", "pnpm-lock.yaml", LockfileFormat.Pnpm),
        ("pnpm-v6", "pnpm-lock.yaml", LockfileFormat.Pnpm),
        ("pnpm-v5.4", "pnpm-lock.yaml", LockfileFormat.Pnpm),
        ("yarn-classic", "yarn.lock", LockfileFormat.YarnClassic),
        ("yarn-berry", "yarn.lock", LockfileFormat.YarnBerry),
        ("bun", "bun.lock", LockfileFormat.Bun),
    ];

    public static TheoryData<string> Dirs()
    {
        var data = new TheoryData<string>();
        foreach (var f in All)
        {
            data.Add(f.Dir);
        }

        return data;
    }

    public static string PathOf(string dir) => Path.Combine(Root, dir, All.Single(f => f.Dir == dir).File);

    public static string Text(string dir) => File.ReadAllText(PathOf(dir));

    public static Lockfile Read(string dir) => LockfileReader.Read(PathOf(dir));

    // The fixtures live beside the sources (tests run on the machine that built them).
    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("VOUCH_LOCKFILE_FIXTURES") is { Length: > 0 } env && Directory.Exists(env))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Vouch.Npm.Tests", "Lockfiles", "Fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            candidate = Path.Combine(dir.FullName, "Lockfiles", "Fixtures");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Vouch.Npm.Tests.csproj")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Vouch.Npm.Tests/Lockfiles/Fixtures not found above " + AppContext.BaseDirectory);
    }
}
