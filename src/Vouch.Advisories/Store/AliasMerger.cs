using Vouch.Npm;

namespace Vouch.Advisories;

/// <summary>
/// Merges matched records that are the same advisory under different ids: two records are joined
/// when one's id or alias equals the other's id or alias (connected components).
/// </summary>
internal static class AliasMerger
{
    public static IReadOnlyList<AdvisoryMatch> Merge(IReadOnlyList<StoredRecord> records, string package, SemVersion version)
    {
        var parent = Enumerable.Range(0, records.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        var owner = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < records.Count; i++)
        {
            foreach (var name in records[i].Aliases.Prepend(records[i].Id))
            {
                if (owner.TryGetValue(name, out var j))
                {
                    parent[Find(i)] = Find(j);
                }
                else
                {
                    owner[name] = i;
                }
            }
        }

        return records
            .Select((r, i) => (r, root: Find(i)))
            .GroupBy(x => x.root)
            .Select(g =>
            {
                var members = g.Select(x => x.r).OrderBy(Preference).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
                var primary = members[0];
                var ids = members.Select(r => r.Id).ToList();
                var severity = members.Select(r => r.Severity)
                    .OrderByDescending(s => s.Level).ThenByDescending(s => s.Score ?? -1).First();
                return new AdvisoryMatch
                {
                    Id = primary.Id,
                    Ids = ids,
                    Aliases = members.SelectMany(r => r.Aliases).Distinct(StringComparer.OrdinalIgnoreCase)
                        .Where(a => !ids.Contains(a, StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList(),
                    IsMalware = members.Any(r => r.IsMalware),
                    Severity = severity,
                    Summary = primary.Summary,
                    Modified = members.Max(r => r.Modified),
                    // The merged records may disagree; the highest fix clears every one of them.
                    FixedIn = members.Select(r => r.FixedIn).Where(f => f is not null).Max(),
                    Package = package,
                    Version = version,
                };
            })
            .OrderByDescending(m => m.IsMalware).ThenByDescending(m => m.Severity.Level).ThenBy(m => m.Id, StringComparer.Ordinal)
            .ToList();
    }

    // MAL first (the strongest claim), then GitHub's reviewed ids, then the rest.
    private static int Preference(StoredRecord r) =>
        r.Id.StartsWith("MAL-", StringComparison.Ordinal) ? 0 : r.Id.StartsWith("GHSA-", StringComparison.Ordinal) ? 1 : 2;
}
