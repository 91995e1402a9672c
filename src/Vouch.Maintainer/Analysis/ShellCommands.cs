using Vouch.Maintainer.Repo;

namespace Vouch.Maintainer.Analysis;

/// <summary>A command in a shell script that publishes to a registry.</summary>
public sealed record PublishCommand
{
    /// <summary>npm, pnpm, yarn, yarn-classic, bun, changesets, semantic-release, lerna, nx, release-it, script.</summary>
    public required string Kind { get; init; }

    /// <summary>Offset of the command's first word in the scanned text.</summary>
    public required int Start { get; init; }

    /// <summary>The words of the command, as written.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// Offset just after the literal <c>publish</c> word of an npm/pnpm command written in the scanned
    /// text itself, where <c>--provenance</c> can be inserted; -1 otherwise (a script, another tool).
    /// </summary>
    public int FlagInsertAt { get; init; } = -1;

    /// <summary><c>--provenance</c> (or <c>--provenance=true</c>) is on the command line.</summary>
    public bool ProvenanceFlag { get; init; }

    /// <summary><c>--registry=URL</c> or <c>--@scope:registry=URL</c> on the command line.</summary>
    public string? Registry { get; init; }
}

/// <summary>
/// Finds publishing commands in shell text (a workflow's <c>run:</c>, a GitLab <c>script:</c> line, a
/// package.json script). This is a word splitter, not a shell: it follows quotes, comments, line
/// continuations and the separators <c>; &amp; | ( ) `</c> and newlines, which is what publishing commands in
/// real workflows need; it does not expand variables or follow functions.
/// </summary>
public static partial class ShellCommands
{
    private static readonly HashSet<string> PackageManagers = new(StringComparer.Ordinal) { "npm", "pnpm", "pn", "yarn", "bun" };
    private static readonly HashSet<string> Interpreters = new(StringComparer.Ordinal) { "node", "bash", "sh", "zsh", "tsx", "ts-node", "zx", "deno", "bun", "python", "python3" };
    private static readonly HashSet<string> Prefixes = new(StringComparer.Ordinal) { "sudo", "exec", "time", "env", "command", "nohup", "then", "do", "else", "!" };

    /// <summary>Publishing commands in <paramref name="text"/>; package.json scripts are followed (three levels).</summary>
    public static List<PublishCommand> Find(string text, IReadOnlyList<PackageManifest> packages, int depth = 0)
    {
        var found = new List<PublishCommand>();
        foreach (var command in Split(text))
        {
            Classify(command, packages, depth, found);
        }

        return found;
    }

