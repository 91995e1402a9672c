using System.CommandLine;
using Xunit;

namespace Vouch.Cli.Tests;

/// <summary>A command line builds only the command it names; what it parses must not change because of that.</summary>
public sealed class CommandTreeTests
{
    private static readonly string[] Names = [.. VouchCli.BuildRoot(TextWriter.Null, TextWriter.Null).Subcommands.Select(c => c.Name)];

    public static TheoryData<string> EveryCommand() => [.. Names];

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void RootFor_WhenFirstArgumentNamesACommand_BuildsOnlyThatCommand(string name)
    {
        var root = VouchCli.RootFor([name, "--help"], TextWriter.Null, TextWriter.Null);

        var only = Assert.Single(root.Subcommands);
        Assert.Equal(name, only.Name);
    }

    [Theory]
    [InlineData]
    [InlineData("--version")]
    [InlineData("audt")]
    [InlineData("AUDIT")]
    [InlineData("--help", "audit")]
    public void RootFor_WhenFirstArgumentNamesNoCommand_BuildsTheWholeTree(params string[] args)
    {
        var root = VouchCli.RootFor(args, TextWriter.Null, TextWriter.Null);

        Assert.Equal(Names, root.Subcommands.Select(c => c.Name));
    }

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void RootFor_WhenACommandIsParsedAlone_ParsesAsInTheWholeTree(string name)
    {
        // The same options and arguments, recursively: a lone command parses exactly as in the whole tree.
        var alone = Assert.Single(VouchCli.RootFor([name], TextWriter.Null, TextWriter.Null).Subcommands);
        var inTree = VouchCli.BuildRoot(TextWriter.Null, TextWriter.Null).Subcommands.Single(c => c.Name == name);

        Assert.Equal(Shape(inTree), Shape(alone));
    }

    [Fact]
    public async Task RunAsync_WhenFirstArgumentIsATypo_ExitsTwoWithOneLine()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await VouchCli.RunAsync(["audt"], stdout, stderr);

        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().TrimEnd().Split('\n'));
    }

    private static List<string> Shape(Command command, string prefix = "")
    {
        var lines = new List<string> { $"{prefix}{command.Name}: {command.Description}" };
        lines.AddRange(command.Options.Select(o => $"{prefix}  {o.Name} [{string.Join(',', o.Aliases.Order(StringComparer.Ordinal))}] {o.ValueType.Name} {o.Required} {o.Recursive}: {o.Description}"));
        lines.AddRange(command.Arguments.Select(a => $"{prefix}  <{a.Name}> {a.ValueType.Name} {a.Arity.MinimumNumberOfValues}..{a.Arity.MaximumNumberOfValues}: {a.Description}"));
        foreach (var sub in command.Subcommands)
        {
            lines.AddRange(Shape(sub, prefix + "  "));
        }

        return lines;
    }
}
