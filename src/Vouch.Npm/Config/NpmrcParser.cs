using System.Text;
using System.Text.Json;

namespace Vouch.Npm;

/// <summary>
/// Reads the ini dialect npm uses for <c>.npmrc</c>: <c>key = value</c> lines, whole-line comments
/// with <c>;</c> or <c>#</c>, unquoted values cut at an unescaped <c>;</c>/<c>#</c>, double-quoted
/// values read as JSON strings, single-quoted values taken verbatim, and <c>${VAR}</c> expanded from
/// the environment in keys and values. Keys under a <c>[section]</c> header are ignored because npm
/// nests them where no setting is ever looked up.
/// </summary>
internal static class NpmrcParser
{
    public static List<KeyValuePair<string, string>> Parse(string text, IReadOnlyDictionary<string, string> environment, ICollection<string> warnings, string source)
    {
        var result = new List<KeyValuePair<string, string>>();
        var inSection = false;
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] is ';' or '#')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                inSection = true;
                continue;
            }

            if (inSection)
            {
                continue;
            }

            var eq = IndexOfUnescaped(line, '=');
            string key;
            string value;
            if (eq < 0)
            {
                // A bare key means "true" in ini.
                key = Unquote(line);
                value = "true";
            }
            else
            {
                key = Unquote(line[..eq].Trim());
                value = Unquote(line[(eq + 1)..].Trim());
            }

            if (key.EndsWith("[]", StringComparison.Ordinal))
            {
                key = key[..^2];
            }

            key = ExpandEnvironment(key, environment, warnings, source, lineNumber);
            value = ExpandEnvironment(value, environment, warnings, source, lineNumber);
            if (key.Length > 0)
            {
                result.Add(new(key, value));
            }
        }

        return result;
    }

    private static int IndexOfUnescaped(string s, char c)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\')
            {
                i++;
                continue;
            }

            if (s[i] == c)
            {
                return i;
            }
        }

        return -1;
    }

    // ini's "unsafe" decoding of one key or value.
    private static string Unquote(string s)
    {
        if (s.Length >= 2 && s[0] == '"' && s[^1] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(s) ?? "";
            }
            catch (JsonException)
            {
                return s[1..^1];
            }
        }

        if (s.Length >= 2 && s[0] == '\'' && s[^1] == '\'')
        {
            return s[1..^1];
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '\\' or ';' or '#')
            {
                sb.Append(s[i + 1]);
                i++;
                continue;
            }

            if (c is ';' or '#')
            {
                break;
            }

            sb.Append(c);
        }

        return sb.ToString().Trim();
    }

    /// <summary>
    /// Replaces <c>${NAME}</c> with the variable's value. As in npm, an unset variable is left as
    /// written (so the mistake stays visible) unless written <c>${NAME?}</c>, which becomes empty;
    /// a backslash before <c>$</c> keeps the text literal.
    /// </summary>
    internal static string ExpandEnvironment(string s, IReadOnlyDictionary<string, string> environment, ICollection<string>? warnings, string source, int line)
    {
        if (!s.Contains("${", StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] == '$')
            {
                sb.Append('$');
                i += 2;
                continue;
            }

            if (s[i] == '$' && i + 1 < s.Length && s[i + 1] == '{')
            {
                var close = s.IndexOf('}', i + 2);
                if (close > i + 2)
                {
                    var name = s[(i + 2)..close];
                    var optional = name.EndsWith('?');
                    if (optional)
                    {
                        name = name[..^1];
                    }

                    if (name.Length > 0 && !name.AsSpan().ContainsAny("${}?"))
                    {
                        if (environment.TryGetValue(name, out var value))
                        {
                            sb.Append(value);
                        }
                        else if (!optional)
                        {
                            warnings?.Add($"{source}:{line}: environment variable {name} is not set; ${{{name}}} was left as written");
                            sb.Append(s, i, close - i + 1);
                        }

                        i = close + 1;
                        continue;
                    }
                }
            }

            sb.Append(s[i]);
            i++;
        }

        return sb.ToString();
    }
}