    private static void Classify(List<(string Word, int Start)> words, IReadOnlyList<PackageManifest> packages, int depth, List<PublishCommand> found)
    {
        var i = 0;
        while (i < words.Count && (Prefixes.Contains(words[i].Word) || IsAssignment(words[i].Word)))
        {
            i++;
        }

        if (i >= words.Count)
        {
            return;
        }

        var rest = words.Skip(i).ToList();
        var tool = BaseName(rest[0].Word);
        var args = rest.Skip(1).Select(w => w.Word).ToList();
        var nonOptions = rest.Skip(1).Where(w => !w.Word.StartsWith('-')).ToList();
        var text = string.Join(' ', rest.Select(w => w.Word));
        var flag = args.Any(a => a is "--provenance" or "--provenance=true");
        var registry = args.Select(RegistryOf).FirstOrDefault(r => r is not null);
        PublishCommand Make(string kind, int insertAt = -1) =>
            new() { Kind = kind, Start = rest[0].Start, Text = text, FlagInsertAt = insertAt, ProvenanceFlag = flag, Registry = registry };

        if (tool is "npx" or "bunx" || (PackageManagers.Contains(tool) && nonOptions.Count > 0 && nonOptions[0].Word is "exec" or "x" or "dlx"))
        {
            var from = tool is "npx" or "bunx" ? rest.Skip(1) : rest.SkipWhile(w => w.Word is not ("exec" or "x" or "dlx")).Skip(1);
            var inner = from.SkipWhile(w => w.Word.StartsWith('-')).ToList();
            if (inner.Count > 0)
            {
                Classify(inner, packages, depth, found);
            }

            return;
        }

        if (PackageManagers.Contains(tool))
        {
            var sub = nonOptions.Count > 0 ? nonOptions[0].Word : null;
            if (sub is "run" or "run-script" && nonOptions.Count > 1)
            {
                Script(nonOptions[1].Word, rest[0].Start, text, packages, depth, found);
                return;
            }

            if (tool == "yarn" && sub == "npm" && nonOptions.Count > 1 && nonOptions[1].Word == "publish")
            {
                found.Add(Make("yarn"));
                return;
            }

            var publish = nonOptions.Take(2).FirstOrDefault(w => w.Word == "publish");
            if (publish.Word is not null)
            {
                var kind = tool switch { "pn" => "pnpm", "yarn" => "yarn-classic", _ => tool };
                found.Add(Make(kind, kind is "npm" or "pnpm" ? publish.Start + "publish".Length : -1));
                return;
            }

            // `yarn <script>`, `pnpm <script>` and `bun <script>` run package.json scripts without `run`.
            if (tool is "yarn" or "pnpm" or "pn" or "bun" && sub is not null && !BuiltIns.Contains(sub))
            {
                Script(sub, rest[0].Start, text, packages, depth, found);
            }

            return;
        }

        switch (tool)
        {
            case "changeset" or "changesets" when nonOptions.Count > 0 && nonOptions[0].Word == "publish":
                found.Add(Make("changesets"));
                return;
            case "lerna" when nonOptions.Count > 0 && nonOptions[0].Word == "publish":
                found.Add(Make("lerna"));
                return;
            case "nx" when nonOptions.Count > 0 && nonOptions[0].Word == "release" && !args.Contains("--skip-publish") && (nonOptions.Count == 1 || nonOptions[1].Word is "publish" || nonOptions[1].Word.StartsWith('$')):
                found.Add(Make("nx"));
                return;
            case "release-it" when !args.Contains("--no-npm") && !args.Contains("--dry-run"):
                found.Add(Make("release-it"));
                return;
        }

        if (tool == "semantic-release" || tool.StartsWith("semantic-release@", StringComparison.Ordinal))
        {
            if (!args.Contains("--dry-run") && !args.Contains("-d"))
            {
                found.Add(Make("semantic-release"));
            }

            return;
        }

        // A script file named for publishing, run directly or through an interpreter.
        var scriptWords = Interpreters.Contains(tool) ? nonOptions : rest;
        var target = scriptWords.FirstOrDefault().Word;
        var scriptArgs = scriptWords.Skip(1).Select(w => w.Word).ToList();
        if (target is not null && LooksLikePath(target) && (PublishName(BaseName(target), alsoRelease: depth > 0)
            || (BaseName(target).Contains("publication", StringComparison.OrdinalIgnoreCase) && scriptArgs.Count > 0 && scriptArgs[0] is "stage" or "publish")))
        {
            found.Add(Make("script"));
        }
    }

    private static readonly HashSet<string> BuiltIns = new(StringComparer.Ordinal)
    {
        "install", "i", "add", "ci", "build", "test", "t", "config", "set", "get", "version", "pack", "view", "info", "whoami", "audit",
        "login", "logout", "rebuild", "remove", "rm", "uninstall", "update", "up", "upgrade", "link", "unlink", "init", "create", "cache",
        "dedupe", "outdated", "list", "ls", "why", "exec", "dlx", "x", "run", "setup", "env", "store", "prune", "patch", "workspaces",
        "workspace", "import", "fetch", "deploy", "licenses", "help", "bin", "root", "owner", "access", "dist-tag", "token", "trust",
        "install-test", "it", "cit", "clean-install", "-v", "--version", "constraints", "dedupe", "plugin", "npm", "tag", "stage",
    };

    private static void Script(string name, int start, string text, IReadOnlyList<PackageManifest> packages, int depth, List<PublishCommand> found)
    {
        var body = packages.FirstOrDefault(p => p.Path == "package.json")?.Scripts.GetValueOrDefault(name)
            ?? packages.Select(p => p.Scripts.GetValueOrDefault(name)).FirstOrDefault(s => s is not null);
        if (body is not null && depth < 3)
        {
            var inner = Find(body, packages, depth + 1);
            if (inner.Count > 0)
            {
                // Reported at the workflow's command; flags inside the script still count.
                found.Add(new PublishCommand
                {
                    Kind = "script",
                    Start = start,
                    Text = text,
                    ProvenanceFlag = inner.All(c => c.ProvenanceFlag),
                    Registry = inner.Select(c => c.Registry).FirstOrDefault(r => r is not null),
                });
            }

            return;
        }

        if (body is null && PublishName(name, alsoRelease: true))
        {
            found.Add(new PublishCommand { Kind = "script", Start = start, Text = text });
        }
    }

    /// <summary>A file name that says it publishes ("publish", not "published").</summary>
    public static bool IsPublishName(string name) => PublishName(name, alsoRelease: false);

    /// <summary>A name that says it publishes: "publish" (not "published", which reports on a past publish), or "release" inside package.json scripts.</summary>
    private static bool PublishName(string name, bool alsoRelease) =>
        PublishWord().IsMatch(name) || (alsoRelease && name.Contains("release", StringComparison.OrdinalIgnoreCase));

