using Vouch.Npm;
using Vouch.Npm.Lockfiles;

namespace Vouch.Audit;

/// <summary>What changed between two lockfiles, package by package.</summary>
public static class LockfileDiff
{
    /// <summary>One change: the head entry (null when removed), the base entry it replaces (null when added), and how.</summary>
    public sealed record Item(LockfilePackage? Head, LockfilePackage? Base, DiffInfo Info);

    /// <summary>
    /// Compares by package name: a name@version in both with the same integrity and source is unchanged;
    /// the same version with other bytes is <see cref="DiffChange.Changed"/>; a name whose versions
    /// differ pairs each new version with the highest base version (an upgrade or a downgrade); names
    /// only in head are additions, only in base removals.
    /// </summary>
    public static IReadOnlyList<Item> Compare(Lockfile baseLockfile, Lockfile head)
    {
        var baseByName = baseLockfile.Distinct().GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var headByName = head.Distinct().GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var items = new List<Item>();
        foreach (var (name, headVersions) in headByName)
        {
            if (!baseByName.TryGetValue(name, out var baseVersions))
            {
                items.AddRange(headVersions.Select(h => new Item(h, null, new DiffInfo(DiffChange.Added, null, null))));
                continue;
            }

            var leftover = baseVersions.Where(b => !headVersions.Any(h => h.Version == b.Version)).ToList();
            foreach (var h in headVersions)
            {
                var same = baseVersions.FirstOrDefault(b => b.Version == h.Version);
                if (same is not null)
                {
                    if (!SameBytes(same, h))
                    {
                        items.Add(new Item(h, same, new DiffInfo(DiffChange.Changed, same.Version, same.Integrity)));
                    }

                    continue;
                }

                var previous = Highest(leftover.Count > 0 ? leftover : baseVersions);
                var up = Compare(h.Version, previous.Version) > 0;
                items.Add(new Item(h, previous, new DiffInfo(up ? DiffChange.Upgraded : DiffChange.Downgraded, previous.Version, previous.Integrity)));
            }

            items.AddRange(leftover.Where(b => !items.Any(i => ReferenceEquals(i.Base, b))).Select(b => new Item(null, b, new DiffInfo(DiffChange.Removed, b.Version, b.Integrity))));
        }

        items.AddRange(baseByName.Where(kv => !headByName.ContainsKey(kv.Key)).SelectMany(kv => kv.Value).Select(b => new Item(null, b, new DiffInfo(DiffChange.Removed, b.Version, b.Integrity))));
        return items;
    }

    private static bool SameBytes(LockfilePackage a, LockfilePackage b) =>
        a.Source == b.Source && string.Equals(a.Integrity ?? a.Resolved, b.Integrity ?? b.Resolved, StringComparison.Ordinal);

    private static LockfilePackage Highest(List<LockfilePackage> versions) => versions.OrderByDescending(v => v.Version, Comparer<string>.Create(Compare)).First();

    private static int Compare(string a, string b) =>
        SemVersion.TryParse(a, out var va) && SemVersion.TryParse(b, out var vb) ? va.CompareTo(vb) : string.CompareOrdinal(a, b);
}
