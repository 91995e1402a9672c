using static Vouch.Advisories.Tests.TestRecords;

namespace Vouch.Advisories.Tests;

/// <summary>Matching over the real OSV records in shared/fixtures/osv (GitHub advisory database, OpenSSF malicious-packages).</summary>
public sealed class FixtureRecordTests
{
    public static TheoryData<string> AllFixtureIds()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "advisories", "malicious" })
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(OsvDir, dir), "*.json").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileNameWithoutExtension(f));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllFixtureIds))]
    public void Parse_WhenRealRecord_ParsesWithAtLeastOneNpmEntry(string id)
    {
        var r = ParseFixture(id);
        Assert.Equal(id, r.Id);
        Assert.NotEmpty(r.Affected);
        Assert.Equal(id.StartsWith("MAL-", StringComparison.Ordinal), r.IsMalware);
    }

    [Theory]
    // last_affected (no fix exists)
    [InlineData("GHSA-2p57-rm9w-gvfp", "ip", "2.0.1", true)]
    [InlineData("GHSA-2p57-rm9w-gvfp", "ip", "2.0.2", false)]
    [InlineData("GHSA-35jh-r3h4-6jhm", "lodash.template", "4.5.0", true)]
    [InlineData("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.20", true)]
    [InlineData("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.21", false)]
    [InlineData("GHSA-p8p7-x288-28g6", "request", "2.88.2", true)]
    [InlineData("GHSA-p8p7-x288-28g6", "@cypress/request", "3.0.0", false)]
    [InlineData("GHSA-p8p7-x288-28g6", "@cypress/request", "2.88.12", true)]
    // pre-release ranges
    [InlineData("GHSA-67hx-6x53-jw92", "@babel/traverse", "8.0.0-alpha.3", true)]
    [InlineData("GHSA-67hx-6x53-jw92", "@babel/traverse", "8.0.0-alpha.4", false)]
    [InlineData("GHSA-67hx-6x53-jw92", "@babel/traverse", "7.23.2", false)]
    [InlineData("GHSA-67hx-6x53-jw92", "@babel/traverse", "7.23.1", true)]
    [InlineData("GHSA-67hx-6x53-jw92", "babel-traverse", "6.26.0", true)]
    [InlineData("GHSA-rv95-896h-c2vc", "express", "5.0.0-beta.1", true)]
    [InlineData("GHSA-rv95-896h-c2vc", "express", "5.0.0-beta.3", false)]
    [InlineData("GHSA-rv95-896h-c2vc", "express", "5.0.0-alpha.0", false)]
    [InlineData("GHSA-qw6h-vgh9-j6wx", "express", "5.0.0-beta.3", true)]
    [InlineData("GHSA-qw6h-vgh9-j6wx", "express", "5.0.0", false)]
    [InlineData("GHSA-qw6h-vgh9-j6wx", "express", "4.19.2", true)]
    // several ranges for one package, gaps between them
    [InlineData("GHSA-vh95-rmgr-6w4m", "minimist", "0.2.0", true)]
    [InlineData("GHSA-vh95-rmgr-6w4m", "minimist", "0.2.1", false)]
    [InlineData("GHSA-vh95-rmgr-6w4m", "minimist", "0.9.0", false)]
    [InlineData("GHSA-vh95-rmgr-6w4m", "minimist", "1.2.2", true)]
    [InlineData("GHSA-vh95-rmgr-6w4m", "minimist", "1.2.3", false)]
    [InlineData("GHSA-93q8-gq69-wqmw", "ansi-regex", "2.1.1", false)]
    [InlineData("GHSA-93q8-gq69-wqmw", "ansi-regex", "4.1.0", true)]
    [InlineData("GHSA-93q8-gq69-wqmw", "ansi-regex", "5.0.1", false)]
    [InlineData("GHSA-c2qf-rxjj-qqgw", "semver", "7.5.1", true)]
    [InlineData("GHSA-c2qf-rxjj-qqgw", "semver", "6.3.1", false)]
    [InlineData("GHSA-c2qf-rxjj-qqgw", "semver", "5.7.1", true)]
    [InlineData("GHSA-8hc4-vh64-cxmj", "axios", "1.3.1", false)]
    [InlineData("GHSA-8hc4-vh64-cxmj", "axios", "1.3.2", true)]
    [InlineData("GHSA-wf5p-g6vw-rhxx", "axios", "0.8.0", false)]
    [InlineData("GHSA-wf5p-g6vw-rhxx", "axios", "0.27.2", true)]
    // explicit versions
    [InlineData("GHSA-g2q5-5433-rhrf", "rc", "1.2.9", true)]
    [InlineData("GHSA-g2q5-5433-rhrf", "rc", "1.2.8", false)]
    [InlineData("GHSA-pjwm-rvh2-c87w", "ua-parser-js", "0.7.29", true)]
    [InlineData("GHSA-pjwm-rvh2-c87w", "ua-parser-js", "0.7.30", false)]
    [InlineData("GHSA-mh6f-8j2x-4483", "event-stream", "3.3.6", true)]
    [InlineData("GHSA-mh6f-8j2x-4483", "event-stream", "3.3.5", false)]
    [InlineData("GHSA-mh6f-8j2x-4483", "flatmap-stream", "0.1.1", true)]
    [InlineData("GHSA-78xj-cgh5-2h22", "ip", "2.0.0", true)]
    [InlineData("GHSA-78xj-cgh5-2h22", "ip", "1.1.9", false)]
    [InlineData("MAL-2024-10301", "@lottiefiles/lottie-player", "2.0.6", true)]
    [InlineData("MAL-2024-10301", "@lottiefiles/lottie-player", "2.0.4", false)]
    [InlineData("MAL-2024-11183", "@solana/web3.js", "1.95.7", true)]
    [InlineData("MAL-2024-11183", "@solana/web3.js", "1.95.8", false)]
    [InlineData("MAL-2025-46974", "debug", "4.4.2", true)]
    [InlineData("MAL-2025-46974", "debug", "4.4.1", false)]
    [InlineData("MAL-2025-25502", "lodahs", "0.0.1-security", true)]
    [InlineData("MAL-2026-3744", "node-ipc", "12.0.1", true)]
    [InlineData("MAL-2026-3744", "node-ipc", "12.0.0", false)]
    // withdrawn
    [InlineData("MAL-2026-4377", "@ctrl/plex", "6.0.0", false)]
    public void Affects_WhenRealRecord_MatchesAsOsvSpecifies(string id, string package, string version, bool expected)
    {
        Assert.Equal(expected, Affects(ParseFixture(id), package, version));
    }

    [Fact]
    public void Affects_WhenFixedBeforeIntroduced_FollowsOsvSortedWalkAndWarns()
    {
        // GHSA-r683-j2x4-v87g is malformed upstream (fixed 1.0.0 after introduced 3.0.0). OSV sorts the
        // events, so the first range reads "3.0.0 and later": Vouch reports that literally, and warns.
        var r = ParseFixture("GHSA-r683-j2x4-v87g");
        Assert.True(Affects(r, "node-fetch", "3.1.0"));
        Assert.True(Affects(r, "node-fetch", "0.9.0"));
        Assert.False(Affects(r, "node-fetch", "2.6.6"));
        Assert.Contains(r.Warnings, w => w.Contains("ascending", StringComparison.Ordinal));
    }

    [Fact]
    public void Withdrawn_WhenRealWithdrawnRecord_IsRead()
    {
        Assert.Equal(new DateTimeOffset(2026, 5, 26, 17, 12, 48, TimeSpan.Zero), ParseFixture("MAL-2026-4377").Withdrawn);
    }

    [Theory]
    [InlineData("GHSA-97m3-w2cp-4xx6", SeverityLevel.Critical, 9.8, SeveritySource.CvssV3)]
    [InlineData("GHSA-x6fg-f45m-jf5q", SeverityLevel.High, 7.5, SeveritySource.CvssV3)]
    [InlineData("GHSA-pjwm-rvh2-c87w", SeverityLevel.Critical, null, SeveritySource.Database)]
    [InlineData("GHSA-78xj-cgh5-2h22", SeverityLevel.Low, null, SeveritySource.Database)]
    [InlineData("GHSA-vh95-rmgr-6w4m", SeverityLevel.Medium, 5.6, SeveritySource.CvssV3)]
    [InlineData("MAL-2025-15245", SeverityLevel.Unknown, null, SeveritySource.None)]
    public void Severity_WhenRealRecord_UsesCvssV3ElseDatabase(string id, SeverityLevel level, double? score, SeveritySource source)
    {
        var s = AdvisorySeverity.Of(ParseFixture(id));
        Assert.Equal(level, s.Level);
        Assert.Equal(score, s.Score);
        Assert.Equal(source, s.Source);
    }
}
