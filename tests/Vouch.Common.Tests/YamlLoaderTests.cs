using Vouch.Common.Yaml;
using YamlDotNet.RepresentationModel;

namespace Vouch.Common.Tests;

public sealed class YamlLoaderTests
{
    private static readonly YamlLimits Strict = new(MaxDepth: 4, MaxAliases: 0);

    [Fact]
    public void Load_WhenTheDocumentIsPlain_ReturnsItsRoot()
    {
        var result = YamlLoader.Load("a: 1\nb: [x, y]\n", Strict);

        Assert.Null(result.Error);
        var root = Assert.IsType<YamlMappingNode>(result.Root);
        Assert.Equal("1", ((YamlScalarNode)root.Children[new YamlScalarNode("a")]).Value);
    }

    [Fact]
    public void Load_WhenAnAliasBombIsGiven_RefusesBeforeBuildingATree()
    {
        // Nine levels of ten aliases each would be 10^9 nodes once expanded.
        var bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{(char)('b' + i)}: &{(char)('b' + i)} [{string.Join(',', Enumerable.Repeat($"*{(char)('a' + i)}", 10))}]\n"));

        var result = YamlLoader.Load(bomb, new YamlLimits(MaxDepth: 64, MaxAliases: 64));

        Assert.Null(result.Root);
        Assert.Equal(YamlProblem.TooManyAliases, result.Error!.Problem);
    }

    [Theory]
    [InlineData("a: *b\n", YamlProblem.TooManyAliases, 1)]
    [InlineData("a:\n  b:\n    c:\n      d:\n        e: 1\n", YamlProblem.TooDeep, 5)]
    [InlineData("a: 1\n---\nb: 2\n", YamlProblem.SeveralDocuments, 2)]
    [InlineData("", YamlProblem.Empty, 1)]
    [InlineData("a: 1\n b: 2\n", YamlProblem.Syntax, 2)]
    [InlineData("a: [1, 2\nb: 3\n", YamlProblem.Syntax, 1)]
    public void Load_WhenACapIsPassedOrTheTextIsNotYaml_SaysWhichAndWhere(string text, YamlProblem problem, int line)
    {
        var result = YamlLoader.Load(text, Strict);

        Assert.Null(result.Root);
        Assert.Equal(problem, result.Error!.Problem);
        Assert.Equal(line, result.Error.Line);
        Assert.DoesNotContain("\n", result.Error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenAliasesAreAllowedUpToACap_CountsThem()
    {
        var result = YamlLoader.Load("a: &x 1\nb: *x\nc: *x\n", new YamlLimits(MaxDepth: 4, MaxAliases: 2));

        Assert.Null(result.Error);
        Assert.Equal(2, result.Aliases);
    }
}
