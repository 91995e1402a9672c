using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vouch.Cli;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// The CLI's observable behaviour, frozen: every command's help, and stdout, stderr and exit code of
/// verify, policy, audit, sri and trust runs against the recorded npm data on 127.0.0.1. Restructuring
/// must keep these equal; a deliberate change rewrites the files with VOUCH_UPDATE_SNAPSHOTS=1 and the
/// diff is reviewed in the commit.
/// </summary>
public sealed partial class CliSnapshotTests : IAsyncLifetime
{
    private static readonly string[] Pinned = ["sigstore@1.0.0", "tuf-js@1.0.0", "node-fetch@1.7.1", "async@2.5.0"];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-snap-");
    private FixtureRegistry _registry = null!;
    private int _caches;

    public async Task InitializeAsync()
    {
        _registry = await FixtureRegistry.StartAsync();
        Directory.CreateDirectory(Project);
        WriteLockfile(Path.Combine(Project, "package-lock.json"));
        File.WriteAllText(Path.Combine(_dir.FullName, "strict.yml"), "version: 1\nrules:\n  provenance: error\n  signature: error\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "bad.yml"), "version: 1\nrules:\n  provenance: sometimes\n");
        File.WriteAllText(Path.Combine(_dir.FullName, "page.html"), "<!doctype html>\n<script src=\"https://cdn.jsdelivr.net/npm/sigstore@latest/dist/index.js\" defer></script>\n");
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string Project => Path.Combine(_dir.FullName, "project");

    /// <summary>A fresh cache per run, so no run's output depends on the runs before it.</summary>
    private string[] Registry => ["--registry", _registry.BaseUrl.ToString(), "--cache-dir", Path.Combine(_dir.FullName, $"cache{Interlocked.Increment(ref _caches)}")];

    [Fact]
    public async Task Help_WhenEveryCommandIsAskedForHelp_MatchesSnapshot()
    {
        var paths = new List<string[]> { Array.Empty<string>() };
        Walk(VouchCli.BuildRoot(TextWriter.Null, TextWriter.Null), [], paths);
        var sb = new StringBuilder();
        foreach (var path in paths)
        {
            await Append(sb, [.. path, "--help"]);
        }

        Assert.True(paths.Count > 15, $"only {paths.Count} commands found");
        Match("help", sb.ToString());
    }

    [Fact]
    public async Task Verify_WhenRunAgainstRecordedPackages_MatchesSnapshot()
    {
        var sb = new StringBuilder();
        foreach (var spec in new[] { "sigstore@1.0.0", "tuf-js@1.0.0", "@sigstore/protobuf-specs@0.2.1", "node-fetch@1.7.1", "kms-demo@1.0.0", "no-such-package@1.0.0", "sigstore@9.9.9" })
        {
            await Append(sb, ["verify", "--json", .. Registry, spec]);
        }

        await Append(sb, ["verify", .. Registry, "sigstore@1.0.0", "async@2.5.0"]);
        await Append(sb, ["verify", "--json", .. Registry, "--policy", Path.Combine(_dir.FullName, "strict.yml"), "sigstore@1.0.0", "async@2.5.0"]);
        await Append(sb, ["verify", .. Registry, "--policy", Path.Combine(_dir.FullName, "strict.yml"), "async@2.5.0"]);
        await Append(sb, ["verify", .. Registry, "--policy", Path.Combine(_dir.FullName, "bad.yml"), "async@2.5.0"]);
        await Append(sb, ["verify", "--registry", "ftp://example/", "sigstore@1.0.0"]);
        await Append(sb, ["verify", .. Registry, "not a spec!"]);
        await Append(sb, ["verify", "--registry", "http://127.0.0.1:9/", "--cache-dir", Path.Combine(_dir.FullName, "cache-offline"), "--offline", "sigstore@1.0.0"]);
        await Append(sb, ["verify", .. Registry, "--trusted-root", Path.Combine(_dir.FullName, "missing.json"), "sigstore@1.0.0"]);
        Match("verify", sb.ToString());
    }

    [Fact]
    public async Task Policy_WhenExplainedAndChecked_MatchesSnapshot()
    {
        var sb = new StringBuilder();
        var strict = Path.Combine(_dir.FullName, "strict.yml");
        await Append(sb, ["policy", "explain", "--json", .. Registry, "sigstore@1.0.0"]);
        await Append(sb, ["policy", "explain", .. Registry, "--policy", strict, "async@2.5.0"]);
        await Append(sb, ["policy", "explain", "--json", .. Registry, "--policy", strict, "--base", "1.0.0", "--new", "node-fetch@1.7.1"]);
        await Append(sb, ["policy", "explain", .. Registry, "no-such-package@1.0.0"]);
        await Append(sb, ["policy", "explain", .. Registry, "--base", "x.y", "sigstore@1.0.0"]);
        await Append(sb, ["policy", "check", strict]);
        await Append(sb, ["policy", "check", "--json", strict]);
        await Append(sb, ["policy", "check", Path.Combine(_dir.FullName, "bad.yml")]);
        await Append(sb, ["policy", "init", .. Registry, "--lockfile", Project, "--output", "-"]);
        Match("policy", sb.ToString());
    }

    [Fact]
    public async Task Audit_WhenRunInEveryFormat_MatchesSnapshot()
    {
        var sb = new StringBuilder();
        await Append(sb, ["audit", .. Registry, Project, "--json"]);
        await Append(sb, ["audit", .. Registry, Project]);
        await Append(sb, ["audit", .. Registry, Project, "--format", "sarif"]);
        await Append(sb, ["audit", .. Registry, Project, "--format", "markdown"]);
        await Append(sb, ["audit", .. Registry, Project, "--no-policy", "--json"]);
        await Append(sb, ["audit", .. Registry, Project, "--policy", Path.Combine(_dir.FullName, "strict.yml")]);
        await Append(sb, ["audit", .. Registry, Project, "--format", "xml"]);
        await Append(sb, ["audit", .. Registry, Project, "--concurrency", "0"]);
        await Append(sb, ["audit", .. Registry, Project, "--policy", "a.yml", "--no-policy"]);
        await Append(sb, ["audit", .. Registry, Path.Combine(_dir.FullName, "nowhere")]);
        Match("audit", sb.ToString());
    }

    [Fact]
    public async Task SriAndTrust_WhenRun_MatchSnapshot()
    {
        var sb = new StringBuilder();
        var page = Path.Combine(_dir.FullName, "page.html");
        await Append(sb, ["sri", "scan", "--json", page]);
        await Append(sb, ["sri", "fix", "--dry-run", "--json", .. Registry, page]);
        await Append(sb, ["sri", "fix", "--dry-run", .. Registry, page]);
        await Append(sb, ["sri", "hash", .. Registry, "npm:sigstore@1.0.0/package.json"]);
        await Append(sb, ["sri", "hash", "--json", .. Registry, "npm:sigstore@1.0.0/dist/index.js", "--algorithm", "sha256"]);
        await Append(sb, ["trust", "show", "--cache-dir", Path.Combine(_dir.FullName, "trust")]);
        await Append(sb, ["trust", "show", "--json", "--cache-dir", Path.Combine(_dir.FullName, "trust")]);
        await Append(sb, ["trust", "update", "--tuf-url", "ftp://example"]);
        Match("sri-trust", sb.ToString());
    }

    private static void Walk(Command command, string[] prefix, List<string[]> paths)
    {
        foreach (var sub in command.Subcommands)
        {
            var path = (string[])[.. prefix, sub.Name];
            paths.Add(path);
            Walk(sub, path, paths);
        }
    }

    private async Task Append(StringBuilder sb, string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(args, o, e);
        sb.Append("$ vouch ").AppendJoin(' ', args).Append('\n');
        sb.Append("exit ").Append(exit).Append('\n');
        sb.Append("--- stdout\n").Append(o).Append("--- stderr\n").Append(e).Append("---\n\n");
    }

    /// <summary>Replaces what differs between runs (ports, temp directories, today's date) with placeholders.</summary>
    private string Normalize(string text)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        text = text.Replace(_registry.BaseUrl.ToString(), "{REGISTRY}/", StringComparison.Ordinal);
        text = text.Replace(_registry.BaseUrl.ToString().TrimEnd('/'), "{REGISTRY}", StringComparison.Ordinal);
        text = text.Replace(_dir.FullName, "{TMP}", StringComparison.Ordinal);
        text = text.Replace(Path.GetFileName(_dir.FullName), "{TMP}", StringComparison.Ordinal);
        text = RelativeTmp().Replace(text, "{TMP}");
        text = Days().Replace(text, "{N} days");
        text = text.Replace(DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "{TODAY}", StringComparison.Ordinal);
        return text;
    }

    private void Match(string name, string actual)
    {
        actual = Normalize(actual);
        var path = Path.Combine(RepositoryRoot(), "tests", "Vouch.Cli.Tests", "Snapshots", name + ".txt");
        if (Environment.GetEnvironmentVariable("VOUCH_UPDATE_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        var expected = File.Exists(path) ? File.ReadAllText(path) : "";
        if (expected == actual)
        {
            return;
        }

        File.WriteAllText(path + ".received", actual);
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var first = Enumerable.Range(0, Math.Min(e.Length, a.Length)).FirstOrDefault(i => e[i] != a[i], Math.Min(e.Length, a.Length));
        Assert.Fail($"{name} snapshot differs at line {first + 1}:\n expected: {e.ElementAtOrDefault(first)}\n actual:   {a.ElementAtOrDefault(first)}\n(whole output in {path}.received)");
    }

    private void WriteLockfile(string path)
    {
        var records = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "signatures.json")))!.AsArray();
        var packages = new JsonObject { [""] = new JsonObject { ["name"] = "app", ["version"] = "1.0.0" } };
        foreach (var spec in Pinned)
        {
            var at = spec.LastIndexOf('@');
            var (name, version) = (spec[..at], spec[(at + 1)..]);
            var sri = (string)records.Single(r => (string)r!["name"]! == name && (string)r["version"]! == version)!["integrity"]!;
            packages[$"node_modules/{name}"] = new JsonObject
            {
                ["version"] = version,
                ["resolved"] = new Uri(_registry.BaseUrl, $"{name}/-/{name}-{version}.tgz").ToString(),
                ["integrity"] = sri,
            };
        }

        var doc = new JsonObject { ["name"] = "app", ["version"] = "1.0.0", ["lockfileVersion"] = 3, ["requires"] = true, ["packages"] = packages };
        File.WriteAllText(path, doc.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Vouch.slnx not found above the test binaries");
    }

    [GeneratedRegex(@"\b\d+ days?\b")]
    private static partial Regex Days();

    // The lockfile path relative to the test's directory: "../../..{TMP}" when the checkout is outside
    // the temporary directory ("/tmp/vouch-…" replaced), "../../{TMP}" when it is inside it (a clone in /tmp).
    [GeneratedRegex(@"(\.\./)*\.\.\{TMP\}|(\.\./)+\{TMP\}")]
    private static partial Regex RelativeTmp();
}
