using System.Text;

namespace Vouch.Advisories.Check;

/// <summary>How a name resembles another.</summary>
public enum Resemblance
{
    None,

    /// <summary>One or two edits away (insert, delete, substitute, swap adjacent letters).</summary>
    EditDistance,

    /// <summary>Equal after folding separators and look-alike characters (crossenv / cross-env, l0dash / lodash, rn / m).</summary>
    Confusable,

    /// <summary>The popular name plus a decoy affix (twilio-npm, lodash-js, node-axios).</summary>
    Affix,

    /// <summary>The popular scoped name with its scope swapped or flattened (@bable/core, types-node).</summary>
    Scope,
}

public static class NameSimilarity
{
    private static readonly string[] Suffixes = ["-npm", "-js", ".js", "js", "-node", "-official", "-lib", "-package"];
    private static readonly string[] Prefixes = ["npm-", "node-", "js-", "official-"];

    /// <summary>Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring), stopping once past <paramref name="max"/>.</summary>
    public static int Distance(string a, string b, int max)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (Math.Abs(a.Length - b.Length) > max)
        {
            return max + 1;
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            var rowMin = int.MaxValue;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    v = Math.Min(v, d[i - 2, j - 2] + 1);
                }

                d[i, j] = v;
                rowMin = Math.Min(rowMin, v);
            }

            if (rowMin > max)
            {
                return max + 1;
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>Folds what readers confuse: separators vanish, digits that look like letters become them, rn/vv become m/w.</summary>
    public static string Fold(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sb = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            switch (c)
            {
                case '-' or '_' or '.':
                    break;
                case '0': sb.Append('o'); break;
                case '1': sb.Append('l'); break;
                case '3': sb.Append('e'); break;
                case '5': sb.Append('s'); break;
                default: sb.Append(c); break;
            }
        }

        return sb.Replace("rn", "m").Replace("vv", "w").ToString();
    }

    /// <summary>How <paramref name="candidate"/> resembles <paramref name="target"/> (a different name), strongest first.</summary>
    public static Resemblance Compare(string candidate, string target)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(target);
        return Compare(NameParts.Of(candidate), NameParts.Of(target));
    }

    /// <summary>
    /// The first of <paramref name="targets"/> (in order) that <paramref name="candidate"/> resembles, and
    /// how; the targets' parts are computed once (<see cref="PopularNames"/>), so checking a tree against
    /// a list folds each name once instead of once per pair.
    /// </summary>
    internal static (string Target, Resemblance Resemblance)? FirstResemblance(string candidate, IReadOnlyList<NameParts> targets)
    {
        var c = NameParts.Of(candidate);
        foreach (var t in targets)
        {
            var r = Compare(c, t);
            if (r != Resemblance.None)
            {
                return (t.Name, r);
            }
        }

        return null;
    }

    private static Resemblance Compare(NameParts c, NameParts t)
    {
        if (string.Equals(c.Name, t.Name, StringComparison.Ordinal))
        {
            return Resemblance.None;
        }

        if (t.Scope is not null)
        {
            // @types/node -> types-node, typesnode, @typos/node, @types-node/x is left to distance.
            // (Without a scope the bare name is the whole name, so its fold is the name's.)
            if (c.Scope is null && c.Folded == t.FoldedScopeAndBare)
            {
                return Resemblance.Scope;
            }

            if (c.Scope is not null && c.Bare == t.Bare && c.Scope != t.Scope && Distance(c.Scope, t.Scope, 1) <= 1)
            {
                return Resemblance.Scope;
            }
        }

        if (c.Folded == t.Folded)
        {
            return Resemblance.Confusable;
        }

        if (c.Scope == t.Scope && t.Bare.Length >= 4)
        {
            var max = t.Bare.Length >= 10 ? 2 : 1;
            if (Distance(c.Bare, t.Bare, max) <= max)
            {
                return Resemblance.EditDistance;
            }
        }

        if (c.Scope is null && t.Scope is null && t.Bare.Length >= 3 && c.Bare.Length > t.Bare.Length
            && (Suffixes.Any(s => IsAffixed(c.Bare, s, t.Bare)) || Prefixes.Any(p => IsAffixed(c.Bare, p, t.Bare, prefix: true))))
        {
            return Resemblance.Affix;
        }

        return Resemblance.None;
    }

    // name == bare + affix (or affix + bare), without building the concatenation.
    private static bool IsAffixed(string name, string affix, string bare, bool prefix = false) =>
        name.Length == bare.Length + affix.Length
        && (prefix
            ? name.StartsWith(affix, StringComparison.Ordinal) && name.EndsWith(bare, StringComparison.Ordinal)
            : name.StartsWith(bare, StringComparison.Ordinal) && name.EndsWith(affix, StringComparison.Ordinal));

    /// <summary>A name split into scope and bare name, with the folds <see cref="Compare(string, string)"/> reads.</summary>
    internal sealed record NameParts(string Name, string? Scope, string Bare, string Folded, string? FoldedScopeAndBare)
    {
        public static NameParts Of(string name)
        {
            var (scope, bare) = Split(name);
            return new NameParts(name, scope, bare, Fold(name), scope is null ? null : Fold(scope + bare));
        }
    }

    private static (string? Scope, string Bare) Split(string name)
    {
        if (name.StartsWith('@'))
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash > 1)
            {
                return (name[1..slash], name[(slash + 1)..]);
            }
        }

        return (null, name);
    }
}
