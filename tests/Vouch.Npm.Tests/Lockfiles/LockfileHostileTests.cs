using System.Text;
using Vouch.Npm.Lockfiles;

namespace Vouch.Npm.Tests.Lockfiles;

/// <summary>
/// The security sweep's hostile lockfiles: nesting deep enough to exhaust a recursive reader's stack
/// (a stack overflow ends the process; no catch can turn it into a clear error), huge strings and
/// mixed specs. Each must parse or fail with <see cref="LockfileFormatException"/>, nothing else.
/// </summary>
public sealed class LockfileHostileTests
{
    private const int Deep = 200_000;

    public static TheoryData<string, string> DeeplyNested() => new()
    {
        { "package-lock.json", "{\"lockfileVersion\":3,\"packages\":{\"\":" + new string('[', Deep) + new string(']', Deep) + "}}" },
        { "package-lock.json", "{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":\"1.0.0\",\"x\":" + Repeat("{\"a\":", Deep) + "1" + new string('}', Deep) + "}}}" },
        { "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: " + new string('[', Deep) + new string(']', Deep) + "\n" },
        { "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: " + Repeat("{a: ", Deep) + "1" + new string('}', Deep) + "\n" },
        { "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n" + Indented(5_000, "k: ") },
        { "yarn.lock", "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  x: " + new string('[', Deep) + new string(']', Deep) + "\n" },
        { "yarn.lock", "# yarn lockfile v1\n\n" + Indented(5_000, "k ") },
        { "bun.lock", "{\"lockfileVersion\":1,\"packages\":{\"a\":" + new string('[', Deep) + new string(']', Deep) + "}}" },
        { "bun.lock", "{\"lockfileVersion\":1,\"workspaces\":" + Repeat("{\"a\":", Deep) + "1" + new string('}', Deep) + "}" },
    };

    [Theory]
    [MemberData(nameof(DeeplyNested))]
    public void Parse_WhenNestedHundredsOfThousandsDeep_FailsWithAFormatErrorNotAStackOverflow(string file, string content)
    {
        // Run on a thread with a small stack: a recursive reader that survives only on the default
        // 8 MiB stack of the test host would still crash a vouch started with less.
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                LockfileReader.Parse(content, file);
            }
            catch (Exception e)
            {
                error = e;
            }
        }, 1024 * 1024);
        thread.Start();
        thread.Join();

        Assert.IsType<LockfileFormatException>(error);
    }

    [Theory]
    [InlineData("package-lock.json")]
    [InlineData("yarn.lock")]
    [InlineData("pnpm-lock.yaml")]
    public void Parse_WhenAStringIsTensOfMegabytes_ParsesOrFailsWithAFormatError(string file)
    {
        var huge = new string('a', 20 * 1024 * 1024);
        var content = file switch
        {
            "package-lock.json" => "{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":\"1.0.0\",\"resolved\":\"https://registry.npmjs.org/a/-/a-1.0.0.tgz\",\"integrity\":\"sha512-" + huge + "\"}}}",
            "yarn.lock" => "# yarn lockfile v1\n\na@^1.0.0:\n  version \"1.0.0\"\n  resolved \"https://registry.npmjs.org/a/-/a-1.0.0.tgz#" + huge + "\"\n",
            _ => "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-" + huge + "}\n",
        };

        var e = Record.Exception(() => LockfileReader.Parse(content, file));

        Assert.True(e is null or LockfileFormatException, e?.ToString());
    }

    [Fact]
    public void Parse_WhenRegistryFileGitAndDotDotSpecsAreMixed_KeepsEachSourceApart()
    {
        const string content = """
            {
              "lockfileVersion": 3,
              "packages": {
                "": { "name": "app", "dependencies": { "a": "^1.0.0", "b": "file:../../../etc", "c": "git+https://github.com/x/c.git#abc" } },
                "node_modules/a": { "version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/../../b/-/b-1.0.0.tgz", "integrity": "sha512-AAAA" },
                "node_modules/b": { "resolved": "../../../etc", "link": true },
                "node_modules/c": { "version": "1.0.0", "resolved": "git+https://github.com/x/c.git#abc" }
              }
            }
            """;

        var lockfile = LockfileReader.Parse(content, "package-lock.json");
        var findings = LockfileLint.Check(lockfile, [new Uri("https://registry.npmjs.org/")]);

        var c = lockfile.Packages.Single(p => p.Name == "c");
        Assert.Equal(LockfileSourceKind.Git, c.Source);
        Assert.DoesNotContain(lockfile.Packages, p => p.Name == "b" && p.Source == LockfileSourceKind.Registry);
        var a = lockfile.Packages.Single(p => p.Name == "a");
        Assert.Contains(findings, f => f.Package == a && f.Severity == "error");
    }

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    private static string Indented(int levels, string key)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < levels; i++)
        {
            sb.Append(' ', (i + 1) * 2).Append(key).Append('\n');
        }

        return sb.ToString();
    }
}
