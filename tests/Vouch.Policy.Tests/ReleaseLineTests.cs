using Vouch.Npm;
using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

public sealed class ReleaseLineTests
{
    [Theory]
    [InlineData("2.0.4", "2.x")]
    [InlineData("2.9.0-rc.1", "2.x")]
    [InlineData("0.3.7", "0.3.x")]
    [InlineData("0.0.4", "0.0.x")]
    public void Of_WhenVersion_NamesItsLine(string version, string line) =>
        Assert.Equal(line, ReleaseLine.Of(SemVersion.Parse(version)).ToString());

    [Theory]
    [InlineData("1.9.0", "2.0.0", true)]
    [InlineData("1.2.0", "1.9.0", false)]
    [InlineData("0.2.9", "0.3.0", true)]
    [InlineData("2.0.0", "1.0.0", false)]
    [InlineData("2.0.0-rc.1", "2.0.0", false)]
    public void IsMajorBump_WhenVersionsGiven_ComparesLines(string from, string to, bool expected) =>
        Assert.Equal(expected, ReleaseLine.IsMajorBump(SemVersion.Parse(from), SemVersion.Parse(to)));

    /// <summary>
    /// Seeded random histories: every predecessor is on the candidate's line, lower, published
    /// earlier, and stable when the candidate is; and every version meeting those conditions is one.
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Predecessors_WhenRandomHistory_AreExactlyTheLowerEarlierVersionsOfTheLine(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 200; round++)
        {
            var builder = new PackumentBuilder("p");
            var used = new HashSet<string>();
            var start = Day("2020-01-01");
            var count = random.Next(1, 15);
            for (var i = 0; i < count; i++)
            {
                var v = $"{random.Next(0, 3)}.{random.Next(0, 3)}.{random.Next(0, 4)}{(random.Next(4) == 0 ? $"-rc.{random.Next(3)}" : "")}";
                if (used.Add(v))
                {
                    builder.Version(v, start.AddDays(random.Next(0, 1000)));
                }
            }

            var p = builder.Build();
            foreach (var candidate in p.Versions.Values)
            {
                var predecessors = ReleaseLine.Predecessors(p, candidate.Version);
                var expected = p.Versions.Values.Where(v =>
                        ReleaseLine.Of(v.Version) == ReleaseLine.Of(candidate.Version)
                        && v.Version < candidate.Version
                        && p.Time[v.Version.Version] < p.Time[candidate.Version.Version]
                        && (candidate.Version.IsPrerelease || !v.Version.IsPrerelease))
                    .Select(v => v.Version.Version).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(expected, predecessors.Select(v => v.Version.Version).Order(StringComparer.Ordinal).ToList());
                Assert.DoesNotContain(candidate, predecessors);

                // Sorted ascending, so the last one is the latest release the candidate follows.
                Assert.Equal(predecessors.OrderBy(v => v.Version).Select(v => v.Version.Version), predecessors.Select(v => v.Version.Version));
            }
        }
    }

    [Fact]
    public void Predecessors_WhenTimesUnknown_UsesOrderAlone()
    {
        var p = Packument.Parse("""{"name":"p","versions":{"1.0.0":{"name":"p","version":"1.0.0","dist":{"tarball":"https://r.example/p-1.0.0.tgz"}},"1.1.0":{"name":"p","version":"1.1.0","dist":{"tarball":"https://r.example/p-1.1.0.tgz"}}}}"""u8.ToArray(), "p");
        Assert.Equal(["1.0.0"], ReleaseLine.Predecessors(p, SemVersion.Parse("1.1.0")).Select(v => v.Version.Version));
    }
}
