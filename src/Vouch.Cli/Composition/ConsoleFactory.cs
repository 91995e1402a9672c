using System.Reflection;
using Spectre.Console;

namespace Vouch.Cli.Composition;

/// <summary>The Spectre console every rendering command writes tables through.</summary>
internal static class ConsoleFactory
{
    /// <summary>
    /// Colour only on a real terminal without NO_COLOR; when the output is not a terminal (a test's
    /// writer, a pipe), a fixed 200-column width so cells are not wrapped at an assumed 80 columns.
    /// </summary>
    public static IAnsiConsole Create(TextWriter output, int width = 200)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.Detect,
        });
        if (output != Console.Out || Console.IsOutputRedirected)
        {
            console.Profile.Width = width;
        }

        return console;
    }
}

/// <summary>Vouch's version as reports name the tool (SARIF, CycloneDX).</summary>
internal static class ToolVersion
{
    public static string Current { get; } =
        typeof(ToolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
