using static Vouch.Advisories.Tests.TestRecords;

namespace Vouch.Advisories.Tests;

/// <summary>One test per OSV event kind, plus versions lists, limits, prereleases and ordering.</summary>
public sealed class OsvMatcherTests
{
    [Theory]
    [InlineData("0.9.9", false)]
    [InlineData("1.0.0", true)]
    [InlineData("1.5.0", true)]
    [InlineData("99.0.0", true)]
    public void Affects_WhenOnlyIntroduced_EveryLaterVersionIsAffected(string version, bool expected)
    {
        var r = Parse(Record("T-1", "p", "\"ranges\":[" + Range("SEMVER", """{"introduced":"1.0.0"}""") + "]"));
        Assert.Equal(expected, Affects(r, "p", version));
    }

    [Theory]
    [InlineData("0.0.0", true)]
    [InlineData("0.0.0-alpha", true)]
    [InlineData("1.2.2", true)]
    [InlineData("1.2.3-rc.1", true)]
    [InlineData("1.2.3", false)]
    [InlineData("2.0.0", false)]
    public void Affects_WhenIntroducedZeroAndFixed_FixedVersionAndLaterAreNot(string version, bool expected)
    {
        var r = Parse(Record("T-2", "p", "\"ranges\":[" + Range("ECOSYSTEM", """{"introduced":"0"}""", """{"fixed":"1.2.3"}""") + "]"));
        Assert.Equal(expected, Affects(r, "p", version));
    }

    [Theory]
    [InlineData("2.0.1", true)]
    [InlineData("2.0.1+build.5", true)]
    [InlineData("2.0.2-0", false)]
    [InlineData("2.0.2", false)]
    [InlineData("1.9.9", false)]
    public void Affects_WhenLastAffected_ThatVersionIsAffectedAndLaterAreNot(string version, bool expected)
    {
        var r = Parse(Record("T-3", "p", "\"ranges\":[" + Range("SEMVER", """{"introduced":"2.0.0"}""", """{"last_affected":"2.0.1"}""") + "]"));
        Assert.Equal(expected, Affects(r, "p", version));
    }

    [Theory]
    [InlineData("1.5.0", true)]
    [InlineData("1.9.9", true)]
    [InlineData("2.0.0-beta", false)]
    [InlineData("2.0.0", false)]
    [InlineData("3.0.0", false)]
    public void Affects_WhenLimit_VersionsAtOrPastTheLimitAreOutside(string version, bool expected)
    {
        // introduced 1.0.0 with no fix would cover everything above; the limit cuts it at 2.0.0.
        var r = Parse(Record("T-4", "p", "\"ranges\":[" + Range("ECOSYSTEM", """{"introduced":"1.0.0"}""", """{"limit":"2.0.0-beta"}""") + "]"));
        Assert.Equal(expected, Affects(r, "p", version));
    }

    [Fact]
    public void Affects_WhenLimitIsStar_LimitsNothing()
    {
        var r = Parse(Record("T-5", "p", "\"ranges\":[" + Range("SEMVER", """{"introduced":"1.0.0"}""", """{"limit":"*"}""") + "]"));
        Assert.True(Affects(r, "p", "100.0.0"));
    }

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("1.0.1", false)]
    [InlineData("1.0.0-rc.1", false)]
    public void Affects_WhenExplicitVersionsOnly_OnlyThoseExactVersions(string version, bool expected)
    {
        var r = Parse(Record("MAL-T-6", "p", "\"versions\":[\"1.0.0\",\"3.0.0\"]"));
        Assert.Equal(expected, Affects(r, "p", version));
    }

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("1.1.0", false)]
    [InlineData("3.0.0", true)]
    [InlineData("3.5.0", false)]
    public void Affects_WhenSeveralIntroducedFixedPairsInOneRange_WalksThemInOrder(string version, bool expected)
    {
        var r = Parse(Record("T-7", "p", "\"ranges\":[" + Range("SEMVER", """{"introduced":"1.0.0"}""", """{"fixed":"1.1.0"}""", """{"introduced":"3.0.0"}""", """{"fixed":"3.5.0"}""") + "]"));
        Assert.Equal(expected, Affects(r, "p", version));
    }

    [Fact]
    public void Affects_WhenEventsAreOutOfOrder_EvaluatesThemSortedAndWarns()
    {
        var r = Parse(Record("T-8", "p", "\"ranges\":[" + Range("SEMVER", """{"fixed":"1.1.0"}""", """{"introduced":"1.0.0"}""") + "]"));
        Assert.True(Affects(r, "p", "1.0.5"));
        Assert.False(Affects(r, "p", "1.1.0"));
        Assert.Contains(r.Warnings, w => w.Contains("ascending", StringComparison.Ordinal));
    }

    [Fact]
    public void Affects_WhenWithdrawn_NeverMatches()
    {
        var r = Parse(Record("T-9", "p", "\"versions\":[\"1.0.0\"]", extra: ",\"withdrawn\":\"2024-02-01T00:00:00Z\""));
        Assert.False(Affects(r, "p", "1.0.0"));
    }

    [Fact]
    public void Affects_WhenOtherPackageName_DoesNotMatch()
    {
        var r = Parse(Record("T-10", "left-pad", "\"versions\":[\"1.0.0\"]"));
        Assert.False(Affects(r, "Left-Pad", "1.0.0"));
        Assert.False(Affects(r, "left-pad2", "1.0.0"));
    }

    [Fact]
    public void Parse_WhenGitRange_IgnoresItWithAWarning()
    {
        var r = Parse(Record("T-11", "p", "\"ranges\":[" + Range("GIT", """{"introduced":"0"}""", """{"fixed":"abc123"}""") + "]"));
        Assert.False(Affects(r, "p", "1.0.0"));
        Assert.Contains(r.Warnings, w => w.Contains("GIT", StringComparison.Ordinal));
    }
}