    [System.Text.RegularExpressions.GeneratedRegex("publish(?!ed)", System.Text.RegularExpressions.RegexOptions.IgnoreCase, 1000)]
    private static partial System.Text.RegularExpressions.Regex PublishWord();

    private static bool LooksLikePath(string word) =>
        word.Contains('/', StringComparison.Ordinal) || word.EndsWith(".sh", StringComparison.Ordinal) || word.EndsWith(".js", StringComparison.Ordinal)
        || word.EndsWith(".mjs", StringComparison.Ordinal) || word.EndsWith(".ts", StringComparison.Ordinal) || word.EndsWith(".mts", StringComparison.Ordinal);

    private static string? RegistryOf(string arg)
    {
        if (arg.StartsWith("--registry=", StringComparison.Ordinal))
        {
            return arg["--registry=".Length..];
        }

        if (arg.StartsWith("--@", StringComparison.Ordinal) && arg.Contains(":registry=", StringComparison.Ordinal))
        {
            return arg[(arg.IndexOf(":registry=", StringComparison.Ordinal) + ":registry=".Length)..];
        }

        return null;
    }

    private static bool IsAssignment(string word)
    {
        var eq = word.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 && word[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }

    private static string BaseName(string word)
    {
        var w = word.Trim('"', '\'');
        var slash = w.LastIndexOf('/');
        return slash >= 0 ? w[(slash + 1)..] : w;
    }

    /// <summary>
    /// Packages a script runs through <c>npx</c>, <c>bunx</c>, <c>pnpm dlx</c> or <c>yarn dlx</c> without an
    /// exact version: offset and the spec as written. npx takes a locally installed copy when there is
    /// one, otherwise whatever the registry's latest is at run time.
    /// </summary>
    public static IEnumerable<(int Start, string Spec)> UnpinnedRunners(string text)
    {
        foreach (var words in Split(text))
        {
            var i = 0;
            while (i < words.Count && (Prefixes.Contains(words[i].Word) || IsAssignment(words[i].Word)))
            {
                i++;
            }

            if (i >= words.Count)
            {
                continue;
            }

            var tool = BaseName(words[i].Word);
            var rest = words.Skip(i + 1).ToList();
            if (tool is "pnpm" or "yarn" && rest.Count > 0 && rest[0].Word == "dlx")
            {
                rest = rest.Skip(1).ToList();
            }
            else if (tool is not ("npx" or "bunx"))
            {
                continue;
            }

            var package = rest.FirstOrDefault(w => !w.Word.StartsWith('-'));
            if (package.Word is null || package.Word.Contains('/', StringComparison.Ordinal) && !package.Word.StartsWith('@'))
            {
                continue;
            }

            var at = package.Word.LastIndexOf('@');
            var version = at > 0 ? package.Word[(at + 1)..] : null;
            if (version is null || !ExactVersion().IsMatch(version))
            {
                yield return (package.Start, package.Word);
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", System.Text.RegularExpressions.RegexOptions.None, 1000)]
    private static partial System.Text.RegularExpressions.Regex ExactVersion();

    /// <summary>Splits text into commands of words (quotes removed), each word with its offset.</summary>
    public static List<List<(string Word, int Start)>> Split(string text)
    {
        var commands = new List<List<(string, int)>>();
        var current = new List<(string, int)>();
        var word = new System.Text.StringBuilder();
        var wordStart = -1;
        void EndWord()
        {
            if (wordStart >= 0)
            {
                current.Add((word.ToString(), wordStart));
                word.Clear();
                wordStart = -1;
            }
        }

        void EndCommand()
        {
            EndWord();
            if (current.Count > 0)
            {
                commands.Add(current);
                current = [];
            }
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\\' when i + 1 < text.Length && text[i + 1] == '\n':
                    i++;
                    EndWord();
                    break;
                case '\\' when i + 2 < text.Length && text[i + 1] == '\r' && text[i + 2] == '\n':
                    i += 2;
                    EndWord();
                    break;
                case ' ' or '\t' or '\r':
                    EndWord();
                    break;
                case '\n' or ';' or '&' or '|' or '(' or ')' or '`':
                    EndCommand();
                    break;
                case '#' when wordStart < 0:
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '\'' or '"':
                    if (wordStart < 0)
                    {
                        wordStart = i;
                    }

                    var close = text.IndexOf(c, i + 1);
                    if (close < 0)
                    {
                        close = text.Length;
                    }

                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '$' when i + 1 < text.Length && text[i + 1] == '(':
                    EndCommand();
                    i++;
                    break;
                default:
                    if (wordStart < 0)
                    {
                        wordStart = i;
                    }

                    word.Append(c);
                    break;
            }
        }

        EndCommand();
        return commands;
    }
}
