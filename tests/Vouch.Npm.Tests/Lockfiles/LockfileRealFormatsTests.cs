using System.IO.Compression;
using Vouch.Npm.Lockfiles;

namespace Vouch.Npm.Tests.Lockfiles;

/// <summary>
/// Real client output that the readers used to refuse, from the corpus (Corpus/SOURCES.md):
/// pnpm 11's environment document, pnpm 5.0–5.2's importers-first key order, npm 5.0's tarball
/// URL in "version". Each also has a tampered variant that must still be refused.
/// </summary>
public sealed class LockfileRealFormatsTests
{
    private static string Corpus(string rel)
    {
        var path = Path.Combine(Path.GetDirectoryName(LockfileFixtures.Root)!, "Corpus", rel + ".gz");
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private const string Pnpm11 = "pnpm-history/2026-08-21-v9.0-pnpm11-env-document/pnpm-lock.yaml";
    private const string Pnpm52 = "pnpm-history/2021-02-26-v5.2-importers-first/pnpm-lock.yaml";
    private const string Pnpm50 = "pnpm-history/2019-06-02-v5.0-importers-first/pnpm-lock.yaml";
    private const string Npm50 = "arborist/workspaces__arborist__test__fixtures__sax/package-lock.json";

    [Fact]
    public void Parse_WhenPnpm11EnvironmentDocumentPrecedesTheLockfile_ReadsBoth()
    {
        var lockfile = LockfileReader.Parse(Corpus(Pnpm11), "pnpm-lock.yaml");

        Assert.Equal(LockfileFormat.Pnpm, lockfile.Format);
        Assert.Equal("9.0", lockfile.FormatVersion);
        // The package manager itself, from the environment document (lines 1–100).
        var exe = Assert.Single(lockfile.Packages, p => p.Name == "@pnpm/exe.linux-x64" && p.Version == "12.0.0-rc.8");
        Assert.StartsWith("sha512-", exe.Integrity, StringComparison.Ordinal);
        Assert.True(exe.Line < 101);
        // And the project's packages from the second document, with their own lines.
        var registry = lockfile.Packages.Where(p => p.Source == LockfileSourceKind.Registry).ToList();
        Assert.True(registry.Count > 1500, $"{registry.Count} registry packages");
        Assert.Contains(registry, p => p.Line > 101);
        // pnpm 11's node runtime is platform binaries from nodejs.org, not a registry package.
        var node = Assert.Single(lockfile.Packages, p => p.Key == "node@runtime:26.7.0");
        Assert.Equal(LockfileSourceKind.RemoteTarball, node.Source);
        Assert.StartsWith("https://nodejs.org/", node.Resolved, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenAThirdYamlDocumentFollows_Malformed()
    {
        var text = Corpus(Pnpm11) + "\n---\nlockfileVersion: '9.0'\n";

        var e = Assert.Throws<LockfileFormatException>(() => LockfileReader.Parse(text, "pnpm-lock.yaml"));

        Assert.Equal(LockfileCodes.Malformed, e.Code);
        Assert.Contains("at most 2 YAML documents", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenEnvironmentDocumentHasNoLockfileVersion_InvalidEntry()
    {
        var text = Corpus(Pnpm11);
        var tampered = "---\nimporters: {}\n" + text[text.IndexOf("\n---\n", 4, StringComparison.Ordinal)..];

        var e = Assert.Throws<LockfileFormatException>(() => LockfileReader.Parse(tampered, "pnpm-lock.yaml"));

        Assert.Equal(LockfileCodes.InvalidEntry, e.Code);
        Assert.Contains("lockfileVersion is missing", e.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Pnpm50, "5")]
    [InlineData(Pnpm52, "5.2")]
    public void Parse_WhenPnpm5WorkspaceListsImportersBeforeLockfileVersion_ReadsIt(string rel, string version)
    {
        var lockfile = LockfileReader.Parse(Corpus(rel), "pnpm-lock.yaml");

        Assert.Equal(version, lockfile.FormatVersion);
        Assert.True(lockfile.Packages.Count(p => p.Source == LockfileSourceKind.Registry) > 1000);
        // The importers before lockfileVersion are read too: pnpm's workspace packages.
        Assert.Contains(lockfile.Packages, p => p.Source == LockfileSourceKind.Workspace && p.Key!.StartsWith("packages/", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenPackagesComeBeforeLockfileVersion_InvalidEntry()
    {
        var text = "packages:\n  /ms/2.1.3:\n    resolution: {integrity: sha512-AAAA}\nlockfileVersion: 5.2\n";

        var e = Assert.Throws<LockfileFormatException>(() => LockfileReader.Parse(text, "pnpm-lock.yaml"));

        Assert.Equal(LockfileCodes.InvalidEntry, e.Code);
        Assert.Contains("packages before lockfileVersion", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenNpm5WroteTheTarballUrlAsVersion_ReadsTheVersionFromTheUrl()
    {
        var lockfile = LockfileReader.Parse(Corpus(Npm50), "package-lock.json");

        Assert.Equal(LockfileFormat.NpmV1, lockfile.Format);
        var acorn = Assert.Single(lockfile.Packages, p => p.Key == "node_modules/acorn");
        Assert.Equal(("acorn", "4.0.4", LockfileSourceKind.Registry), (acorn.Name, acorn.Version, acorn.Source));
        Assert.Equal("https://registry.npmjs.org/acorn/-/acorn-4.0.4.tgz", acorn.Resolved);
        var nested = Assert.Single(lockfile.Packages, p => p.Key == "node_modules/acorn-jsx/node_modules/acorn");
        Assert.Equal("3.3.0", nested.Version);
    }

    [Theory]
    [InlineData("https://registry.npmjs.org/evil/-/evil-4.0.4.tgz")] // another package's tarball
    [InlineData("https://registry.npmjs.org/acorn/-/acorn-latest.tgz")] // no version in the file name
    public void Parse_WhenTheUrlInVersionDoesNotNameThisPackageAndVersion_InvalidEntry(string url)
    {
        var text = Corpus(Npm50).Replace("\"https://registry.npmjs.org/acorn/-/acorn-4.0.4.tgz\"", $"\"{url}\"", StringComparison.Ordinal);

        var e = Assert.Throws<LockfileFormatException>(() => LockfileReader.Parse(text, "package-lock.json"));

        Assert.Equal(LockfileCodes.InvalidEntry, e.Code);
    }
}
