using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Audit.Formats;
using Vouch.Npm.Lockfiles;

namespace Vouch.Audit.Tests;

/// <summary>`vouch audit --recursive`: the directory walk, and one run over several lockfiles against the sandbox-signed loopback registry.</summary>
public sealed class RecursiveAuditTests : IAsyncLifetime
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vouch-recursive-");
    private AuditRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await AuditRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _temp.Delete(recursive: true);
    }

    private string Dir(string relative)
    {
        var path = Path.Combine(_temp.FullName, relative);
        Directory.CreateDirectory(path);
        return path;
    }

    private void WriteNpmLock(string dir, params AuditRegistry.Published[] packages)
    {
        var entries = new JsonObject { [""] = new JsonObject { ["name"] = Path.GetFileName(dir) } };
        foreach (var p in packages)
        {
            entries[$"node_modules/{p.Name}"] = new JsonObject
            {
                ["version"] = p.Version,
                ["resolved"] = _registry.Entry(p, 0).Resolved,
                ["integrity"] = p.Integrity,
            };
        }

        File.WriteAllText(Path.Combine(dir, "package-lock.json"), new JsonObject { ["lockfileVersion"] = 3, ["packages"] = entries }.ToJsonString());
    }

    [Fact]
    public void FindLockfileDirectories_WhenTreeHasNodeModulesGitAndALink_SkipsThem()
    {
        var root = Dir("tree");
        File.WriteAllText(Path.Combine(root, "package-lock.json"), "{}");
        File.WriteAllText(Path.Combine(Dir("tree/apps/a"), "pnpm-lock.yaml"), "");
        File.WriteAllText(Path.Combine(Dir("tree/apps/b"), "yarn.lock"), "");
        File.WriteAllText(Path.Combine(Dir("tree/node_modules/dep"), "package-lock.json"), "{}");
        File.WriteAllText(Path.Combine(Dir("tree/apps/a/node_modules/x"), "package-lock.json"), "{}");
        File.WriteAllText(Path.Combine(Dir("tree/.git/y"), "package-lock.json"), "{}");
        File.WriteAllText(Path.Combine(Dir("outside"), "package-lock.json"), "{}");
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), Path.Combine(_temp.FullName, "outside"));

        var found = RecursiveAudit.FindLockfileDirectories(root).Select(d => Path.GetRelativePath(root, d).Replace('\\', '/'));

        Assert.Equal([".", "apps/a", "apps/b"], found);
    }

    [Fact]
    public void FindLockfileDirectories_WhenNoLockfileOutsideNodeModules_Unreadable()
    {
        var root = Dir("empty");
        File.WriteAllText(Path.Combine(Dir("empty/node_modules/dep"), "package-lock.json"), "{}");

        var e = Assert.Throws<LockfileFormatException>(() => RecursiveAudit.FindLockfileDirectories(root));

        Assert.Equal(LockfileCodes.Unreadable, e.Code);
    }

    [Fact]
    public void ReadAll_WhenOneLockfileIsMalformed_ThrowsBeforeAnyAudit()
    {
        var root = Dir("bad");
        File.WriteAllText(Path.Combine(Dir("bad/ok"), "package-lock.json"), """{"lockfileVersion":3,"packages":{}}""");
        File.WriteAllText(Path.Combine(Dir("bad/broken"), "package-lock.json"), "{\"lockfileVersion\":3,");

        var e = Assert.Throws<LockfileFormatException>(() => RecursiveAudit.ReadAll(RecursiveAudit.FindLockfileDirectories(root)));

        Assert.Equal(LockfileCodes.Malformed, e.Code);
    }

    [Fact]
    public async Task Run_WhenTwoLockfilesShareAPackage_OneSectionEachAndTheSharedOneVerifiedOnce()
    {
        var shared = _registry.Publish("shared", "1.0.0");
        var onlyA = _registry.Publish("only-a", "1.0.0");
        var unsigned = _registry.Publish("only-b", "1.0.0", sign: false);
        var root = Dir("mono");
        WriteNpmLock(Dir("mono/a"), shared, onlyA);
        WriteNpmLock(Dir("mono/b"), shared, unsigned);
        var lockfiles = RecursiveAudit.ReadAll(RecursiveAudit.FindLockfileDirectories(root));
        using var client = _registry.Client();
        var pipeline = new AuditPipeline(client, _registry.Verifier(client), new AuditOptions { EvidenceCacheDirectory = Path.Combine(_temp.FullName, "cache") });

        var report = await RecursiveAudit.RunAsync(pipeline, root, lockfiles, _ => []);

        Assert.Equal(2, report.Sections.Count);
        Assert.Equal(1, _registry.Count("packument-abbreviated shared") + _registry.Count("packument-full shared"));
        Assert.True(report.Sections[1].Entries.Single(e => e.Package.Name == "shared").FromCache);
        // b pins a version the registry did not sign: its section fails, a's passes.
        Assert.False(report.Sections[0].HasErrors);
        Assert.True(report.Sections[1].HasErrors);
        Assert.True(report.HasErrors);

        using var json = JsonDocument.Parse(RecursiveAuditFormats.Json(report, root));
        var top = json.RootElement;
        Assert.False(top.GetProperty("passed").GetBoolean());
        Assert.Equal(2, top.GetProperty("totals").GetProperty("lockfiles").GetInt32());
        Assert.Equal(1, top.GetProperty("totals").GetProperty("failedLockfiles").GetInt32());
        Assert.Equal(4, top.GetProperty("totals").GetProperty("packages").GetInt32());
        var sections = top.GetProperty("lockfiles").EnumerateArray().ToList();
        Assert.Equal(["a/package-lock.json", "b/package-lock.json"], sections.Select(s => s.GetProperty("lockfile").GetString()));
        Assert.True(sections[0].GetProperty("passed").GetBoolean());
        Assert.Contains(AuditCodes.SignatureMissing, RecursiveAuditFormats.Text(report, root), StringComparison.Ordinal);
    }
}
