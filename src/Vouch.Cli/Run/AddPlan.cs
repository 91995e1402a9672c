using Vouch.Advisories.Check;
using Vouch.Npm;

namespace Vouch.Cli.Run;

/// <summary>Where `vouch add` asks its question; the terminal in production, a fake in tests.</summary>
internal interface IPromptConsole
{
    /// <summary>True when a person can answer (standard input is a terminal).</summary>
    bool IsInteractive { get; }

    /// <summary>One line of input, or null at end of input.</summary>
    string? ReadLine();
}

internal sealed class TerminalPromptConsole : IPromptConsole
{
    public static readonly TerminalPromptConsole Instance = new();

    public bool IsInteractive => !Console.IsInputRedirected;

    public string? ReadLine() => Console.In.ReadLine();
}

/// <summary>What `vouch add` decided after the check and the question.</summary>
internal enum AddDecision
{
    Install,

    /// <summary>The person said no (or nothing).</summary>
    Declined,

    /// <summary>The check failed and nobody was asked (no terminal, or --yes, which accepts only a passing check).</summary>
    RefusedFailedCheck,

    /// <summary>No terminal to ask on, and no --yes.</summary>
    NoTerminal,
}

/// <summary>
/// `vouch add`: the question after the check (npq's flow: default no) and the package manager's
/// command that adds exactly the versions the check resolved.
/// </summary>
internal static class AddPlan
{
    /// <summary>
    /// Asks on a terminal (y/N). <c>--yes</c> answers for a passing check only: a check with errors
    /// is installed only by a person who saw it and typed yes.
    /// </summary>
    public static AddDecision Decide(bool checkFailed, bool yes, IPromptConsole console, TextWriter output)
    {
        if (yes && !checkFailed)
        {
            return AddDecision.Install;
        }

        if (!console.IsInteractive)
        {
            return checkFailed ? AddDecision.RefusedFailedCheck : AddDecision.NoTerminal;
        }

        output.Write(checkFailed ? "The check FAILED. Install anyway? [y/N] " : "Install these versions? [y/N] ");
        output.Flush();
        var answer = console.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase))
            ? AddDecision.Install
            : AddDecision.Declined;
    }

    /// <summary>The project's package manager, from its lockfile (package.json's packageManager field when there is none; npm otherwise).</summary>
    public static (ClientKind? Kind, string? Error) Detect(string project)
    {
        var found = new List<ClientKind>();
        if (File.Exists(Path.Combine(project, "package-lock.json")) || File.Exists(Path.Combine(project, "npm-shrinkwrap.json")))
        {
            found.Add(ClientKind.Npm);
        }

        if (File.Exists(Path.Combine(project, "pnpm-lock.yaml")))
        {
            found.Add(ClientKind.Pnpm);
        }

        if (File.Exists(Path.Combine(project, "yarn.lock")))
        {
            found.Add(ClientKind.Yarn);
        }

        if (File.Exists(Path.Combine(project, "bun.lock")) || File.Exists(Path.Combine(project, "bun.lockb")))
        {
            found.Add(ClientKind.Bun);
        }

        if (found.Count > 1)
        {
            return (null, $"the project has lockfiles of {string.Join(" and ", found.Select(k => k.ToString().ToLowerInvariant()))}: pass --package-manager");
        }

        if (found.Count == 1)
        {
            return (found[0], null);
        }

        var manifest = Path.Combine(project, "package.json");
        if (File.Exists(manifest) && new FileInfo(manifest).Length <= Limits.MaxConfigFileBytes)
        {
            try
            {
                if (Vouch.Common.Json.JsonInput.ParseNode(File.ReadAllText(manifest), Vouch.Npm.Limits.MaxJsonDepth)?["packageManager"]?.GetValue<string>() is { } pm
                    && ChildEnvironment.Classify(pm.Split('@')[0]) is { } declared)
                {
                    return (declared, null);
                }
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or IOException)
            {
                // An unreadable manifest names no package manager; the package manager itself will say what is wrong.
            }
        }

        return (ClientKind.Npm, null);
    }

    /// <summary>The exact versions the check resolved for the requested specs, as install arguments (aliases kept).</summary>
    public static IReadOnlyList<string>? ExactSpecs(IReadOnlyList<PackageSpec> specs, CheckReport report)
    {
        var result = new List<string>();
        foreach (var spec in specs)
        {
            var resolved = report.Packages.FirstOrDefault(p => p.Depth == 0 && p.Path.Count == 1 && p.Path[0] == spec.ToString());
            if (resolved is null)
            {
                return null;
            }

            result.Add(spec.Alias is { } alias ? $"{alias}@npm:{resolved.Name}@{resolved.Version}" : $"{resolved.Name}@{resolved.Version}");
        }

        return result;
    }

    /// <summary>The command line (exact versions saved exactly, so a later resolution cannot pick an unchecked version).</summary>
    public static IReadOnlyList<string> Command(ClientKind kind, IReadOnlyList<string> exact, bool dev) => kind switch
    {
        ClientKind.Npm => ["npm", "install", "--save-exact", .. dev ? ["--save-dev"] : Array.Empty<string>(), .. exact],
        ClientKind.Pnpm => ["pnpm", "add", "--save-exact", .. dev ? ["--save-dev"] : Array.Empty<string>(), .. exact],
        ClientKind.Yarn => ["yarn", "add", "--exact", .. dev ? ["--dev"] : Array.Empty<string>(), .. exact],
        _ => ["bun", "add", "--exact", .. dev ? ["--dev"] : Array.Empty<string>(), .. exact],
    };
}
