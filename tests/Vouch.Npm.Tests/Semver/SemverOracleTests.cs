using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm.Tests.Infrastructure;

namespace Vouch.Npm.Tests.Semver;

/// <summary>
/// Cross-checks our semver against the real node-semver (installed with npm on first use into the
/// test output directory): every row of the case table plus a generated corpus of operator,
/// operand and spacing combinations, for validity, canonical form, satisfaction and maxSatisfying.
/// </summary>
public sealed class SemverOracleTests
{
    private static readonly string[] Operands =
    [
        "1", "1.2", "1.2.3", "1.2.3-beta.1", "0", "0.0", "0.1", "0.0.1", "0.1.2", "0.0.1-rc.1", "x", "1.x",
        "1.2.x", "*", "1.*.*", "v1.2.3", "0.0.0", "2.0.0-0", "X.x", "1.x.3", "01.2", "1.2.3+b",
    ];

    private static readonly string[] Operators = ["", "=", "<", "<=", ">", ">=", "~", "~>", "^"];

    private static readonly string[] Versions =
    [
        "0.0.0", "0.0.1", "0.0.1-rc.1", "0.0.1-rc.2", "0.0.2", "0.1.0", "0.1.2", "0.1.3", "0.2.0", "1.0.0-0",
        "1.0.0", "1.1.9", "1.2.0", "1.2.3-alpha", "1.2.3-beta.1", "1.2.3-beta.2", "1.2.3", "1.2.4-alpha", "1.2.4",
        "1.3.0", "1.9.9", "2.0.0-0", "2.0.0-rc.1", "2.0.0", "2.1.0", "3.0.0", "v1.2.3", "1.2.3+build",
    ];

