using Vouch.Npm.Lockfiles;

namespace Vouch.Npm.Tests.Lockfiles;

public sealed class LockfileLintTests
{
    private static readonly Uri[] PublicRegistry = [new("https://registry.npmjs.org/")];

    private const string DebugUrl = "https://registry.npmjs.org/debug/-/debug-4.3.4.tgz";
    private const string DebugSri = "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==";

    private static IReadOnlyList<LockfileFinding> Lint(string dir, Func<string, string> tamper, string? file = null)
    {
        var text = LockfileFixtures.Text(dir);
        var tampered = tamper(text);
        Assert.NotEqual(text, tampered);
        var lockfile = LockfileReader.Parse(tampered, file ?? LockfileFixtures.PathOf(dir));
        return LockfileLint.Check(lockfile, PublicRegistry);
    }

    [Theory]
    [MemberData(nameof(LockfileFixtures.Dirs), MemberType = typeof(LockfileFixtures))]
    public void Check_WhenRealClientLockfile_FindsNothing(string dir)
    {
        Assert.Empty(LockfileLint.Check(LockfileFixtures.Read(dir), PublicRegistry));
    }

    [Fact]
    public void Check_WhenYarnRegistryAliasHost_IsTheSameRegistry()
    {
        var findings = Lint("yarn-classic", t => t.Replace("https://registry.npmjs.org/", "https://registry.yarnpkg.com/", StringComparison.Ordinal));

        Assert.Empty(findings);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("npm-v1")]
    [InlineData("yarn-classic")]
    public void Check_WhenResolvedToAnotherHost_ReportsHostNotAllowed(string dir)
    {
        var findings = Lint(dir, t => t.Replace(DebugUrl, "https://evil.example/debug/-/debug-4.3.4.tgz", StringComparison.Ordinal));

        var f = Assert.Single(findings);
        Assert.Equal(LockfileCodes.HostNotAllowed, f.Code);
        Assert.Equal("error", f.Severity);
        Assert.Equal("debug", f.Package.Name);
    }

    [Fact]
    public void Check_WhenPnpmTarballOnAnotherHost_ReportsHostNotAllowed()
    {
        var findings = Lint("pnpm-v9", t => t.Replace(
            "resolution: {integrity: " + DebugSri + "}",
            "resolution: {integrity: " + DebugSri + ", tarball: 'https://evil.example/debug/-/debug-4.3.4.tgz'}",
            StringComparison.Ordinal));

        Assert.Equal(LockfileCodes.HostNotAllowed, Assert.Single(findings).Code);
    }

    [Fact]
    public void Check_WhenBunTarballOnAnotherHost_ReportsHostNotAllowed()
    {
        var findings = Lint("bun", t => t.Replace("[\"debug@4.3.4\", \"\",", "[\"debug@4.3.4\", \"https://evil.example/debug/-/debug-4.3.4.tgz\",", StringComparison.Ordinal));

        Assert.Equal(LockfileCodes.HostNotAllowed, Assert.Single(findings).Code);
    }

    [Fact]
    public void Check_WhenAllowedRegistryHasAPath_RequiresThePrefix()
    {
        var lockfile = LockfileFixtures.Read("npm-v3");

        var findings = LockfileLint.Check(lockfile, [new Uri("https://registry.npmjs.org/mirror/")]);

        Assert.All(findings, f => Assert.Equal(LockfileCodes.HostNotAllowed, f.Code));
        Assert.Equal(lockfile.Packages.Count(p => p.Source == LockfileSourceKind.Registry), findings.Count);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("yarn-classic")]
    public void Check_WhenHttp_ReportsInsecureProtocol(string dir)
    {
        var findings = Lint(dir, t => t.Replace(DebugUrl, "http://registry.npmjs.org/debug/-/debug-4.3.4.tgz", StringComparison.Ordinal));

        var f = Assert.Single(findings);
        Assert.Equal(LockfileCodes.InsecureProtocol, f.Code);
    }

    [Fact]
    public void Check_WhenHttpToAConfiguredLoopbackRegistry_IsAccepted()
    {
        var text = LockfileFixtures.Text("npm-v3").Replace("https://registry.npmjs.org/", "http://127.0.0.1:4873/", StringComparison.Ordinal);
        var lockfile = LockfileReader.Parse(text, "package-lock.json");

        Assert.Empty(LockfileLint.Check(lockfile, [new Uri("http://127.0.0.1:4873/")]));
        Assert.Contains(LockfileLint.Check(lockfile, [new Uri("http://127.0.0.1:9999/")]), f => f.Code == LockfileCodes.HostNotAllowed);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("npm-v2")]
    [InlineData("yarn-classic")]
    [InlineData("pnpm-v9")]
    [InlineData("bun")]
    public void Check_WhenSha1Integrity_ReportsWeakIntegrity(string dir)
    {
        var findings = Lint(dir, t => t.Replace(DebugSri, "sha1-3CdpmoBnk9Rma1RjI4GCf2ffgPY=", StringComparison.Ordinal));

        var f = Assert.Single(findings);
        Assert.Equal(LockfileCodes.IntegrityWeak, f.Code);
        Assert.Equal("debug", f.Package.Name);
    }

