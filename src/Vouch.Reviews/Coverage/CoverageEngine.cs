using Vouch.Npm;
using Vouch.Reviews.Records;

namespace Vouch.Reviews.Coverage;

/// <summary>
/// Decides which package versions meet the organisation's required criteria and by what. Built once
/// from a <see cref="SupplyChain"/> (an index per package), then each check is a small graph search
/// over that package's audited versions: full audits, exemptions and trusted publishers are edges from
/// the root, deltas are edges between versions, and a version is covered for a criterion when a path
/// of edges that all carry the criterion reaches it. Violations override everything.
/// </summary>
public sealed class CoverageEngine
{
    private readonly SupplyChain _chain;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, PackageIndex> _index = new(StringComparer.Ordinal);
    private readonly List<(string Pattern, PackagePolicy Policy)> _policies;
    private readonly ulong[] _defaultRequired;

    /// <param name="acceptedImports">Imports (organisations) whose audits count; null: every pinned import.</param>
    public CoverageEngine(SupplyChain chain, TimeProvider time, IReadOnlySet<string>? acceptedImports = null)
    {
        _chain = chain;
        _time = time;
        var criteria = chain.Criteria;
        foreach (var doc in new[] { chain.Audits, chain.Config })
        {
            AddDocument(doc, null, names => criteria.Mask(names));
            foreach (var e in doc.Exemptions)
            {
                Get(e.Package).Exemptions.Add((e, criteria.Mask(e.Criteria)));
            }

            foreach (var t in doc.Trusted)
            {
                Get(t.Package).Trusted.Add((t, criteria.Mask(t.Criteria)));
            }
        }

        foreach (var import in chain.Imports.Where(i => acceptedImports is null || acceptedImports.Contains(i.Spec.Name)))
        {
            var theirs = CriteriaRegistry.Build(import.Document.Criteria, []);
            var exclude = import.Spec.Exclude.ToHashSet(StringComparer.Ordinal);
            AddDocument(import.Document, "import " + import.Spec.Name, names => MapImported(import.Spec, theirs, names), exclude);
        }

        var config = chain.Config;
        _policies = config.Policies.Concat(chain.Audits.Policies).Select(p => (p.Pattern, p)).ToList();
        _defaultRequired =
        [
            criteria.Mask(config.DefaultCriteria ?? chain.Audits.DefaultCriteria ?? [CriteriaRegistry.SafeToDeploy]),
            criteria.Mask(config.DefaultDevCriteria ?? chain.Audits.DefaultDevCriteria ?? [CriteriaRegistry.SafeToRun]),
        ];
    }

    public SupplyChain SupplyChain => _chain;

    /// <summary>Checks many versions (a lockfile). <paramref name="evidence"/> answers trusted-publisher questions; null: none match.</summary>
    public CoverageReport Check(IEnumerable<PackageRef> packages, Func<string, string, PublisherEvidence?>? evidence = null) =>
        new()
        {
            Packages = packages.Select(p => Check(p, evidence)).ToList(),
            ImportProblems = _chain.ImportProblems,
        };

    public PackageCoverage Check(PackageRef package, Func<string, string, PublisherEvidence?>? evidence = null) =>
        Check(package, RequiredMask(package.Name, package.Dev), evidence);

    /// <summary>Checks against explicit criteria (the policy rule's per-pattern requirement).</summary>
    public PackageCoverage Check(PackageRef package, IEnumerable<string> requiredCriteria, Func<string, string, PublisherEvidence?>? evidence = null)
    {
        var unknown = new List<string>();
        var mask = _chain.Criteria.Mask([], null);
        foreach (var c in requiredCriteria)
        {
            if (!_chain.Criteria.Contains(c))
            {
                unknown.Add(c);
            }
            else
            {
                mask |= 1UL << _chain.Criteria.BitOf(c);
            }
        }

        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown criteria: {string.Join(", ", unknown)}", nameof(requiredCriteria));
        }

