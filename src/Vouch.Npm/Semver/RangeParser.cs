using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace Vouch.Npm;

/// <summary>
/// Turns a range string into sets of primitive comparators the way node-semver does with loose
/// parsing off: collapse whitespace, split on <c>||</c>, strip build metadata, expand a hyphen range,
/// glue operators to their operands, then desugar each token (caret, tilde, x-range, star) into
/// primitives and parse those strictly. Desugaring works on text, as node-semver does, because
/// several of its edge cases (prefix characters, partial operands, overflow on increment) only come
/// out right that way.
/// </summary>
internal static partial class RangeParser
{
    // The grammar pieces of node-semver's range.bnf, written out for .NET. Only ' ' appears as
    // whitespace here because the input was collapsed first.
    private const string Xr = @"(?:0|[1-9][0-9]*|[xX*])";
    private const string PreId = @"(?:[0-9]*[A-Za-z-][0-9A-Za-z-]*|0|[1-9][0-9]*)";
    private const string PreIds = PreId + @"(?:\." + PreId + ")*";
    private const string BuildPart = @"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)";

    private const string Partial =
        "[v= ]*(?<M>" + Xr + @")(?:\.(?<m>" + Xr + @")(?:\.(?<p>" + Xr + ")(?:-(?<pr>" + PreIds + "))?" + BuildPart + "?)?)?";

    private const string FromPartial =
        "(?<from>[v= ]*(?<fM>" + Xr + @")(?:\.(?<fm>" + Xr + @")(?:\.(?<fp>" + Xr + ")(?:-(?<fpr>" + PreIds + "))?" + BuildPart + "?)?)?)";

    private const string ToPartial =
        "(?<to>[v= ]*(?<tM>" + Xr + @")(?:\.(?<tm>" + Xr + @")(?:\.(?<tp>" + Xr + ")(?:-(?<tpr>" + PreIds + "))?" + BuildPart + "?)?)?)";

    [GeneratedRegex("^ *" + FromPartial + " +- +" + ToPartial + " *$", RegexOptions.CultureInvariant)]
    private static partial Regex HyphenRegex();

    [GeneratedRegex("^~>?" + Partial + "$", RegexOptions.CultureInvariant)]
    private static partial Regex TildeRegex();

    [GeneratedRegex(@"^\^" + Partial + "$", RegexOptions.CultureInvariant)]
    private static partial Regex CaretRegex();

    [GeneratedRegex("^(?<op>[<>]?=?) *" + Partial + "$", RegexOptions.CultureInvariant)]
    private static partial Regex XRangeRegex();

    /// <summary>Parses a whole range into its comparator sets, or null when node-semver would throw.</summary>
    public static List<Comparator[]>? Parse(string text, bool includePrerelease)
    {
        if (text.Length > Limits.MaxRangeLength)
        {
            return null;
        }

        var raw = JsWhitespace.TrimAndCollapse(text);
        var sets = new List<Comparator[]>();
        foreach (var part in raw.Split("||"))
        {
            var set = ParseSet(part.Trim(' '), includePrerelease);
            if (set is null)
            {
                return null;
            }

            sets.Add(set);
        }

        if (sets.Count > 1)
        {
            // Unsatisfiable alternatives add nothing (keep one if that is all there is), and an
            // alternative that is "*" swallows the rest: node-semver does both, and the second one
            // is observable (`* || 1.2.3-beta` does not admit 1.2.3-beta), so we match it.
            var first = sets[0];
            sets.RemoveAll(s => s[0].IsNullSet);
            if (sets.Count == 0)
            {
                sets.Add(first);
            }
            else if (sets.Count > 1)
            {
                var any = sets.FirstOrDefault(s => s.Length == 1 && s[0].Operator == ComparatorOperator.Any);
                if (any is not null)
                {
                    sets = [any];
                }
            }
        }

        return sets;
    }

