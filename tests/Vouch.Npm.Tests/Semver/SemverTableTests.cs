namespace Vouch.Npm.Tests.Semver;

public sealed class SemverTableTests
{
    public static TheoryData<string, string> Included() => ToTheory(SemverCaseTable.Included);

    public static TheoryData<string, string> IncludedWithPrerelease() => ToTheory(SemverCaseTable.IncludedWithPrerelease);

    public static TheoryData<string, string> Excluded() => ToTheory(SemverCaseTable.Excluded);

    public static TheoryData<string, string> ExcludedWithPrerelease() => ToTheory(SemverCaseTable.ExcludedWithPrerelease);

    public static TheoryData<string, string> Ordered() => ToTheory(SemverCaseTable.Ordered);

    public static TheoryData<string, string> Equivalent() => ToTheory(SemverCaseTable.Equivalent);

    public static TheoryData<string, string> ValidVersions() => ToTheory(SemverCaseTable.ValidVersions);

    public static TheoryData<string, string> CanonicalWithPrerelease() => ToTheory(SemverCaseTable.CanonicalFormsWithPrerelease);

    public static TheoryData<string> InvalidVersions()
    {
        var data = new TheoryData<string>();
        foreach (var v in SemverCaseTable.InvalidVersions)
        {
            data.Add(v);
        }

        return data;
    }

    public static TheoryData<string, string?> Canonical()
    {
        var data = new TheoryData<string, string?>();
        foreach (var (range, canonical) in SemverCaseTable.CanonicalForms)
        {
            data.Add(range, canonical);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Included))]
    public void IsSatisfiedBy_WhenVersionInRange_ReturnsTrue(string range, string version) =>
        Assert.True(SemVerRange.Parse(range).IsSatisfiedBy(version), $"{version} should satisfy '{range}'");

    [Theory]
    [MemberData(nameof(IncludedWithPrerelease))]
    public void IsSatisfiedBy_WhenIncludePrereleaseAndVersionInRange_ReturnsTrue(string range, string version) =>
        Assert.True(SemVerRange.Parse(range, includePrerelease: true).IsSatisfiedBy(version), $"{version} should satisfy '{range}' with prereleases");

    [Theory]
    [MemberData(nameof(Excluded))]
    public void IsSatisfiedBy_WhenVersionOutsideRange_ReturnsFalse(string range, string version) =>
        Assert.False(SemVerRange.Parse(range).IsSatisfiedBy(version), $"{version} should not satisfy '{range}'");

    [Theory]
    [MemberData(nameof(ExcludedWithPrerelease))]
    public void IsSatisfiedBy_WhenIncludePrereleaseAndVersionOutsideRange_ReturnsFalse(string range, string version) =>
        Assert.False(SemVerRange.Parse(range, includePrerelease: true).IsSatisfiedBy(version), $"{version} should not satisfy '{range}' with prereleases");

    [Theory]
    [MemberData(nameof(Ordered))]
    public void CompareTo_WhenFirstHasHigherPrecedence_IsPositive(string greater, string lesser)
    {
        var a = SemVersion.Parse(greater);
        var b = SemVersion.Parse(lesser);
        Assert.True(a.CompareTo(b) > 0);
        Assert.True(b.CompareTo(a) < 0);
        Assert.True(a > b);
        Assert.NotEqual(a, b);
    }

    [Theory]
    [MemberData(nameof(Equivalent))]
    public void Equals_WhenOnlyBuildOrPrefixDiffers_ReturnsTrue(string left, string right)
    {
        var a = SemVersion.Parse(left);
        var b = SemVersion.Parse(right);
        Assert.Equal(0, a.CompareTo(b));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Theory]
    [MemberData(nameof(InvalidVersions))]
    public void TryParse_WhenNotStrictSemver_ReturnsFalse(string text) =>
        Assert.False(SemVersion.TryParse(text, out _), $"'{text}' should not parse");

    [Theory]
    [MemberData(nameof(ValidVersions))]
    public void TryParse_WhenStrictSemver_ReturnsNormalisedVersion(string text, string expected)
    {
        Assert.True(SemVersion.TryParse(text, out var v));
        Assert.Equal(expected, v.Version);
    }

    [Theory]
    [MemberData(nameof(Canonical))]
    public void TryParse_WhenRangeGiven_ProducesNodeCanonicalForm(string range, string? expected)
    {
        var parsed = SemVerRange.ParseOrNull(range);
        Assert.Equal(expected, parsed?.Canonical);
    }

    [Theory]
    [MemberData(nameof(CanonicalWithPrerelease))]
    public void TryParse_WhenIncludePrerelease_UsesZeroPrereleaseBounds(string range, string expected) =>
        Assert.Equal(expected, SemVerRange.Parse(range, includePrerelease: true).Canonical);

    [Fact]
    public void CaseTable_WhenCounted_HasAtLeast150Rows()
    {
        var rows = SemverCaseTable.Included.Length + SemverCaseTable.IncludedWithPrerelease.Length
            + SemverCaseTable.Excluded.Length + SemverCaseTable.ExcludedWithPrerelease.Length
            + SemverCaseTable.Ordered.Length + SemverCaseTable.Equivalent.Length
            + SemverCaseTable.InvalidVersions.Length + SemverCaseTable.ValidVersions.Length
            + SemverCaseTable.CanonicalForms.Length + SemverCaseTable.CanonicalFormsWithPrerelease.Length;
        Assert.True(rows >= 150, $"only {rows} rows");
    }

    private static TheoryData<string, string> ToTheory((string, string)[] rows)
    {
        var data = new TheoryData<string, string>();
        foreach (var (a, b) in rows)
        {
            data.Add(a, b);
        }

        return data;
    }
}
