using System.Net;
using System.Text.Json.Nodes;
using Vouch.Advisories;
using Vouch.Gate.Decisions;
using Vouch.Npm;
using Vouch.Tests;

namespace Vouch.Gate.Tests;

/// <summary>
/// The gate with an advisory database: real OSV records from ../shared/fixtures/osv (MAL-2024-10301,
/// the @lottiefiles/lottie-player compromise, ossf/malicious-packages, Apache-2.0; GHSA-72xf-g2v4-qvf3,
/// tough-cookie prototype pollution, github/advisory-database, CC-BY-4.0), imported into a temp index.
/// </summary>
public sealed class GateAdvisoryTests : IDisposable
{
    private const string Lottie = "@lottiefiles/lottie-player";
    private const string Malware = "MAL-2024-10301";
    private const string Vulnerability = "GHSA-72xf-g2v4-qvf3";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-gate-osv-" + Guid.NewGuid().ToString("n"));

    public GateAdvisoryTests() => Directory.CreateDirectory(_dir);

    private string DbPath => Path.Combine(_dir, "osv.db");

    private static string Record(string id) =>
        SharedFixtures.Path("osv", id.StartsWith("MAL-", StringComparison.Ordinal) ? "malicious" : "advisories", id + ".json");

    private string Import(params string[] ids)
    {
        using var store = AdvisoryStore.Open(DbPath, create: true);
        foreach (var id in ids)
        {
            var result = store.Import(OsvSource.Read(Record(id)));
            Assert.True(result.Error is null && result.RejectedCount == 0 && result.Added == 1, result.Error ?? string.Join("; ", result.Rejected.SelectMany(r => r.Errors)));
        }

        return store.Snapshot.Digest;
    }

    private static void Packages(TestUpstream u)
    {
        u.AddVersion(Lottie, "2.0.4", "2024-05-01T00:00:00.000Z");
        u.AddVersion(Lottie, "2.0.5", "2024-10-30T00:00:00.000Z");
        u.AddVersion("tough-cookie", "4.1.2", "2022-08-01T00:00:00.000Z");
        u.AddVersion("tough-cookie", "4.1.3", "2023-07-01T00:00:00.000Z");
    }

    private string Policy(string yaml)
    {
        var path = Path.Combine(_dir, "vouch.policy.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private Task<GateFixture> StartAsync(string? policy = null) =>
        GateFixture.StartAsync(Packages, o => o with { AdvisoryDatabasePath = DbPath, PolicyPath = policy });

    [Fact]
    public async Task Packument_WhenMalwareRecordListsVersion_WithholdsItNamingTheRecordAndSnapshot()
    {
        var digest = Import(Malware, Vulnerability);
        await using var gate = await StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "@lottiefiles%2flottie-player");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"2.0.5=malware:{Malware}", response.Headers.GetValues("X-Vouch-Withheld").Single());
        Assert.Null(doc["versions"]!["2.0.5"]);
        Assert.Equal("2.0.4", (string)doc["dist-tags"]!["latest"]!);
        var withheld = doc["_vouch"]!["withheld"]!["2.0.5"]!;
        Assert.Equal(AdvisoryCodes.Malware, (string)withheld["code"]!);
        Assert.Equal(Malware, (string)withheld["records"]![0]!);
        Assert.Equal(digest, (string)withheld["advisorySnapshot"]!);
        Assert.Contains(digest[7..23], (string)doc["_vouch"]!["policy"]!);
        Assert.Equal(digest, gate.Host.AdvisorySnapshot!.Digest);
    }

    [Fact]
    public async Task Tarball_WhenMalwareAskedForByDirectUrl_Answers403NamingTheRecordAndSnapshot()
    {
        var digest = Import(Malware);
        await using var gate = await StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "@lottiefiles/lottie-player/-/lottie-player-2.0.5.tgz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("malware", (string)body["rule"]!);
        Assert.Equal(Malware, (string)body["records"]![0]!);
        Assert.Equal(digest, (string)body["advisorySnapshot"]!);
        Assert.Contains(Malware, (string)body["error"]!);
        Assert.Equal(0, gate.Upstream.Hits("@lottiefiles/lottie-player/-/lottie-player-2.0.5.tgz"));

        using var clean = await gate.SendAsync(HttpMethod.Get, "@lottiefiles/lottie-player/-/lottie-player-2.0.4.tgz");
        Assert.Equal(HttpStatusCode.OK, clean.StatusCode);
    }