    private static Comparator[]? ParseSet(string part, bool includePrerelease)
    {
        var s = StripBuildMetadata(part);
        s = ExpandHyphen(s, includePrerelease);
        s = GlueComparatorOperators(s);
        s = GlueTildeAndCaret(s);

        var pieces = new List<string>();
        foreach (var token in s.Split(' '))
        {
            var desugared = Desugar(token, includePrerelease);
            foreach (var piece in desugared.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                pieces.Add(piece);
            }
        }

        var comparators = new List<Comparator>();
        foreach (var piece in pieces)
        {
            // ">=0.0.0" admits the same versions as "*"; node-semver rewrites it so they print alike.
            var p = piece == (includePrerelease ? ">=0.0.0-0" : ">=0.0.0") ? "" : piece;
            var comparator = Comparator.Parse(p);
            if (comparator is null)
            {
                return null;
            }

            comparators.Add(comparator);
        }

        if (comparators.Count == 0)
        {
            return [Comparator.Any];
        }

        var nullSet = comparators.FirstOrDefault(c => c.IsNullSet);
        if (nullSet is not null)
        {
            return [nullSet];
        }

        var distinct = new List<Comparator>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in comparators)
        {
            if (seen.Add(c.Value))
            {
                distinct.Add(c);
            }
        }

        if (distinct.Count > 1)
        {
            distinct.RemoveAll(c => c.Operator == ComparatorOperator.Any);
        }

