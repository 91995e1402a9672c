using Vouch.Tuf.Metadata;

namespace Vouch.Tuf.Tests;

public sealed class PathPatternTests
{
    [Theory]
    [InlineData("targets/file.json", "targets/*.json", true)]
    [InlineData("targets/file.json", "targets/*", true)]
    [InlineData("targets/dir/file.json", "targets/*", false)]
    [InlineData("targets/dir/file.json", "targets/*/*.json", true)]
    [InlineData("file.json", "*", true)]
    [InlineData("a/b", "*", false)]
    [InlineData("file1.txt", "file?.txt", true)]
    [InlineData("file10.txt", "file?.txt", false)]
    [InlineData("a.txt", "[ab].txt", true)]
    [InlineData("c.txt", "[ab].txt", false)]
    [InlineData("c.txt", "[!ab].txt", true)]
    [InlineData("5.txt", "[0-9].txt", true)]
    [InlineData("[.txt", "[.txt", true)]
    [InlineData("File.json", "file.json", false)]
    [InlineData("registry.npmjs.org/keys.json", "registry.npmjs.org/*", true)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*a*a*c", false)]
    public void Matches_WhenGivenPathAndPattern_FollowsSegmentGlobRules(string path, string pattern, bool expected)
    {
        Assert.Equal(expected, PathPattern.Matches(path, pattern));
    }
}
