using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Vouch.Common.Yaml;

/// <summary>Caps for one YAML document from an untrusted source.</summary>
/// <param name="MaxDepth">Deepest nesting of mappings and sequences.</param>
/// <param name="MaxAliases">Aliases (<c>*name</c>) allowed; 0 refuses any (a small file cannot expand into a huge tree).</param>
public sealed record YamlLimits(int MaxDepth, int MaxAliases);

public enum YamlProblem
{
    /// <summary>Not YAML; <see cref="YamlLoadError.Reason"/> says why in YamlDotNet's words.</summary>
    Syntax,
    TooDeep,
    TooManyAliases,
    SeveralDocuments,
    Empty,
}

/// <summary>Where and why a document was refused (1-based line and column).</summary>
public sealed record YamlLoadError(YamlProblem Problem, int Line, int Column, string Reason);

/// <summary>The root node (null when refused) and how many aliases it used.</summary>
public sealed record YamlLoadResult(YamlNode? Root, int Aliases, YamlLoadError? Error);

/// <summary>
/// The one YAML loader (issue 13): every YAML document Vouch reads into a tree (policies, sandbox
/// scenarios, CI workflows) comes through here, so depth, alias and document-count caps are checked
/// once, on YamlDotNet's event stream, before any tree is built. Lockfiles are the exception: their
/// streaming reader (Vouch.Npm's YamlLockfileReader) never builds a YamlDotNet tree, to keep memory
/// proportional to the entries.
/// </summary>
public static class YamlLoader
{
    public static YamlLoadResult Load(string text, YamlLimits limits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(limits);
        var last = new Mark();
        try
        {
            var aliases = 0;
            var depth = 0;
            var documents = 0;
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                var at = parser.Current!.Start;
                last = at;
                switch (parser.Current)
                {
                    case AnchorAlias:
                        if (++aliases > limits.MaxAliases)
                        {
                            return Refused(YamlProblem.TooManyAliases, at, limits.MaxAliases == 0
                                ? "YAML aliases such as *name are not allowed"
                                : $"more than {limits.MaxAliases} YAML aliases");
                        }

                        break;
                    case MappingStart or SequenceStart:
                        if (++depth > limits.MaxDepth)
                        {
                            return Refused(YamlProblem.TooDeep, at, $"nesting deeper than {limits.MaxDepth} levels");
                        }

                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                    case DocumentStart:
                        if (++documents > 1)
                        {
                            return Refused(YamlProblem.SeveralDocuments, at, "more than one YAML document");
                        }

                        break;
                }
            }

            if (documents == 0)
            {
                return Refused(YamlProblem.Empty, new Mark(), "no YAML document (the text is empty)");
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return new YamlLoadResult(stream.Documents[0].RootNode, aliases, null);
        }
        catch (YamlException e)
        {
            return Refused(YamlProblem.Syntax, e.Start, Reason(e));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this on some malformed flow collections (for example an
            // unclosed "[1, 2" followed by a mapping key); it is bad input, not a bug of the caller.
            return Refused(YamlProblem.Syntax, last, "malformed YAML (an unclosed flow collection or scalar)");
        }
    }

    private static YamlLoadResult Refused(YamlProblem problem, Mark at, string reason) =>
        new(null, 0, new YamlLoadError(problem, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), reason));

    // YamlDotNet prefixes its messages with "(Line: 1, Col: 2, Idx: 3) - (…): "; the position is reported separately.
    private static string Reason(YamlException e)
    {
        var reason = e.InnerException?.Message ?? e.Message;
        var colon = reason.IndexOf("): ", StringComparison.Ordinal);
        if (reason.StartsWith('(') && colon > 0)
        {
            reason = reason[(colon + 3)..];
        }

        var newline = reason.IndexOfAny(['\r', '\n']);
        return newline < 0 ? reason : reason[..newline];
    }
}