        return [.. distinct];
    }

    /// <summary>Removes every <c>+build</c> suffix: build metadata never takes part in ranges.</summary>
    internal static string StripBuildMetadata(string s)
    {
        if (!s.Contains('+', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == '+')
            {
                var end = ScanBuild(s, i + 1);
                if (end > i + 1)
                {
                    i = end;
                    continue;
                }
            }

            sb.Append(s[i]);
            i++;
        }

        return sb.ToString();
    }

    // Returns the end of `ident(.ident)*` starting at `start`, or `start` when there is none.
    private static int ScanBuild(string s, int start)
    {
        var end = start;
        while (end < s.Length && SemVersion.IsIdentifierChar(s[end]))
        {
            end++;
        }

        if (end == start)
        {
            return start;
        }

        while (end + 1 < s.Length && s[end] == '.' && SemVersion.IsIdentifierChar(s[end + 1]))
        {
            end += 2;
            while (end < s.Length && SemVersion.IsIdentifierChar(s[end]))
            {
                end++;
            }
        }

        return end;
    }

    private static string ExpandHyphen(string s, bool includePrerelease)
    {
        var m = HyphenRegex().Match(s);
        if (!m.Success)
        {
            return s;
        }

        var z = includePrerelease ? "-0" : "";
        string from;
        var fM = m.Groups["fM"];
        var fm = m.Groups["fm"];
        var fp = m.Groups["fp"];
        if (IsX(fM))
        {
            from = "";
        }
        else if (IsX(fm))
        {
            from = $">={fM.Value}.0.0{z}";
        }
        else if (IsX(fp))
        {
            from = $">={fM.Value}.{fm.Value}.0{z}";
        }
        else if (m.Groups["fpr"].Success)
        {
            // The operand is used as written (prefix characters included), as node-semver does.
            from = ">=" + m.Groups["from"].Value;
        }
        else
        {
            from = ">=" + m.Groups["from"].Value + z;
        }

        string to;
        var tM = m.Groups["tM"];
        var tm = m.Groups["tm"];
        var tp = m.Groups["tp"];
        var tpr = m.Groups["tpr"];
        if (IsX(tM))
        {
            to = "";
        }
        else if (IsX(tm))
        {
            to = $"<{Increment(tM.Value)}.0.0-0";
        }
        else if (IsX(tp))
        {
            to = $"<{tM.Value}.{Increment(tm.Value)}.0-0";
        }
        else if (tpr.Success)
        {
            to = $"<={tM.Value}.{tm.Value}.{tp.Value}-{tpr.Value}";
        }
        else if (includePrerelease)
        {
            to = $"<{tM.Value}.{tm.Value}.{Increment(tp.Value)}-0";
        }
        else
        {
            to = "<=" + m.Groups["to"].Value;
        }

        return (from + " " + to).Trim(' ');
    }

    /// <summary>
    /// Removes the single space between a comparison operator and its operand (<c>&gt;= 1.2.3</c>
    /// becomes <c>&gt;=1.2.3</c>). The scan mirrors node-semver's: a candidate starts at a
    /// <c>&lt;</c>/<c>&gt;</c> or at a run of prefix characters (<c>v</c>, <c>=</c>, space) that
    /// leads to a version; only a space right after <c>[ ]?[&lt;&gt;]?=?</c> at that start is removed,
    /// and a matched version is skipped whole.
    /// </summary>
    internal static string GlueComparatorOperators(string s)
    {
        if (!s.Contains(' ', StringComparison.Ordinal))
        {
            return s;
        }

        var drop = new bool[s.Length];
        var any = false;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            if (s[i] is '<' or '>')
            {
                i++;
            }
            else if (!IsPrefixChar(s[i]) && !IsVersionStart(s[i]))
            {
                i++;
                continue;
            }

            while (i < s.Length && IsPrefixChar(s[i]))
            {
                i++;
            }

            if (i >= s.Length || !IsVersionStart(s[i]))
            {
                continue;
            }

            var k = start;
            if (s[k] == ' ')
            {
                k++;
            }

            if (k < s.Length && s[k] is '<' or '>')
            {
                k++;
            }

            if (k < s.Length && s[k] == '=')
            {
                k++;
            }

            if (k < s.Length && s[k] == ' ')
            {
                drop[k] = true;
                any = true;
            }

            // Skip the operand so characters inside it (a prerelease's "v") are not read as prefixes.
            while (i < s.Length && IsOperandChar(s[i]))
            {
                i++;
            }
        }

        if (!any)
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        for (var j = 0; j < s.Length; j++)
        {
            if (!drop[j])
            {
                sb.Append(s[j]);
            }
        }

        return sb.ToString();
    }

    /// <summary><c>~ 1.2</c> and <c>~&gt; 1.2</c> become <c>~1.2</c>; <c>^ 1.2</c> becomes <c>^1.2</c>.</summary>
    internal static string GlueTildeAndCaret(string s)
    {
        if (!s.Contains(' ', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '~')
            {
                var j = i + 1;
                if (j < s.Length && s[j] == '>')
                {
                    j++;
                }

                if (j < s.Length && s[j] == ' ')
                {
                    // node-semver drops the '>' of "~> " here too; "~" and "~>" mean the same.
                    while (j < s.Length && s[j] == ' ')
                    {
                        j++;
                    }

                    sb.Append('~');
                    i = j;
                    continue;
                }
            }

            sb.Append(c);
            i++;
        }

        var afterTilde = sb.ToString();
        sb.Clear();
        i = 0;
        while (i < afterTilde.Length)
        {
            var c = afterTilde[i];
            sb.Append(c);
            i++;
            if (c == '^')
            {
                while (i < afterTilde.Length && afterTilde[i] == ' ')
                {
                    i++;
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>Expands one space-free token into zero or more primitive comparators (space-separated).</summary>
    private static string Desugar(string token, bool includePrerelease)
    {
        var s = ReplaceCaret(token, includePrerelease);
        s = string.Join(' ', s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => ReplaceTilde(t, includePrerelease)));
        s = string.Join(' ', s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => ReplaceXRange(t, includePrerelease)));
        return RemoveFirstStar(s.Trim(' '));
    }

    private static string ReplaceCaret(string token, bool includePrerelease)
    {
        var m = CaretRegex().Match(token);
        if (!m.Success)
        {
            return token;
        }

        var z = includePrerelease ? "-0" : "";
        var (major, minor, patch, pre) = (m.Groups["M"], m.Groups["m"], m.Groups["p"], m.Groups["pr"]);
        var M = major.Value;
        var mi = minor.Value;
        var p = patch.Value;
        if (IsX(major))
        {
            return "";
        }

        if (IsX(minor))
        {
            return $">={M}.0.0{z} <{Increment(M)}.0.0-0";
        }

        if (IsX(patch))
        {
            // ^0.x keeps the minor fixed; ^1.x keeps the major fixed.
            return M == "0"
                ? $">={M}.{mi}.0{z} <{M}.{Increment(mi)}.0-0"
                : $">={M}.{mi}.0{z} <{Increment(M)}.0.0-0";
        }

        var lower = pre.Success ? $">={M}.{mi}.{p}-{pre.Value}" : $">={M}.{mi}.{p}";
        string upper;
        if (M == "0")
        {
            // ^0.0.x admits only that patch; ^0.y.z only that minor.
            upper = mi == "0" ? $"<{M}.{mi}.{Increment(p)}-0" : $"<{M}.{Increment(mi)}.0-0";
        }
        else
        {
            upper = $"<{Increment(M)}.0.0-0";
        }

        return lower + " " + upper;
    }

    private static string ReplaceTilde(string token, bool includePrerelease)
    {
        var m = TildeRegex().Match(token);
        if (!m.Success)
        {
            return token;
        }

        var z = includePrerelease ? "-0" : "";
        var (major, minor, patch, pre) = (m.Groups["M"], m.Groups["m"], m.Groups["p"], m.Groups["pr"]);
        if (IsX(major))
        {
            return "";
        }

        var M = major.Value;
        if (IsX(minor))
        {
            return $">={M}.0.0{z} <{Increment(M)}.0.0-0";
        }

        var mi = minor.Value;
        if (IsX(patch))
        {
            return $">={M}.{mi}.0{z} <{M}.{Increment(mi)}.0-0";
        }

        var lower = pre.Success ? $">={M}.{mi}.{patch.Value}-{pre.Value}" : $">={M}.{mi}.{patch.Value}";
        return $"{lower} <{M}.{Increment(mi)}.0-0";
    }

    private static string ReplaceXRange(string token, bool includePrerelease)
    {
        var m = XRangeRegex().Match(token);
        if (!m.Success)
        {
            return token;
        }

        var (major, minor, patch) = (m.Groups["M"], m.Groups["m"], m.Groups["p"]);
        // "x.1" and "1.x.2" are not x-ranges; leave them to fail as comparators.
        if ((IsX(major) && !IsX(minor)) || (IsX(minor) && patch.Success && !IsX(patch)))
        {
            return token;
        }

        var op = m.Groups["op"].Value;
        var xMajor = IsX(major);
        var xMinor = xMajor || IsX(minor);
        var xPatch = xMinor || IsX(patch);
        if (op == "=" && xPatch)
        {
            op = "";
        }

        var pr = includePrerelease ? "-0" : "";
        if (xMajor)
        {
            // ">*" and "<*" admit nothing; every other operator with "*" admits everything.
            return op is ">" or "<" ? Comparator.NullSetValue : "*";
        }

        var M = major.Value;
        var mi = minor.Value;
        if (op.Length > 0 && xPatch)
        {
            if (xMinor)
            {
                mi = "0";
            }

            var p = "0";
            if (op == ">")
            {
                // >1 means >=2.0.0; >1.2 means >=1.3.0.
                op = ">=";
                if (xMinor)
                {
                    M = Increment(M);
                    mi = "0";
                }
                else
                {
                    mi = Increment(mi);
                }
            }
            else if (op == "<=")
            {
                // <=1.2 means <1.3.0-0: every 1.2.x is admitted.
                op = "<";
                if (xMinor)
                {
                    M = Increment(M);
                }
                else
                {
                    mi = Increment(mi);
                }
            }

            if (op == "<")
            {
                pr = "-0";
            }

            return $"{op}{M}.{mi}.{p}{pr}";
        }

        if (xMinor)
        {
            return $">={M}.0.0{pr} <{Increment(M)}.0.0-0";
        }

        if (xPatch)
        {
            return $">={M}.{mi}.0{pr} <{M}.{Increment(mi)}.0-0";
        }

        return token;
    }

    // node-semver removes the first "*" (with any operator before it) from the desugared token: a
    // star is "anything", which in an intersection is the same as nothing.
    private static string RemoveFirstStar(string s)
    {
        var k = s.IndexOf('*', StringComparison.Ordinal);
        if (k < 0)
        {
            return s;
        }

        var start = k;
        while (start > 0 && s[start - 1] == ' ')
        {
            start--;
        }

        if (start > 0 && s[start - 1] == '=')
        {
            start--;
        }

        if (start > 0 && s[start - 1] is '<' or '>')
        {
            start--;
        }

        return s[..start] + s[(k + 1)..];
    }

    private static bool IsX(Group g) => !g.Success || g.Value is "x" or "X" or "*" or "";

    // Components are canonical digit strings of any length; overflow past MAX_SAFE_INTEGER is caught
    // when the resulting comparator's version is parsed, exactly where node-semver catches it.
    private static string Increment(string digits) =>
        (BigInteger.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsPrefixChar(char c) => c is 'v' or '=' or ' ';

    private static bool IsVersionStart(char c) => char.IsAsciiDigit(c) || c is 'x' or 'X' or '*';

    private static bool IsOperandChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' or '*';
}