    [Fact]
    public void Check_WhenIntegrityMissing_ReportsIt()
    {
        var findings = Lint("npm-v3", t => t.Replace("\"integrity\": \"" + DebugSri + "\",", "", StringComparison.Ordinal));

        Assert.Equal(LockfileCodes.IntegrityMissing, Assert.Single(findings).Code);
    }

    [Theory]
    [InlineData("md5-XUFAKrxLKna5cZ2REBfFkg==", LockfileCodes.IntegrityWeak, "error")]
    [InlineData("sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", LockfileCodes.IntegrityNotSha512, "warn")]
    [InlineData("sha512-not base64!", LockfileCodes.IntegrityMalformed, "error")]
    public void Check_WhenIntegrityIsNotSha512_ReportsTheRightCode(string sri, string code, string severity)
    {
        var findings = Lint("npm-v3", t => t.Replace(DebugSri, sri, StringComparison.Ordinal));

        var f = Assert.Single(findings);
        Assert.Equal(code, f.Code);
        Assert.Equal(severity, f.Severity);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("npm-v1")]
    [InlineData("yarn-classic")]
    public void Check_WhenResolvedNamesAnotherPackage_ReportsNameMismatch(string dir)
    {
        var findings = Lint(dir, t => t.Replace(DebugUrl, "https://registry.npmjs.org/evil-debug/-/evil-debug-4.3.4.tgz", StringComparison.Ordinal));

        var f = Assert.Single(findings);
        Assert.Equal(LockfileCodes.NameMismatch, f.Code);
    }

    [Fact]
    public void Check_WhenScopedNameMatchesEscapedUrl_IsAccepted()
    {
        var findings = Lint("npm-v3", t => t.Replace(
            "https://registry.npmjs.org/@sindresorhus/is/-/is-4.6.0.tgz",
            "https://registry.npmjs.org/@sindresorhus%2fis/-/is-4.6.0.tgz",
            StringComparison.Ordinal));

        Assert.Empty(findings);
    }

    [Fact]
    public void Check_WhenResolvedIsAnotherVersion_ReportsVersionMismatch()
    {
        var findings = Lint("npm-v3", t => t.Replace(DebugUrl, "https://registry.npmjs.org/debug/-/debug-4.3.3.tgz", StringComparison.Ordinal));

        Assert.Equal(LockfileCodes.VersionMismatch, Assert.Single(findings).Code);
    }

    [Theory]
    [InlineData("npm-v3")]
    [InlineData("yarn-classic")]
    public void Check_WhenGitDependency_FlagsGitSource(string dir)
    {
        var findings = Lint(dir, t => t.Replace(DebugUrl, "git+ssh://git@github.com/debug-js/debug.git#5464bdddbc6f91b2aef2ad20650d3a6cfd9fcc3a", StringComparison.Ordinal));

        var f = Assert.Single(findings);
        Assert.Equal(LockfileCodes.SourceGit, f.Code);
        Assert.Equal("warn", f.Severity);
    }

    [Fact]
    public void Check_WhenGitOverPlainGitProtocol_AlsoReportsInsecureProtocol()
    {
        var findings = Lint("npm-v3", t => t.Replace(DebugUrl, "git://github.com/debug-js/debug.git#5464bdd", StringComparison.Ordinal));

        Assert.Equal([LockfileCodes.SourceGit, LockfileCodes.InsecureProtocol], findings.Select(f => f.Code));
    }

    [Fact]
    public void Check_WhenRemoteTarballFileAndLink_FlagsEachSource()
    {
        const string json = """
            {
              "lockfileVersion": 3,
              "packages": {
                "": { "name": "x" },
                "node_modules/tar": { "version": "1.0.0", "resolved": "https://example.com/downloads/tar.tgz", "integrity": "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==" },
                "node_modules/local": { "version": "1.0.0", "resolved": "file:../local-1.0.0.tgz" },
                "node_modules/linked": { "resolved": "../elsewhere", "link": true }
              }
            }
            """;

        var findings = LockfileLint.Check(LockfileReader.Parse(json, "package-lock.json"), PublicRegistry);

        Assert.Equal(
            [LockfileCodes.SourceTarball, LockfileCodes.HostNotAllowed, LockfileCodes.SourceFile, LockfileCodes.SourceLink],
            findings.Select(f => f.Code));
    }

    [Fact]
    public void Check_WhenResolvedIsNotAUrl_ReportsResolvedMalformed()
    {
        var findings = Lint("npm-v3", t => t.Replace(DebugUrl, "https:///debug/-/debug-4.3.4.tgz", StringComparison.Ordinal));

        Assert.Equal(LockfileCodes.ResolvedMalformed, Assert.Single(findings).Code);
    }
}
