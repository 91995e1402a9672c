namespace Vouch.Npm.Tests.Semver;

public sealed class SemverBehaviourTests
{
    [Fact]
    public void MaxSatisfying_WhenSeveralMatch_ReturnsHighest()
    {
        var versions = new[] { "1.2.3", "1.2.4", "1.3.0-beta", "1.9.9", "2.0.0" }.Select(SemVersion.Parse);
        Assert.Equal("1.9.9", SemVerRange.Parse("^1.2.3").MaxSatisfying(versions)?.Version);
    }

    [Fact]
    public void MaxSatisfying_WhenNoneMatch_ReturnsNull()
    {
        var versions = new[] { "1.2.3", "1.2.4" }.Select(SemVersion.Parse);
        Assert.Null(SemVerRange.Parse("^2").MaxSatisfying(versions));
    }

    [Fact]
    public void MaxSatisfying_WhenStringsIncludeInvalid_SkipsThemAndReturnsOriginalText()
    {
        var versions = new[] { "1.2.3", "junk", "v1.2.5", "1.3.0" };
        Assert.Equal("v1.2.5", SemVerRange.Parse("~1.2").MaxSatisfying(versions));
    }

    [Fact]
    public void IsSatisfiedBy_WhenPrereleaseOfAnotherTuple_ReturnsFalse()
    {
        // The prerelease rule: ^1.2.3-beta.1 opts into 1.2.3 prereleases only.
        var range = SemVerRange.Parse("^1.2.3-beta.1");
        Assert.True(range.IsSatisfiedBy("1.2.3-beta.2"));
        Assert.False(range.IsSatisfiedBy("1.2.4-alpha"));
        Assert.True(range.IsSatisfiedBy("1.2.4"));
    }

    [Fact]
    public void IsSatisfiedBy_WhenPrereleaseAndIncludePrerelease_ReturnsTrue()
    {
        Assert.False(SemVerRange.Parse("^1.2.3").IsSatisfiedBy("1.2.4-alpha"));
        Assert.True(SemVerRange.Parse("^1.2.3", includePrerelease: true).IsSatisfiedBy("1.2.4-alpha"));
    }

    [Fact]
    public void TryParse_WhenRangeLongerThanCap_ReturnsFalse()
    {
        var huge = string.Join(" || ", Enumerable.Repeat("1.2.3", 5000));
        Assert.False(SemVerRange.TryParse(huge, out _));
    }

    [Fact]
    public void TryParse_WhenVersionLongerThan256_ReturnsFalse()
    {
        Assert.False(SemVersion.TryParse("1.2.3-" + new string('a', 260), out _));
    }

    [Fact]
    public void ToFullString_WhenBuildPresent_KeepsBuild()
    {
        var v = SemVersion.Parse("v1.2.3-rc.1+sha.abc");
        Assert.Equal("1.2.3-rc.1", v.ToString());
        Assert.Equal("1.2.3-rc.1+sha.abc", v.ToFullString());
        Assert.Equal(["sha", "abc"], v.Build);
        Assert.Equal(["rc", "1"], v.Prerelease);
    }

    [Fact]
    public void CompareTo_WhenNumericIdentifiersExceedDoublePrecision_ComparesExactly()
    {
        Assert.True(SemVersion.Parse("1.0.0-9007199254740993") > SemVersion.Parse("1.0.0-9007199254740992"));
    }

    [Fact]
    public void Parse_WhenInvalid_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => SemVersion.Parse("1.2"));
        Assert.Throws<FormatException>(() => SemVerRange.Parse("1.x.2"));
    }
}
