using Vouch.Npm.Lockfiles;
using Vouch.Npm.Tests.Infrastructure;

namespace Vouch.Npm.Tests.Lockfiles;

public sealed class LockfileReaderTests
{
    private static HashSet<string> RegistrySet(Lockfile lockfile) =>
        lockfile.Packages.Where(p => p.Source == LockfileSourceKind.Registry && !p.Bundled)
            .Select(p => $"{p.Name}@{p.Version}").ToHashSet(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(LockfileFixtures.Dirs), MemberType = typeof(LockfileFixtures))]
    public void Read_WhenRealClientLockfile_YieldsTheSameRegistryPackagesAsNpm(string dir)
    {
        var expected = RegistrySet(LockfileFixtures.Read("npm-v3"));
        var lockfile = LockfileFixtures.Read(dir);

        Assert.Equal(LockfileFixtures.All.Single(f => f.Dir == dir).Format, lockfile.Format);
        Assert.Equal(expected.Order(StringComparer.Ordinal), RegistrySet(lockfile).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Read_WhenNpmV3_HasTheProjectsShape()
    {
        var set = RegistrySet(LockfileFixtures.Read("npm-v3"));

        // Two copies of ms, is-number and lru-cache: nesting, an alias and a workspace dependency.
        Assert.Contains("ms@2.1.2", set);
        Assert.Contains("ms@2.1.3", set);
        Assert.Contains("is-number@6.0.0", set);
        Assert.Contains("is-number@7.0.0", set);
        Assert.Contains("lru-cache@6.0.0", set);
        Assert.Contains("lru-cache@7.18.3", set);
        Assert.Contains("@sindresorhus/is@4.6.0", set);
        Assert.Equal(34, set.Count);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("npm-v2")]
    [InlineData("npm-v1")]
    [InlineData("yarn-classic")]
    [InlineData("yarn-berry")]
    [InlineData("bun")]
    public void Read_WhenAliasedDependency_NamesTheRealPackageAndKeepsTheAlias(string dir)
    {
        var lockfile = LockfileFixtures.Read(dir);

        var alias = Assert.Single(lockfile.Packages, p => p.Alias == "ms-latest");
        Assert.Equal("ms", alias.Name);
        Assert.Equal("2.1.3", alias.Version);
        Assert.Equal(LockfileSourceKind.Registry, alias.Source);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("npm-v2")]
    [InlineData("npm-v1")]
    [InlineData("pnpm-v9")]
    [InlineData("pnpm-v6")]
    [InlineData("pnpm-v5.4")]
    public void Read_WhenDevAndOptionalDependencies_FlagsThem(string dir)
    {
        var lockfile = LockfileFixtures.Read(dir);

        Assert.True(lockfile.Packages.Single(p => p.Name == "rimraf").Dev);
        Assert.True(lockfile.Packages.Single(p => p.Name == "is-odd").Optional);
        Assert.True(lockfile.Packages.Single(p => p.Name == "is-number" && p.Version == "6.0.0").Optional);
        Assert.False(lockfile.Packages.Single(p => p.Name == "chalk").Dev);
        Assert.False(lockfile.Packages.Single(p => p.Name == "chalk").Optional);
        // glob is needed by rimraf (dev) and by the project (prod): not dev.
        Assert.False(lockfile.Packages.Single(p => p.Name == "glob").Dev);
    }

    [Theory]
    [MemberData(nameof(LockfileFixtures.Dirs), MemberType = typeof(LockfileFixtures))]
    public void Read_WhenAnyFormat_LinePointsAtTheEntry(string dir)
    {
        var lines = File.ReadAllLines(LockfileFixtures.PathOf(dir));
        var lockfile = LockfileFixtures.Read(dir);

        Assert.NotEmpty(lockfile.Packages);
        foreach (var p in lockfile.Packages.Where(p => p.Source == LockfileSourceKind.Registry))
        {
            Assert.InRange(p.Line, 1, lines.Length);
            var baseName = p.Name[(p.Name.IndexOf('/') + 1)..];
            Assert.Contains(p.Alias ?? baseName, lines[p.Line - 1], StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(LockfileFixtures.Dirs), MemberType = typeof(LockfileFixtures))]
    public void Read_WhenRegistryEntry_CarriesIntegrityOrChecksum(string dir)
    {
        foreach (var p in LockfileFixtures.Read(dir).Packages.Where(p => p.Source == LockfileSourceKind.Registry))
        {
            if (dir == "yarn-berry")
            {
                Assert.Null(p.Integrity);
                Assert.StartsWith("10c0/", p.Checksum, StringComparison.Ordinal);
            }
            else
            {
                Assert.StartsWith("sha512-", p.Integrity, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("npm-v3", "node_modules/is-odd/node_modules/is-number")]
    [InlineData("npm-v2", "node_modules/is-odd/node_modules/is-number")]
    [InlineData("npm-v1", "node_modules/is-odd/node_modules/is-number")]
    [InlineData("bun", "is-odd/is-number")]
    public void Read_WhenNestedCopy_KeepsItsInstallPath(string dir, string key)
    {
        var p = Assert.Single(LockfileFixtures.Read(dir).Packages, p => p.Key == key);

        Assert.Equal("is-number", p.Name);
        Assert.Equal("6.0.0", p.Version);
    }

    [Theory]
    [InlineData("npm-v3", "@fixture/util")]
    [InlineData("npm-v2", "@fixture/util")]
    [InlineData("yarn-berry", "@fixture/util")]
    [InlineData("bun", "@fixture/util")]
    [InlineData("pnpm-v9", "packages/util")]
    public void Read_WhenWorkspace_ListsItAsWorkspaceNotLink(string dir, string name)
    {
        var lockfile = LockfileFixtures.Read(dir);

        var ws = Assert.Single(lockfile.Packages, p => p.Name == name);
        Assert.Equal(LockfileSourceKind.Workspace, ws.Source);
        Assert.DoesNotContain(lockfile.Packages, p => p.Source == LockfileSourceKind.Link);
    }

    [Fact]
    public void Read_WhenNpmV3_RecordsInstallScriptsAsFalseAndRootBundleAsFetched()
    {
        var lockfile = LockfileFixtures.Read("npm-v3");

        Assert.All(lockfile.Packages.Where(p => p.Source == LockfileSourceKind.Registry), p => Assert.False(p.HasInstallScript));
        // The root's own bundleDependencies are installed from the registry, not shipped in a parent.
        Assert.False(lockfile.Packages.Single(p => p.Name == "kleur").Bundled);
    }

    [Fact]
    public void Read_WhenPnpmCatalogs_ResolvesCatalogVersions()
    {
        var lockfile = LockfileReader.Read(Path.Combine(LockfileFixtures.Root, "pnpm-catalog", "pnpm-lock.yaml"));

        var set = RegistrySet(lockfile);
        Assert.Contains("debug@4.3.4", set);
        Assert.Contains("chalk@4.1.2", set);
        Assert.Contains("ms@2.1.3", set);
        Assert.Equal("9.0", lockfile.FormatVersion);
    }

    [Fact]
    public void Parse_WhenNpmV3BundledInsideADependency_MarksItBundled()
    {
        const string json = """
            {
              "lockfileVersion": 3,
              "packages": {
                "": { "name": "x" },
                "node_modules/parent": { "version": "1.0.0", "resolved": "https://registry.npmjs.org/parent/-/parent-1.0.0.tgz", "integrity": "sha512-AAAA" },
                "node_modules/parent/node_modules/child": { "version": "2.0.0", "inBundle": true }
              }
            }
            """;

        var lockfile = LockfileReader.Parse(json, "package-lock.json");

        Assert.True(lockfile.Packages.Single(p => p.Name == "child").Bundled);
        Assert.False(lockfile.Packages.Single(p => p.Name == "parent").Bundled);
    }

    [Fact]
    public void Parse_WhenNpmV1BundledDependency_MarksItsChildrenBundled()
    {
        const string json = """
            {
              "lockfileVersion": 1,
              "dependencies": {
                "parent": {
                  "version": "1.0.0",
                  "dependencies": { "child": { "version": "2.0.0", "dependencies": { "grandchild": { "version": "3.0.0" } } } },
                  "bundled": true
                },
                "gitdep": { "version": "git+ssh://git@github.com/a/b.git#0123456789abcdef0123456789abcdef01234567" }
              }
            }
            """;

        var lockfile = LockfileReader.Parse(json, "package-lock.json");

        Assert.True(lockfile.Packages.Single(p => p.Name == "grandchild").Bundled);
        Assert.True(lockfile.Packages.Single(p => p.Name == "child").Bundled);
        Assert.Equal(LockfileSourceKind.Git, lockfile.Packages.Single(p => p.Name == "gitdep").Source);
        Assert.Equal("node_modules/parent/node_modules/child/node_modules/grandchild", lockfile.Packages.Single(p => p.Name == "grandchild").Key);
    }

    [Fact]
    public void Find_WhenSeveralLockfiles_PicksByOrderAndReadNotesTheOthers()
    {
        using var dir = new TempDir();
        File.Copy(LockfileFixtures.PathOf("yarn-classic"), dir.Combine("yarn.lock"));
        File.Copy(LockfileFixtures.PathOf("pnpm-v9"), dir.Combine("pnpm-lock.yaml"));
        Assert.Equal(dir.Combine("pnpm-lock.yaml"), LockfileReader.Find(dir.Path));

        File.Copy(LockfileFixtures.PathOf("npm-v3"), dir.Combine("package-lock.json"));
        Assert.Equal(dir.Combine("package-lock.json"), LockfileReader.Find(dir.Path));
        File.Copy(LockfileFixtures.PathOf("npm-v3"), dir.Combine("npm-shrinkwrap.json"));
        Assert.Equal(dir.Combine("npm-shrinkwrap.json"), LockfileReader.Find(dir.Path));

        var lockfile = LockfileReader.Read(dir.Path);
        Assert.Equal(dir.Combine("npm-shrinkwrap.json"), lockfile.Path);
        var note = Assert.Single(lockfile.Notes);
        Assert.Contains("package-lock.json, pnpm-lock.yaml, yarn.lock", note, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_WhenNoLockfile_ReturnsNullAndReadFailsWithUnreadable()
    {
        using var dir = new TempDir();

        Assert.Null(LockfileReader.Find(dir.Path));
        Assert.Null(LockfileReader.Find(dir.Combine("missing")));
        var e = Assert.Throws<LockfileFormatException>(() => LockfileReader.Read(dir.Path));
        Assert.Equal(LockfileCodes.Unreadable, e.Code);
    }

    [Fact]
    public void Read_WhenBinaryBunLockfile_IsUnsupported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.Combine("bun.lockb"), [0x23, 0x21, 0x2f, 0x75, 0x00, 0x01]);

        var e = Assert.Throws<LockfileFormatException>(() => LockfileReader.Read(dir.Path));
        Assert.Equal(LockfileCodes.Unsupported, e.Code);
    }

    [Theory]
    [MemberData(nameof(LockfileFixtures.Dirs), MemberType = typeof(LockfileFixtures))]
    public void Parse_WhenNameIsUnknown_DetectsTheFormatFromContent(string dir)
    {
        var lockfile = LockfileReader.Parse(LockfileFixtures.Text(dir), "copy-of-lockfile");

        Assert.Equal(LockfileFixtures.All.Single(f => f.Dir == dir).Format, lockfile.Format);
    }
}