    [NodeFact]
    public void Ranges_WhenComparedWithNodeSemver_AgreeOnEveryCase()
    {
        var oracleDir = EnsureOracleInstalled();
        var ranges = BuildRangeCorpus();
        var versions = SemverCaseTable.InvalidVersions
            .Concat(SemverCaseTable.ValidVersions.Select(v => v.Text))
            .Concat(SemverCaseTable.Ordered.SelectMany(p => new[] { p.Greater, p.Lesser }))
            .Distinct().ToList();
        var compares = SemverCaseTable.Ordered.Select(p => new[] { p.Greater, p.Lesser })
            .Concat(SemverCaseTable.Equivalent.Select(p => new[] { p.A, p.B })).ToList();

        var question = new JsonObject
        {
            ["ranges"] = new JsonArray([.. ranges.Select(r => (JsonNode)new JsonObject
            {
                ["range"] = r.Range,
                ["includePrerelease"] = r.IncludePrerelease,
                ["versions"] = new JsonArray([.. r.Versions.Select(v => (JsonNode)JsonValue.Create(v)!)]),
            })]),
            ["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)JsonValue.Create(v)!)]),
            ["compares"] = new JsonArray([.. compares.Select(p => (JsonNode)new JsonArray(p[0], p[1]))]),
        };

        var answer = RunOracle(oracleDir, question.ToJsonString());
        var failures = new List<string>();

        var rangeAnswers = answer.GetProperty("ranges").EnumerateArray().ToList();
        for (var i = 0; i < ranges.Count; i++)
        {
            var (range, includePre, vs) = ranges[i];
            var expected = rangeAnswers[i];
            var ours = SemVerRange.ParseOrNull(range, includePre);
            var expectedCanonical = expected.GetProperty("canonical").ValueKind == JsonValueKind.Null
                ? null
                : expected.GetProperty("canonical").GetString();
            if (ours?.Canonical != expectedCanonical)
            {
                failures.Add($"range {Show(range)} (pre={includePre}): node '{expectedCanonical ?? "invalid"}', ours '{ours?.Canonical ?? "invalid"}'");
                continue;
            }

            var sat = expected.GetProperty("satisfies").EnumerateArray().Select(e => e.GetBoolean()).ToList();
            for (var j = 0; j < vs.Count; j++)
            {
                var mine = ours?.IsSatisfiedBy(vs[j]) ?? false;
                if (mine != sat[j])
                {
                    failures.Add($"satisfies({Show(vs[j])}, {Show(range)}, pre={includePre}): node {sat[j]}, ours {mine}");
                }
            }

            var max = expected.GetProperty("max");
            var expectedMax = max.ValueKind == JsonValueKind.Null ? null : max.GetString();
            var ourMax = ours?.MaxSatisfying(vs);
            if (ourMax != expectedMax)
            {
                failures.Add($"maxSatisfying({Show(range)}, pre={includePre}): node {expectedMax ?? "null"}, ours {ourMax ?? "null"}");
            }
        }

        var versionAnswers = answer.GetProperty("versions").EnumerateArray().ToList();
        for (var i = 0; i < versions.Count; i++)
        {
            var expected = versionAnswers[i].ValueKind == JsonValueKind.Null ? null : versionAnswers[i].GetString();
            var ours = SemVersion.ParseOrNull(versions[i])?.Version;
            if (ours != expected)
            {
                failures.Add($"parse({Show(versions[i])}): node {expected ?? "invalid"}, ours {ours ?? "invalid"}");
            }
        }

        var compareAnswers = answer.GetProperty("compares").EnumerateArray().ToList();
        for (var i = 0; i < compares.Count; i++)
        {
            var ours = Math.Sign(SemVersion.Parse(compares[i][0]).CompareTo(SemVersion.Parse(compares[i][1])));
            if (ours != compareAnswers[i].GetInt32())
            {
                failures.Add($"compare({compares[i][0]}, {compares[i][1]}): node {compareAnswers[i].GetInt32()}, ours {ours}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} disagreements with node-semver {answer.GetProperty("semverVersion").GetString()} over {ranges.Count} ranges:\n" + string.Join('\n', failures.Take(60)));
    }

    private static string Show(string s) => JsonSerializer.Serialize(s);

    private static List<(string Range, bool IncludePrerelease, List<string> Versions)> BuildRangeCorpus()
    {
        var corpus = new List<(string, bool, List<string>)>();
        var seen = new HashSet<(string, bool)>();

        void Add(string range, bool pre, IEnumerable<string>? extraVersions = null)
        {
            if (seen.Add((range, pre)))
            {
                corpus.Add((range, pre, [.. Versions.Concat(extraVersions ?? []).Distinct()]));
            }
        }

        foreach (var row in SemverCaseTable.Included.Concat(SemverCaseTable.Excluded))
        {
            Add(row.Range, false, [row.Version]);
        }

        foreach (var row in SemverCaseTable.IncludedWithPrerelease.Concat(SemverCaseTable.ExcludedWithPrerelease))
        {
            Add(row.Range, true, [row.Version]);
        }

        foreach (var row in SemverCaseTable.CanonicalForms)
        {
            Add(row.Range, false);
        }

        foreach (var row in SemverCaseTable.CanonicalFormsWithPrerelease)
        {
            Add(row.Range, true);
        }

        foreach (var op in Operators)
        {
            foreach (var operand in Operands)
            {
                Add(op + operand, false);
                Add(op + operand, true);
                Add(op + " " + operand, false);
            }
        }

        for (var i = 0; i < Operands.Length; i++)
        {
            for (var j = 0; j < Operands.Length; j += 3)
            {
                Add(Operands[i] + " - " + Operands[j], false);
                Add(Operands[i] + " - " + Operands[j], true);
            }
        }

        string[] compound =
        [
            ">=1.2.3 <2", ">1.2 <=2.0", "^1.2.3 || ^2", "~1.2 || >=3 <4", ">= 1.2.3 < 2.0.0", "1.2.3 - 2.0.0 || 3.x",
            "<1.2.3-beta.2 >=1.2.3-alpha", "^0.0.1 || ^0.1.0 || ^1.0.0", "  \t^1.2.3\n", "^1.2.3 ^1.4.0", "~ > 1.2",
            "> = 1.2.3", "= = 1", "v 1.2.3", ">=1.2.3-0 <1.2.3", "* 1.2.3", "1.2.3 *", "x || 1.2.3-beta.1",
            "1.2.3-beta.1 || x", "<0.0.0-0 || 1", ">=1.2.3 || <0.0.0-0", "^1.2.3-beta.1 <1.2.3-beta.5",
        ];
        foreach (var r in compound)
        {
            Add(r, false);
            Add(r, true);
        }

        return corpus;
    }

    private static string EnsureOracleInstalled()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "SemverOracle");
        if (File.Exists(Path.Combine(dir, "node_modules", "semver", "package.json")))
        {
            return dir;
        }

        var npm = TestPaths.FindOnPath("npm") ?? throw new InvalidOperationException("node is installed but npm is not: cannot install the semver oracle");
        var psi = new ProcessStartInfo(npm, ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock"])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("npm install semver timed out");
        }

        Assert.True(process.ExitCode == 0, $"npm install semver failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        return dir;
    }

    private static JsonElement RunOracle(string dir, string question)
    {
        var psi = new ProcessStartInfo(TestPaths.FindOnPath("node")!, [Path.Combine(dir, "oracle.js")])
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(question);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("semver oracle timed out");
        }

        Assert.True(process.ExitCode == 0, $"oracle failed: {stderr.Result}");
        return JsonDocument.Parse(stdout.Result).RootElement.Clone();
    }
}