        return Check(package, mask, evidence);
    }

    /// <summary>The criteria required of a package: the most specific `[policy.PATTERN]` match, else `[default]`.</summary>
    public IReadOnlyList<string> RequiredCriteria(string name, bool dev) => _chain.Criteria.NamesOf(RequiredMask(name, dev)).ToList();

    private ulong RequiredMask(string name, bool dev)
    {
        PackagePolicy? best = null;
        foreach (var (pattern, policy) in _policies)
        {
            if (NamePattern.Matches(pattern, name) && (best is null || NamePattern.Specificity(pattern) > NamePattern.Specificity(best.Pattern)))
            {
                best = policy;
            }
        }

        var list = dev ? best?.DevCriteria ?? best?.Criteria : best?.Criteria;
        var mask = list is null ? _defaultRequired[dev ? 1 : 0] : _chain.Criteria.Mask(list);

        // Only the strongest criteria need checking: the ones no other required criterion implies.
        ulong minimal = 0;
        foreach (var n in _chain.Criteria.NamesOf(mask))
        {
            var bit = 1UL << _chain.Criteria.BitOf(n);
            var impliedByOther = (_chain.Criteria.ImpliersOf(n) & mask & ~bit) != 0;
            if (!impliedByOther)
            {
                minimal |= bit;
            }
        }

        return minimal;
    }

    private PackageCoverage Check(PackageRef package, ulong required, Func<string, string, PublisherEvidence?>? evidence)
    {
        var version = SupplyChainParser.NormalizeVersion(package.Version) ?? package.Version;
        var results = new List<CriterionCoverage>();
        _index.TryGetValue(package.Name, out var idx);
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        foreach (var criterion in _chain.Criteria.NamesOf(required))
        {
            results.Add(CheckCriterion(package.Name, version, criterion, idx, today, evidence));
        }

        return new PackageCoverage { Name = package.Name, Version = version, Dev = package.Dev, Criteria = results };
    }

    private CriterionCoverage CheckCriterion(string name, string version, string criterion, PackageIndex? idx, DateOnly today, Func<string, string, PublisherEvidence?>? evidence)
    {
        var bit = 1UL << _chain.Criteria.BitOf(criterion);
        if (idx is null)
        {
            return new CriterionCoverage { Criterion = criterion, Code = ReviewCodes.NotCovered, Message = $"no audit, exemption or trusted publisher names {name}" };
        }

        // A violation of this criterion, or of anything it implies, overrides every audit.
        var parsed = SemVersion.ParseOrNull(version.Split("@git:")[0]);
        var implied = _chain.Criteria.Mask([criterion]);
        foreach (var (v, mask, source) in idx.Violations)
        {
            if ((mask & implied) != 0 && parsed is not null && v.Violation!.IsSatisfiedBy(parsed))
            {
                return new CriterionCoverage { Criterion = criterion, Code = ReviewCodes.Violation, Message = $"{name}@{version} is in violation range '{v.Violation.Raw}' ({source}, {v.Location})" };
            }
        }

        var roots = new List<(string To, CoverageKind Kind, string Source)>();
        foreach (var (a, mask, source, kind) in idx.Edges)
        {
            if (a.From is null && (mask & bit) != 0)
            {
                roots.Add((a.Version!, kind, Describe(a, source)));
            }
        }

        string? expired = null;
        var exemptionRoots = new List<(string, CoverageKind, string)>();
        foreach (var (e, mask) in idx.Exemptions)
        {
            if ((mask & bit) == 0)
            {
                continue;
            }

            if (e.Expires is { } until && until < today)
            {
                if (e.Version == version)
                {
                    expired = $"the exemption for {name}@{version} expired on {until:yyyy-MM-dd} ({e.Location})";
                }

                continue;
            }

            exemptionRoots.Add((e.Version, CoverageKind.Exemption, $"exemption ({e.Location}{(e.Reason is null ? "" : ": " + e.Reason)})"));
        }

        var trustedRoots = new List<(string, CoverageKind, string)>();
        if (idx.Trusted.Count > 0 && evidence?.Invoke(name, version) is { } ev)
        {
            foreach (var (t, mask) in idx.Trusted)
            {
                if ((mask & bit) != 0 && TrustedMatches(t, ev))
                {
                    trustedRoots.Add((version, CoverageKind.TrustedPublisher, $"trusted {(t.Publisher is not null ? "publisher " + t.Publisher : "repository " + t.Repository)} ({t.Location})"));
                }
            }
        }

        // Real reviews first; trusted publishers next; exemptions only when nothing else covers.
        var tiers = new[] { roots, roots.Concat(trustedRoots).ToList(), roots.Concat(trustedRoots).Concat(exemptionRoots).ToList() };
        HashSet<string>? reached = null;
        foreach (var tier in tiers)
        {
            var (path, seen) = Search(idx, bit, tier, version);
            reached ??= seen;
            if (path is not null)
            {
                return new CriterionCoverage { Criterion = criterion, Kind = Classify(path), Path = path, CoveredVersions = Sorted(seen) };
            }
        }

        if (expired is not null)
        {
            return new CriterionCoverage { Criterion = criterion, Code = ReviewCodes.ExemptionExpired, Message = expired, CoveredVersions = Sorted(reached!) };
        }

        var near = reached!.Count == 0 ? "no version of it is audited for " + criterion : $"audited for {criterion}: {string.Join(", ", Sorted(reached).Take(5))}";
        return new CriterionCoverage { Criterion = criterion, Code = ReviewCodes.NotCovered, Message = $"{name}@{version} is not covered for {criterion} ({near})", CoveredVersions = Sorted(reached) };
    }

    private static (List<CoverageStep>? Path, HashSet<string> Seen) Search(PackageIndex idx, ulong bit, List<(string To, CoverageKind Kind, string Source)> roots, string target)
    {
        // Breadth-first: the shortest explanation wins.
        var previous = new Dictionary<string, CoverageStep>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        foreach (var (to, kind, source) in roots)
        {
            if (previous.TryAdd(to, new CoverageStep(null, to, kind, source)))
            {
                queue.Enqueue(to);
            }
        }

        while (queue.Count > 0 && !previous.ContainsKey(target))
        {
            var v = queue.Dequeue();
            if (!idx.DeltasFrom.TryGetValue(v, out var outgoing))
            {
                continue;
            }

            foreach (var (a, mask, source, kind) in outgoing)
            {
                if ((mask & bit) != 0 && previous.TryAdd(a.Version!, new CoverageStep(v, a.Version!, kind == CoverageKind.Audit ? CoverageKind.DeltaChain : kind, Describe(a, source))))
                {
                    queue.Enqueue(a.Version!);
                }
            }
        }

        var seen = previous.Keys.ToHashSet(StringComparer.Ordinal);
        if (!previous.ContainsKey(target))
        {
            return (null, seen);
        }

        var path = new List<CoverageStep>();
        for (var at = target; ;)
        {
            var step = previous[at];
            path.Add(step);
            if (step.From is null)
            {
                break;
            }

            at = step.From;
        }

        path.Reverse();
        return (path, seen);
    }

    private static CoverageKind Classify(List<CoverageStep> path)
    {
        if (path.Any(s => s.Kind == CoverageKind.Exemption))
        {
            return CoverageKind.Exemption;
        }

        if (path.Any(s => s.Kind == CoverageKind.TrustedPublisher))
        {
            return CoverageKind.TrustedPublisher;
        }

        if (path.Any(s => s.Kind == CoverageKind.Import))
        {
            return CoverageKind.Import;
        }

        if (path.Any(s => s.Kind == CoverageKind.SignedReview))
        {
            return CoverageKind.SignedReview;
        }

        return path.Count > 1 ? CoverageKind.DeltaChain : CoverageKind.Audit;
    }

    private static bool TrustedMatches(TrustedPublisherEntry t, PublisherEvidence ev)
    {
        var who = t.Publisher is not null
            ? ev.PublisherIdentity is { } id && (id == t.Publisher || id.StartsWith(t.Publisher + "@", StringComparison.Ordinal))
            : t.Repository is not null && ev.SourceRepository is { } repo && NormalizeRepo(repo) == NormalizeRepo(t.Repository);
        if (!who)
        {
            return false;
        }

        if (t.Start is null && t.End is null)
        {
            return true;
        }

        if (ev.Published is not { } when)
        {
            return false;
        }

        var day = DateOnly.FromDateTime(when.UtcDateTime);
        return (t.Start is null || day >= t.Start) && (t.End is null || day <= t.End);
    }

    private static string NormalizeRepo(string r)
    {
        var s = r.Trim().TrimEnd('/');
        if (s.StartsWith("git+", StringComparison.Ordinal))
        {
            s = s[4..];
        }

        if (s.EndsWith(".git", StringComparison.Ordinal))
        {
            s = s[..^4];
        }

        return s.ToLowerInvariant();
    }

    private static string Describe(AuditEntry a, string? import)
    {
        var what = a.Kind == AuditKind.Delta ? $"delta {a.From} -> {a.Version}" : $"audit {a.Version}";
        var who = a.Who.Count > 0 ? $" by {string.Join(", ", a.Who)}" : "";
        return import is null ? $"{what}{who} ({a.Location})" : $"{what}{who} ({import})";
    }

    private static List<string> Sorted(IEnumerable<string> versions) =>
        versions.OrderByDescending(v => SemVersion.ParseOrNull(v.Split("@git:")[0])).ThenBy(v => v, StringComparer.Ordinal).ToList();

    private ulong MapImported(ImportSpec spec, CriteriaRegistry theirs, IEnumerable<string> names)
    {
        // Their criteria are closed under their own `implies` first, then mapped to ours; unmapped custom criteria grant nothing.
        ulong mask = 0;
        foreach (var n in theirs.NamesOf(theirs.Mask(names)))
        {
            if (spec.CriteriaMap.TryGetValue(n, out var ours))
            {
                mask |= _chain.Criteria.Mask(ours);
            }
            else if (n is CriteriaRegistry.SafeToRun or CriteriaRegistry.SafeToDeploy)
            {
                mask |= _chain.Criteria.Mask([n]);
            }
        }

        return mask;
    }

    /// <summary>Adds signed reviews that verified (and whose reviewers the web of trust accepts) as audits.</summary>
    public void AddSignedReviews(IEnumerable<Signed.VerifiedReview> reviews)
    {
        var audits = new List<AuditEntry>();
        foreach (var r in reviews)
        {
            var p = r.Predicate;
            audits.Add(new AuditEntry
            {
                Package = p.Package,
                Kind = p.DeltaFrom is null ? AuditKind.Full : AuditKind.Delta,
                From = p.DeltaFrom,
                Version = p.Version,
                Criteria = p.Criteria.Where(_chain.Criteria.Contains).ToList(),
                Who = [r.ReviewerId],
                Notes = p.Notes,
                Location = new SourceLocation("signed review", 0, 0),
            });
        }

        AddDocument(new SupplyChainDocument { Path = "signed reviews", Audits = audits }, "signed review", names => _chain.Criteria.Mask(names), kind: CoverageKind.SignedReview);
    }

    private void AddDocument(SupplyChainDocument doc, string? import, Func<IEnumerable<string>, ulong> mask, HashSet<string>? exclude = null, CoverageKind? kind = null)
    {
        var edgeKind = kind ?? (import is null ? CoverageKind.Audit : CoverageKind.Import);
        foreach (var a in doc.Audits)
        {
            if (exclude?.Contains(a.Package) == true)
            {
                continue;
            }

            var m = mask(a.Criteria);
            var idx = Get(a.Package);
            switch (a.Kind)
            {
                case AuditKind.Violation:
                    idx.Violations.Add((a, m, import is null ? "audits" : import));
                    break;
                case AuditKind.Delta:
                    if (!idx.DeltasFrom.TryGetValue(a.From!, out var list))
                    {
                        idx.DeltasFrom[a.From!] = list = [];
                    }

                    list.Add((a, m, import, edgeKind));
                    break;
                default:
                    idx.Edges.Add((a, m, import, edgeKind));
                    break;
            }
        }
    }

    private PackageIndex Get(string name)
    {
        if (!_index.TryGetValue(name, out var idx))
        {
            _index[name] = idx = new PackageIndex();
        }

        return idx;
    }

    private sealed class PackageIndex
    {
        public List<(AuditEntry Audit, ulong Mask, string? Import, CoverageKind Kind)> Edges { get; } = [];

        public Dictionary<string, List<(AuditEntry Audit, ulong Mask, string? Import, CoverageKind Kind)>> DeltasFrom { get; } = new(StringComparer.Ordinal);

        public List<(AuditEntry Audit, ulong Mask, string Source)> Violations { get; } = [];

        public List<(ExemptionEntry Exemption, ulong Mask)> Exemptions { get; } = [];

        public List<(TrustedPublisherEntry Entry, ulong Mask)> Trusted { get; } = [];
    }
}

/// <summary>Package name patterns of `[policy.PATTERN]`: exact names, or `*` matching any run of characters.</summary>
public static class NamePattern
{
    public static bool Matches(string pattern, string name)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return pattern == name;
        }

        var parts = pattern.Split('*');
        if (!name.StartsWith(parts[0], StringComparison.Ordinal) || !name.EndsWith(parts[^1], StringComparison.Ordinal) || name.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        var at = parts[0].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = name.IndexOf(parts[i], at, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            at = found + parts[i].Length;
        }

        return at <= name.Length - parts[^1].Length;
    }

    /// <summary>More literal characters = more specific; an exact name beats every pattern.</summary>
    public static int Specificity(string pattern) => pattern.Contains('*', StringComparison.Ordinal) ? pattern.Length - pattern.Count(c => c == '*') : int.MaxValue;
}
