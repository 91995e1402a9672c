using System.Text;
using System.Text.RegularExpressions;

namespace Vouch.Policy.Tests;

public sealed class GlobTests
{
    [Theory]
    [InlineData("@myorg/*", "@myorg/widget", true)]
    [InlineData("@myorg/*", "@myorg2/widget", false)]
    [InlineData("@myorg/*", "@other/myorg", false)]
    [InlineData("*", "@scope/name", true)]
    [InlineData("lottie-*", "lottie-player", true)]
    [InlineData("lottie-*", "@lottiefiles/lottie-player", false)]
    [InlineData("lod?sh", "lodash", true)]
    [InlineData("lodash", "lodash.merge", false)]
    public void MatchName_WhenPatternGiven_MatchesAsDocumented(string pattern, string name, bool expected) =>
        Assert.Equal(expected, Glob.MatchName(pattern, name));

    [Theory]
    [InlineData("refs/tags/v*", "refs/tags/v1.2.3", true)]
    [InlineData("refs/tags/v*", "refs/tags/v1/x", false)]
    [InlineData("refs/tags/**", "refs/tags/v1/x", true)]
    [InlineData("github.com/acme/*", "github.com/acme/widget", true)]
    [InlineData("github.com/acme/*", "github.com/acme-evil/widget", false)]
    [InlineData(".github/workflows/*.yml", ".github/workflows/release.yml", true)]
    public void MatchSource_WhenPatternGiven_MatchesAsDocumented(string pattern, string value, bool expected) =>
        Assert.Equal(expected, Glob.MatchSource(pattern, value));

    [Fact]
    public void MatchSource_WhenIgnoreCase_FoldsCase()
    {
        Assert.True(Glob.MatchSource("github.com/ACME/*", "github.com/acme/x", ignoreCase: true));
        Assert.False(Glob.MatchSource("github.com/ACME/*", "github.com/acme/x"));
    }

    /// <summary>Seeded random patterns and texts over a small alphabet, against a regex translation.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Match_WhenRandomInputs_AgreesWithRegexReference(int seed)
    {
        var random = new Random(seed);
        const string textAlphabet = "ab/-@";
        const string patternAlphabet = "ab/-@*?";
        for (var i = 0; i < 3000; i++)
        {
            var pattern = RandomString(random, patternAlphabet, random.Next(0, 8));
            var text = RandomString(random, textAlphabet, random.Next(0, 10));
            foreach (var slash in new[] { false, true })
            {
                var expected = Reference(pattern, slash).IsMatch(text);
                Assert.True(expected == Glob.Match(pattern, text, slash, ignoreCase: false), $"pattern '{pattern}' text '{text}' slash {slash}: expected {expected}");
            }
        }
    }

    [Fact]
    public void Match_WhenPathologicalPattern_FinishesAndIsCorrect()
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", 200)) + "b";
        var text = new string('a', 5000);
        Assert.False(Glob.MatchName(pattern, text));
        Assert.True(Glob.MatchName(pattern, text + "b"));
    }

    private static string RandomString(Random r, string alphabet, int length)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            sb.Append(alphabet[r.Next(alphabet.Length)]);
        }

        return sb.ToString();
    }

    private static Regex Reference(string pattern, bool slashSeparates)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
            {
                var doubled = false;
                while (i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    doubled = true;
                    i++;
                }

                sb.Append(slashSeparates && !doubled ? "[^/]*" : ".*");
            }
            else if (c == '?')
            {
                sb.Append(slashSeparates ? "[^/]" : ".");
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }
}
