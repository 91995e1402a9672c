namespace Vouch.Policy;

/// <summary>
/// The two glob dialects of policy files. Package names: <c>*</c> matches any run of characters
/// (a name holds at most one <c>/</c>, after its scope, so <c>@myorg/*</c> and <c>*</c> mean what
/// they look like). Source values (repositories, workflow paths, refs, builder ids, issuers):
/// <c>*</c> stops at <c>/</c> and <c>**</c> crosses it, so <c>refs/tags/v*</c> does not admit
/// <c>refs/tags/v1/../heads/x</c>-style values and <c>github.com/myorg/*</c> admits no sub-path.
/// <c>?</c> is one character (not <c>/</c> in the source dialect). Everything else is literal.
/// </summary>
public static class Glob
{
    public static bool MatchName(string pattern, string name) => Match(pattern, name, slashSeparates: false, ignoreCase: false);

    public static bool MatchSource(string pattern, string value, bool ignoreCase = false) => Match(pattern, value, slashSeparates: true, ignoreCase);

    /// <summary>
    /// Set-of-positions simulation: O(pattern × text), no backtracking, so a hostile pattern or
    /// value cannot make matching exponential.
    /// </summary>
    internal static bool Match(string pattern, string text, bool slashSeparates, bool ignoreCase)
    {
        var n = text.Length;
        var current = new bool[n + 1];
        var next = new bool[n + 1];
        current[0] = true;
        for (var p = 0; p < pattern.Length; p++)
        {
            Array.Clear(next);
            var c = pattern[p];
            if (c == '*')
            {
                var crossesSlash = !slashSeparates;
                if (p + 1 < pattern.Length && pattern[p + 1] == '*')
                {
                    crossesSlash = true;
                    while (p + 1 < pattern.Length && pattern[p + 1] == '*')
                    {
                        p++;
                    }
                }

                var reachable = false;
                for (var i = 0; i <= n; i++)
                {
                    reachable = current[i] || (reachable && (crossesSlash || text[i - 1] != '/'));
                    next[i] = reachable;
                }
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    if (!current[i])
                    {
                        continue;
                    }

                    var t = text[i];
                    var ok = c == '?'
                        ? !(slashSeparates && t == '/')
                        : ignoreCase ? char.ToLowerInvariant(c) == char.ToLowerInvariant(t) : c == t;
                    if (ok)
                    {
                        next[i + 1] = true;
                    }
                }
            }

            (current, next) = (next, current);
        }

        return current[n];
    }
}
