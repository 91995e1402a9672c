using CsCheck;
using Xunit.Abstractions;

namespace Vouch.Npm.Tests.Semver;

/// <summary>
/// Laws of node-semver that every generated version and range must keep (issue 13, property tests
/// with a fixed printed seed). The differential tests against node-semver itself cover exact
/// answers; these cover the shape of the ordering and of the range operators on many more inputs.
/// </summary>
public sealed class SemverPropertyTests(ITestOutputHelper output)
{
    private const ulong Seed = 0x5EED_0013_5E3A_0001UL;
    private const int Cases = 3000;

    private static readonly Gen<string> Identifier = Gen.OneOf(
        Gen.Int[0, 12].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOf<string>(["alpha", "beta", "rc", "x-1", "0a", "A", "pre"]));

    private static readonly Gen<SemVersion> Version =
        from major in Gen.Int[0, 4]
        from minor in Gen.Int[0, 4]
        from patch in Gen.Int[0, 4]
        from pre in Identifier.Array[0, 3]
        select SemVersion.Parse($"{major}.{minor}.{patch}{(pre.Length == 0 ? "" : "-" + string.Join('.', pre))}");

    private IEnumerable<T> Sample<T>(Gen<T> gen)
    {
        output.WriteLine($"seed 0x{Seed:X16}, {Cases} cases");
        var pcg = new PCG(1, Seed);
        for (var i = 0; i < Cases; i++)
        {
            yield return gen.Generate(pcg, null, out _);
        }
    }

    [Fact]
    public void Parse_WhenGivenItsOwnText_ReturnsAnEqualVersion()
    {
        foreach (var v in Sample(Version))
        {
            var again = SemVersion.Parse(v.ToString());
            Assert.True(again == v && again.ToString() == v.ToString(), $"seed 0x{Seed:X16}: {v}");
        }
    }

    [Fact]
    public void CompareTo_WhenThreeVersionsAreCompared_IsATotalOrder()
    {
        foreach (var (a, b, c) in Sample(Gen.Select(Version, Version, Version)))
        {
            Assert.True(Math.Sign(a.CompareTo(b)) == -Math.Sign(b.CompareTo(a)), $"seed 0x{Seed:X16}: antisymmetry {a} {b}");
            if (a.CompareTo(b) <= 0 && b.CompareTo(c) <= 0)
            {
                Assert.True(a.CompareTo(c) <= 0, $"seed 0x{Seed:X16}: transitivity {a} <= {b} <= {c}");
            }

            // A prerelease sorts below its release.
            var release = SemVersion.Parse($"{a.Major}.{a.Minor}.{a.Patch}");
            Assert.True(!a.IsPrerelease || a < release, $"seed 0x{Seed:X16}: {a} below {release}");
        }
    }

    [Fact]
    public void IsSatisfiedBy_WhenTheRangeIsAComparatorOrCaret_AgreesWithTheOrder()
    {
        foreach (var (x, a) in Sample(Gen.Select(Version, Version)))
        {
            var atLeast = SemVerRange.Parse($">={a}", includePrerelease: true);
            Assert.True(atLeast.IsSatisfiedBy(x) == (x.CompareTo(a) >= 0), $"seed 0x{Seed:X16}: {x} against >={a}");

            var below = SemVerRange.Parse($"<{a}", includePrerelease: true);
            Assert.True(below.IsSatisfiedBy(x) != atLeast.IsSatisfiedBy(x), $"seed 0x{Seed:X16}: {x} against <{a} and >={a}");

            // Without includePrerelease, a prerelease satisfies only ranges naming a prerelease of its own major.minor.patch.
            if (x.IsPrerelease && !a.IsPrerelease)
            {
                Assert.False(SemVerRange.Parse($">={a}").IsSatisfiedBy(x), $"seed 0x{Seed:X16}: prerelease {x} against >={a}");
            }

            if (a.Major > 0 && !x.IsPrerelease && !a.IsPrerelease)
            {
                var caret = SemVerRange.Parse($"^{a}");
                Assert.True(caret.IsSatisfiedBy(x) == (x >= a && x.Major == a.Major), $"seed 0x{Seed:X16}: {x} against ^{a}");
            }
        }
    }
}
