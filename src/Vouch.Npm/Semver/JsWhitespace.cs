using System.Text;

namespace Vouch.Npm;

/// <summary>
/// JavaScript's notion of whitespace (what <c>String.prototype.trim</c> and <c>\s</c> match), which
/// node-semver uses to trim and collapse ranges. .NET's char.IsWhiteSpace differs (it includes
/// U+0085 and excludes U+FEFF), so we spell the set out.
/// </summary>
internal static class JsWhitespace
{
    public static bool Is(char c) => c switch
    {
        '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00a0' or '\u1680' or '\u2028' or '\u2029'
            or '\u202f' or '\u205f' or '\u3000' or '\ufeff' => true,
        >= '\u2000' and <= '\u200a' => true,
        _ => false,
    };

    public static string Trim(string s)
    {
        var start = 0;
        var end = s.Length;
        while (start < end && Is(s[start]))
        {
            start++;
        }

        while (end > start && Is(s[end - 1]))
        {
            end--;
        }

        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary>Trims, then replaces every whitespace run with one space.</summary>
    public static string TrimAndCollapse(string s)
    {
        var trimmed = Trim(s);
        var sb = new StringBuilder(trimmed.Length);
        var inRun = false;
        foreach (var c in trimmed)
        {
            if (Is(c))
            {
                if (!inRun)
                {
                    sb.Append(' ');
                }

                inRun = true;
            }
            else
            {
                sb.Append(c);
                inRun = false;
            }
        }

        return sb.ToString();
    }
}