    [Fact]
    public async Task Packument_WhenPolicyHasNoAdvisoriesRule_OffersTheVulnerableVersion()
    {
        Import(Malware, Vulnerability);
        await using var gate = await StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "tough-cookie");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.False(response.Headers.Contains("X-Vouch-Withheld"));
        Assert.NotNull(doc["versions"]!["4.1.2"]);
    }

    [Fact]
    public async Task Packument_WhenPolicyWithholdsMediumAdvisories_WithholdsTheVulnerableVersionOnly()
    {
        var digest = Import(Vulnerability);
        var policy = Policy("version: 1\nrules:\n  advisories:\n    severity: error\n    threshold: medium\n");
        await using var gate = await StartAsync(policy);
        using var response = await gate.SendAsync(HttpMethod.Get, "tough-cookie");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal($"4.1.2=advisories:{Vulnerability}", response.Headers.GetValues("X-Vouch-Withheld").Single());
        Assert.Equal(AdvisoryCodes.Vulnerable, (string)doc["_vouch"]!["withheld"]!["4.1.2"]!["code"]!);
        Assert.Equal(digest, (string)doc["_vouch"]!["withheld"]!["4.1.2"]!["advisorySnapshot"]!);
        Assert.NotNull(doc["versions"]!["4.1.3"]);

        using var tarball = await gate.SendAsync(HttpMethod.Get, "tough-cookie/-/tough-cookie-4.1.2.tgz");
        Assert.Equal(HttpStatusCode.Forbidden, tarball.StatusCode);
    }

    [Fact]
    public async Task Packument_WhenPolicyThresholdAboveTheAdvisory_OffersTheVersion()
    {
        Import(Vulnerability);
        var policy = Policy("version: 1\nrules:\n  advisories:\n    severity: error\n    threshold: critical\n");
        await using var gate = await StartAsync(policy);
        using var response = await gate.SendAsync(HttpMethod.Get, "tough-cookie");

        Assert.False(response.Headers.Contains("X-Vouch-Withheld"));
    }

    [Fact]
    public async Task Decisions_WhenANewSnapshotIsImported_CachedAllowDecisionsAndPackumentsMiss()
    {
        Import(Vulnerability);
        await using var gate = await StartAsync();
        const string tarball = "@lottiefiles/lottie-player/-/lottie-player-2.0.5.tgz";
        using (var before = await gate.SendAsync(HttpMethod.Get, tarball))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var policyBefore = gate.Host.Service.Decider.PolicyVersion;
        var digest = Import(Malware);

        // The gate asks the file at most once per refresh interval.
        await Task.Delay(GateAdvisories.RefreshInterval + TimeSpan.FromMilliseconds(200));
        using var after = await gate.SendAsync(HttpMethod.Get, tarball);
        using var packument = await gate.SendAsync(HttpMethod.Get, "@lottiefiles%2flottie-player");

        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
        Assert.NotEqual(policyBefore, gate.Host.Service.Decider.PolicyVersion);
        Assert.Equal(digest, gate.Host.AdvisorySnapshot!.Digest);
        Assert.Equal($"2.0.5=malware:{Malware}", packument.Headers.GetValues("X-Vouch-Withheld").Single());
    }

    [Fact]
    public async Task Start_WhenAdvisoryDatabaseIsMissing_RefusesToStart()
    {
        var e = await Assert.ThrowsAsync<GateConfigurationException>(() => StartAsync());
        Assert.Contains("advisory-db", e.Message);
    }

    [Fact]
    public async Task Start_WhenAdvisoryDatabaseIsNotADatabase_RefusesToStartWithCode()
    {
        await File.WriteAllTextAsync(DbPath, "not sqlite at all, but long enough to look like a file header..........");
        var e = await Assert.ThrowsAsync<GateConfigurationException>(() => StartAsync());
        Assert.Contains(AdvisoryCodes.DatabaseCorrupt, e.Message);
    }

    [Fact]
    public async Task Database_WhenTheGateRuns_IsNotWritten()
    {
        var digest = Import(Malware);
        var before = await File.ReadAllBytesAsync(DbPath);
        await using (var gate = await StartAsync())
        {
            using var response = await gate.SendAsync(HttpMethod.Get, "@lottiefiles%2flottie-player");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(DbPath));
        using var store = AdvisoryStore.Open(DbPath, create: false);
        Assert.Equal(digest, store.Snapshot.Digest);
    }

    [Fact]
    public void Prefilter_WhenEveryRuleIsApproved_StillWithholdsMalware()
    {
        Import(Malware);
        using var db = GateAdvisories.Open(DbPath, TimeProvider.System);
        var decider = new PolicyReleaseDecider(Vouch.Policy.PolicyDocument.Default, "default", TimeProvider.System, db);
        var packument = PackumentOf(Lottie, "2.0.5");
        var version = packument.Versions["2.0.5"];
        var approvals = new[] { new GrantedApproval(Lottie, "2.0.5", "*", "alice", null), new GrantedApproval(Lottie, "2.0.5", "malware", "alice", null) };

        var decision = decider.Prefilter(packument, version, approvals);

        Assert.False(decision.Allowed);
        Assert.Equal("malware", decision.Blocking[0].Rule);
    }

    [Fact]
    public void PolicyVersion_WhenNoAdvisoryDatabase_IsThePolicyDigestAlone()
    {
        var decider = new PolicyReleaseDecider(Vouch.Policy.PolicyDocument.Default, "default", TimeProvider.System);
        Assert.Equal("default", decider.PolicyVersion);
        Assert.Null(decider.AdvisorySnapshot);
    }

    private static Packument PackumentOf(string name, string version)
    {
        var doc = new JsonObject
        {
            ["name"] = name,
            ["dist-tags"] = new JsonObject { ["latest"] = version },
            ["versions"] = new JsonObject
            {
                [version] = new JsonObject
                {
                    ["name"] = name,
                    ["version"] = version,
                    ["dist"] = new JsonObject { ["integrity"] = "sha512-" + Convert.ToBase64String(new byte[64]), ["tarball"] = $"https://registry.example/{name}/-/x-{version}.tgz" },
                },
            },
            ["time"] = new JsonObject { [version] = "2024-10-30T00:00:00.000Z" },
        };
        var json = doc.ToJsonString();
        return Packument.Parse(System.Text.Encoding.UTF8.GetBytes(json));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>X-Vouch-Withheld stays under Node's 16 KiB response-header limit however many versions are withheld.</summary>
public sealed class WithheldHeaderTests
{
    [Fact]
    public void WithheldHeader_WhenThousandsOfVersionsWithheld_IsCutWithACountOfTheRest()
    {
        var withheld = Enumerable.Range(0, 2000).ToDictionary(
            i => $"1.0.{i}",
            i => new Vouch.Gate.Packuments.WithheldVersion($"1.0.{i}", [new ReleaseFinding("advisories", "VOUCH_ADVISORY_VULNERABLE", "x") { Records = ["GHSA-aaaa-bbbb-cccc", "GHSA-dddd-eeee-ffff"] }]));

        var header = Vouch.Gate.Packuments.PackumentFilter.WithheldHeader(withheld);

        Assert.True(header.Length <= Vouch.Gate.Packuments.PackumentFilter.MaxWithheldHeaderChars + 40, $"{header.Length}");
        Assert.Matches(@", \d+ more \(see _vouch\)$", header);
        Assert.StartsWith("1.0.0=advisories:GHSA-aaaa-bbbb-cccc+GHSA-dddd-eeee-ffff, ", header, StringComparison.Ordinal);
    }
}
