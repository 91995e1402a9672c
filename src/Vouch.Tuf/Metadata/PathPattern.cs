namespace Vouch.Tuf.Metadata;

/// <summary>
/// Delegation path patterns as the spec and python-tuf read them: the target path and the pattern
/// are split on "/", must have the same number of segments, and each segment matches with shell
/// glob rules (<c>*</c>, <c>?</c>, <c>[seq]</c>, <c>[!seq]</c>), so <c>*</c> never crosses a "/".
/// </summary>
internal static class PathPattern
{
    public static bool Matches(string targetPath, string pattern)
    {
        var targetParts = targetPath.Split('/');
        var patternParts = pattern.Split('/');
        if (targetParts.Length != patternParts.Length)
        {
            return false;
        }

        for (var i = 0; i < targetParts.Length; i++)
        {
            if (!MatchSegment(targetParts[i], Tokenize(patternParts[i])))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Two-pointer glob matching that backtracks only to the last <c>*</c>: linear in practice and
    /// at worst quadratic, never exponential, whatever pattern a repository signs.
    /// </summary>
    private static bool MatchSegment(string text, List<Token> pattern)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Count && pattern[p].Kind != TokenKind.Star && pattern[p].Accepts(text[t]))
            {
                t++;
                p++;
            }
            else if (p < pattern.Count && pattern[p].Kind == TokenKind.Star)
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Count && pattern[p].Kind == TokenKind.Star)
        {
            p++;
        }

        return p == pattern.Count;
    }

    private static List<Token> Tokenize(string pattern)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '*')
            {
                // Consecutive stars mean the same as one and would only cost backtracking.
                if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Star)
                {
                    tokens.Add(Token.Star);
                }

                i++;
            }
            else if (c == '?')
            {
                tokens.Add(Token.Any);
                i++;
            }
            else if (c == '[' && TryReadClass(pattern, i, out var token, out var next))
            {
                tokens.Add(token);
                i = next;
            }
            else
            {
                tokens.Add(Token.Literal(c));
                i++;
            }
        }

        return tokens;
    }

    /// <summary>
    /// Reads "[...]" at <paramref name="start"/>. As in fnmatch, a "]" right after "[" or "[!" is a
    /// member, and a "[" with no closing "]" is a literal character.
    /// </summary>
    private static bool TryReadClass(string pattern, int start, out Token token, out int next)
    {
        var i = start + 1;
        var negate = false;
        if (i < pattern.Length && pattern[i] == '!')
        {
            negate = true;
            i++;
        }

        var ranges = new List<(char From, char To)>();
        var first = true;
        while (i < pattern.Length && (first || pattern[i] != ']'))
        {
            first = false;
            var from = pattern[i];
            if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
            {
                ranges.Add((from, pattern[i + 2]));
                i += 3;
            }
            else
            {
                ranges.Add((from, from));
                i++;
            }
        }

        if (i >= pattern.Length)
        {
            token = default;
            next = start;
            return false;
        }

        token = Token.Class(ranges, negate);
        next = i + 1;
        return true;
    }

    private enum TokenKind
    {
        Literal,
        Any,
        Star,
        Class,
    }

    private readonly record struct Token(TokenKind Kind, char Char, IReadOnlyList<(char From, char To)>? Ranges, bool Negate)
    {
        public static Token Star => new(TokenKind.Star, '\0', null, false);

        public static Token Any => new(TokenKind.Any, '\0', null, false);

        public static Token Literal(char c) => new(TokenKind.Literal, c, null, false);

        public static Token Class(IReadOnlyList<(char From, char To)> ranges, bool negate) => new(TokenKind.Class, '\0', ranges, negate);

        public bool Accepts(char c) => Kind switch
        {
            TokenKind.Literal => c == Char,
            TokenKind.Any => true,
            TokenKind.Class => Ranges!.Any(r => c >= r.From && c <= r.To) != Negate,
            _ => false,
        };
    }
}
