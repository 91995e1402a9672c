using System.Text;
using Vouch.Advisories.Check;

namespace Vouch.Advisories.Tests;

/// <summary>
/// <see cref="NameSimilarity.FirstResemblance"/> (names folded once per list) against the pairwise
/// comparison it replaced in `vouch check` (every name folded for every pair, affixes concatenated):
/// the same first match and the same kind for look-alikes of every shipped name. Seed printed below.
/// </summary>
public sealed class NameSimilarityDifferentialTests
{
    private const int Seed = 20261206;

    private static readonly string[] Suffixes = ["-npm", "-js", ".js", "js", "-node", "-official", "-lib", "-package"];
    private static readonly string[] Prefixes = ["npm-", "node-", "js-", "official-"];

    // The comparison as it was before the names were folded once (kept here as the reference).
    private static Resemblance Reference(string candidate, string target)
    {
        if (candidate == target)
        {
            return Resemblance.None;
        }

        var (cScope, cBare) = Split(candidate);
        var (tScope, tBare) = Split(target);
        if (tScope is not null)
        {
            if (cScope is null && NameSimilarity.Fold(cBare) == NameSimilarity.Fold(tScope + tBare))
            {
                return Resemblance.Scope;
            }

            if (cScope is not null && cBare == tBare && cScope != tScope && NameSimilarity.Distance(cScope, tScope, 1) <= 1)
            {
                return Resemblance.Scope;
            }
        }

        if (NameSimilarity.Fold(candidate) == NameSimilarity.Fold(target))
        {
            return Resemblance.Confusable;
        }

        if (cScope == tScope && tBare.Length >= 4)
        {
            var max = tBare.Length >= 10 ? 2 : 1;
            if (NameSimilarity.Distance(cBare, tBare, max) <= max)
            {
                return Resemblance.EditDistance;
            }
        }

        if (cScope is null && tScope is null && tBare.Length >= 3 && (Suffixes.Any(s => cBare == tBare + s) || Prefixes.Any(p => cBare == p + tBare)))
        {
            return Resemblance.Affix;
        }

        return Resemblance.None;
    }

    private static (string?, string) Split(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return name.StartsWith('@') && slash > 1 ? (name[1..slash], name[(slash + 1)..]) : (null, name);
    }

    private static IEnumerable<string> LookAlikes(string name, Random r)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyz0135-._";
        yield return name;
        yield return name + Suffixes[r.Next(Suffixes.Length)];
        yield return Prefixes[r.Next(Prefixes.Length)] + name;
        yield return name.Replace("-", "", StringComparison.Ordinal).Replace('o', '0').Replace("m", "rn", StringComparison.Ordinal);
        yield return name.TrimStart('@').Replace('/', '-');
        var i = r.Next(name.Length);
        yield return name.Remove(i, 1);
        yield return name.Insert(i, letters[r.Next(letters.Length)].ToString());
        var sb = new StringBuilder(name);
        sb[i] = letters[r.Next(letters.Length)];
        yield return sb.ToString();
        if (name.Length > 3)
        {
            var j = r.Next(name.Length - 1);
            var swapped = name.ToCharArray();
            (swapped[j], swapped[j + 1]) = (swapped[j + 1], swapped[j]);
            yield return new string(swapped);
        }

        if (name.StartsWith('@') && name.IndexOf('/', StringComparison.Ordinal) is > 2 and var slash)
        {
            yield return "@" + name[1..slash].Remove(r.Next(slash - 1), 1) + name[slash..];
        }
    }

    [Fact]
    public void FirstResemblance_WhenLookAlikesOfEveryShippedName_MatchesThePairwiseReference()
    {
        var popular = PopularNames.Shipped();
        var r = new Random(Seed);
        var candidates = popular.Names.SelectMany(n => LookAlikes(n, r)).Concat(["express", "dep-0001", "app-root", "@scope/x"]).Distinct().ToList();
        var found = 0;
        foreach (var candidate in candidates)
        {
            var expected = popular.Names.Select(t => (Target: t, Kind: Reference(candidate, t))).FirstOrDefault(x => x.Kind != Resemblance.None);
            var actual = NameSimilarity.FirstResemblance(candidate, popular.Parts);
            Assert.True(expected.Target == actual?.Target && expected.Kind == (actual?.Resemblance ?? Resemblance.None),
                $"seed {Seed}: '{candidate}': reference {expected.Target}/{expected.Kind}, got {actual?.Target}/{actual?.Resemblance}");
            found += actual is null ? 0 : 1;
        }

        // Most look-alikes resemble something: the comparison is not vacuous.
        Assert.True(found > candidates.Count / 2, $"{found} of {candidates.Count}");
    }
}
