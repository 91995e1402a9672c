using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Tests.Scenarios;

/// <summary>`advisories:` in a scenario and the OSV snapshot the sandbox serves from it.</summary>
public sealed class ScenarioAdvisoryTests
{
    private const string WithAdvisory = """
        name: t
        packages:
          - name: a
            versions:
              - version: 1.0.0
              - version: 1.1.0
        advisories:
          - id: GHSA-aaaa-bbbb-cccc
            package: a
            introduced: "0"
            fixed: 1.1.0
            cvss: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H
            severity: HIGH
          - id: MAL-2026-1
            package: a
            versions: [1.0.0]
        """;

    [Fact]
    public void Builtin_WhenDiligence_HasTheFourRisksAndAdvisories()
    {
        var scenario = Scenario.Builtin("diligence");

        Assert.Equal(["GHSA-qwcr-r2fm-qrc7", "GHSA-cm22-4g7w-348p", "MAL-2025-46974"], scenario.Advisories.Select(a => a.Id));
        Assert.True(scenario.Advisories.Single(a => a.Package == "debug").IsMalware);
        Assert.NotNull(scenario.Find("expresss"));
        var ua = scenario.Find("ua-parser-js")!;
        Assert.NotEqual(ua.Versions[0].PublishedBy, ua.Versions[1].PublishedBy);
    }

    [Theory]
    [InlineData("package: a\n", "package: nope\n", "advisory GHSA-aaaa-bbbb-cccc names package nope, which the scenario does not define")]
    [InlineData("versions: [1.0.0]", "versions: [9.9.9]", "advisory MAL-2026-1 lists a@9.9.9, which the scenario does not define")]
    [InlineData("fixed: 1.1.0", "fixed: one", "fixed 'one' is not a semver version")]
    [InlineData("cvss: CVSS:3.1/", "cvss: CVSS:2.0/", "cvss must be a CVSS:3.0, CVSS:3.1 or CVSS:4.0 vector")]
    [InlineData("severity: HIGH", "severity: SEVERE", "severity must be LOW, MODERATE, HIGH or CRITICAL")]
    [InlineData("id: MAL-2026-1", "id: ../../etc", "is not an OSV id")]
    [InlineData("id: MAL-2026-1", "id: GHSA-aaaa-bbbb-cccc", "advisory GHSA-aaaa-bbbb-cccc is defined twice")]
    [InlineData("severity: HIGH", "severity: HIGH\n    colour: red", "unknown key 'colour' in an advisory")]
    [InlineData("fixed: 1.1.0", "fixed: 1.1.0\n    last-affected: 1.0.0", "`fixed` or `last-affected`, not both")]
    public void Parse_WhenAdvisoryFieldBad_ReportsLocationAndReason(string from, string to, string expected)
    {
        var yaml = WithAdvisory.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(WithAdvisory, yaml);

        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml, "t.yml"));

        Assert.Contains(e.Errors, x => x.Contains(expected, StringComparison.Ordinal));
        Assert.Matches(@"^t\.yml:\d+:\d+: ", e.Errors[0]);
    }

    [Fact]
    public async Task Serve_WhenScenarioHasAdvisories_ServesOsvZipOfEveryRecord()
    {
        await using var sandbox = await SandboxRegistry.StartAsync(Scenario.Parse(WithAdvisory, "t.yml"), new SandboxOptions());
        using var http = new HttpClient();

        var bytes = await http.GetByteArrayAsync(sandbox.AdvisorySnapshotUrl);

        using var zip = new ZipArchive(new MemoryStream(bytes));
        Assert.Equal(["GHSA-aaaa-bbbb-cccc.json", "MAL-2026-1.json"], zip.Entries.Select(e => e.FullName));
        using var reader = new StreamReader(zip.Entries[0].Open());
        var ghsa = JsonNode.Parse(await reader.ReadToEndAsync())!;
        Assert.Equal("CVSS_V3", (string)ghsa["severity"]![0]!["type"]!);
        Assert.Equal("HIGH", (string)ghsa["database_specific"]!["severity"]!);
        var events = ghsa["affected"]![0]!["ranges"]![0]!["events"]!.AsArray();
        Assert.Equal("0", (string)events[0]!["introduced"]!);
        Assert.Equal("1.1.0", (string)events[1]!["fixed"]!);
        using var malReader = new StreamReader(zip.Entries[1].Open());
        var mal = JsonNode.Parse(await malReader.ReadToEndAsync())!;
        Assert.Equal("1.0.0", (string)mal["affected"]![0]!["versions"]![0]!);
        Assert.Null(mal["affected"]![0]!["ranges"]);
    }

    [Fact]
    public async Task Serve_WhenScenarioHasNoAdvisories_AnswersNotFound()
    {
        await using var sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("typosquat"), new SandboxOptions());
        using var http = new HttpClient();

        Assert.Null(sandbox.AdvisorySnapshotUrl);
        var response = await http.GetAsync(new Uri(sandbox.Url, "-/vouch/osv/all.zip"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
