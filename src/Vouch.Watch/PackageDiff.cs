using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;

namespace Vouch.Watch;

/// <summary>
/// Compares what the registry serves now with what watch knew, and names what changed. Pure: the
/// caller fetched and verified; this decides. A new version is compared with the earlier versions of
/// its release line (<see cref="ReleaseLine.Predecessors"/>, the policy's rule): evidence with the
/// strongest of them (as the trust-downgrade rule does), everything else with the one just before
/// it. A version opening a new line is compared with the highest lower version of any line, for
/// evidence too: unlike the policy, which judges what a caret range would install, a monitor should
/// notice a new major published with a token after majors from CI.
/// </summary>
public static class PackageDiff
{
    /// <param name="previous">The stored state; null the first time (a silent baseline: no events).</param>
    /// <param name="packument">The registry's document; null when the package is gone (404).</param>
    /// <param name="verified">The new versions verified this cycle, by version; only these are added.</param>
    public static (IReadOnlyList<WatchEvent> Events, PackageState Next) Diff(
        string package, PackageState? previous, Packument? packument, IReadOnlyDictionary<string, PackageReport> verified, PolicyDocument policy, DateTimeOffset now)
    {
        if (previous is null)
        {
            return ([], Baseline(packument));
        }

        var events = new List<WatchEvent>();
        var next = new PackageState
        {
            Versions = new Dictionary<string, VersionFacts>(previous.Versions, StringComparer.Ordinal),
            DistTags = new Dictionary<string, string>(previous.DistTags, StringComparer.Ordinal),
            Publishers = new SortedSet<string>(previous.Publishers, StringComparer.Ordinal),
        };

        void Add(EventKind kind, string version, string? previousVersion, string discriminator, string detail)
        {
            var (severity, rule) = EventKinds.SeverityOf(kind, policy);
            events.Add(new WatchEvent
            {
                Id = WatchEvent.MakeId(package, version, kind.Name, discriminator),
                Kind = kind.Name,
                Code = kind.Code,
                Package = package,
                Version = version,
                PreviousVersion = previousVersion,
                Severity = severity,
                Rule = rule,
                Detail = Cap(detail),
                ObservedAt = now,
            });
        }

        if (packument is null || packument.IsUnpublished)
        {
            if (!previous.Unpublished)
            {
                var versions = previous.Versions.Keys.Select(v => SemVersion.TryParse(v, out var s) ? s : null).OfType<SemVersion>().Order().Select(v => v.ToString()).ToList();
                Add(EventKinds.Unpublished, "*", versions.LastOrDefault(), "package", packument is null
                    ? $"{package} is gone from the registry (HTTP 404/410); {versions.Count} version(s) had been seen"
                    : $"every version of {package} was unpublished (time.unpublished in the packument); {versions.Count} version(s) had been seen");
            }

            return (events, next with { Unpublished = true });
        }

        // 1. Versions watch had seen that the registry no longer lists.
        foreach (var gone in previous.Versions.Keys.Where(v => !packument.Versions.ContainsKey(v) && !packument.InvalidVersions.ContainsKey(v)).Order(StringComparer.Ordinal).ToList())
        {
            Add(EventKinds.Unpublished, gone, null, "version", $"{package}@{gone} is no longer in the packument's versions");
            next.Versions.Remove(gone);
        }

        // 2. Known versions that became deprecated.
        foreach (var (key, facts) in previous.Versions)
        {
            if (packument.Versions.TryGetValue(key, out var v) && v.Deprecated != facts.Deprecated)
            {
                if (facts.Deprecated is null)
                {
                    Add(EventKinds.Deprecated, key, null, v.Deprecated!, $"{package}@{key} was deprecated: \"{v.Deprecated}\"");
                }

                next.Versions[key] = facts with { Deprecated = v.Deprecated };
            }
        }

        // 3. New versions, lowest first, so each is compared with the ones before it.
        var added = verified.Keys.Select(k => packument.Versions.TryGetValue(k, out var v) ? v : null).OfType<PackageVersion>().OrderBy(v => v.Version).ToList();
        foreach (var v in added)
        {
            var version = v.Version.ToString();
            var report = verified[version];
            var facts = VersionFacts.FromReport(packument, v, report);
            Compare(package, packument, v, facts, report, next, Add);
            next.Versions[version] = facts;
            if (facts.Publisher is not null)
            {
                next.Publishers.Add(facts.Publisher);
            }
        }

        // 4. Dist-tags that moved to a lower version.
        foreach (var (tag, target) in packument.DistTags)
        {
            if (previous.DistTags.TryGetValue(tag, out var before) && before != target
                && SemVersion.TryParse(before, out var b) && SemVersion.TryParse(target, out var t) && t.CompareTo(b) < 0)
            {
                Add(EventKinds.DistTagBackwards, target, before, $"{tag}:{before}", $"dist-tag '{tag}' of {package} moved back from {before} to {target}");
            }
        }

        next.DistTags.Clear();
        foreach (var (tag, target) in packument.DistTags)
        {
            next.DistTags[tag] = target;
        }

        return (events, next with { Unpublished = false });
    }

    /// <summary>The versions of <paramref name="packument"/> watch has not recorded yet, lowest first.</summary>
    public static IReadOnlyList<PackageVersion> NewVersions(PackageState state, Packument packument) =>
        packument.Versions.Values.Where(v => !state.Versions.ContainsKey(v.Version.ToString())).OrderBy(v => v.Version).ToList();

    private static PackageState Baseline(Packument? packument)
    {
        var state = new PackageState { Unpublished = packument is null || packument.IsUnpublished };
        if (packument is null)
        {
            return state;
        }

        foreach (var v in packument.Versions.Values.OrderByDescending(v => v.Version).Take(Limits.MaxTrackedVersionsPerPackage))
        {
            var facts = VersionFacts.Advertised(packument, v);
            state.Versions[facts.Version] = facts;
            if (facts.Publisher is not null)
            {
                state.Publishers.Add(facts.Publisher);
            }
        }

        foreach (var (tag, target) in packument.DistTags)
        {
            state.DistTags[tag] = target;
        }

        return state;
    }

    private static void Compare(string package, Packument packument, PackageVersion v, VersionFacts facts, PackageReport report, PackageState state, Action<EventKind, string, string?, string, string> add)
    {
        var version = facts.Version;
        var known = (PackageVersion p) => state.Versions.TryGetValue(p.Version.ToString(), out var f) ? f : VersionFacts.Advertised(packument, p);
        var line = ReleaseLine.Predecessors(packument, v.Version).Select(known).ToList();
        var relation = $"before it on release line {ReleaseLine.Of(v.Version)}";
        if (line.Count == 0)
        {
            // A new line: the highest lower version of any line, if there is one.
            var lower = packument.Versions.Values.Where(p => p.Version.CompareTo(v.Version) < 0 && (v.Version.IsPrerelease || !p.Version.IsPrerelease)).OrderBy(p => p.Version).LastOrDefault();
            if (lower is not null)
            {
                line.Add(known(lower));
                relation = $"the highest lower version (release line {ReleaseLine.Of(v.Version)} has no earlier version)";
            }
        }

        if (!report.Passed && report.NetworkError is null)
        {
            var codes = string.Join(", ", report.Problems.Select(p => p.Code).Distinct());
            add(EventKinds.VerificationFailed, version, null, codes, $"{package}@{version} failed verification: {string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}"))}");
        }

        var previous = line.Count > 0 ? line[^1] : new VersionFacts { Version = "" };
        var previousVersion = line.Count > 0 ? previous.Version : null;
        var where = $"{package}@{version}: {EvidenceLevels.Name((EvidenceLevel)facts.Level)} (verified by watch)";

        if (line.Count > 0)
        {
            // Evidence: the strongest earlier version of the line (the latest of equals).
            var strongest = line.Select((f, i) => (f, i)).OrderBy(x => x.f.Level).ThenBy(x => x.i).Last().f;
            var how = strongest.Verified ? "verified by watch" : "advertised by the packument";
            var tpReplaced = strongest.TrustedPublisher is not null && facts.TrustedPublisher is null;
            if (facts.Level < strongest.Level && (facts.Level == (int)EvidenceLevel.None || !tpReplaced))
            {
                add(EventKinds.ProvenanceLost, version, strongest.Version, "",
                    $"{where}; {package}@{strongest.Version}, {relation}, had {EvidenceLevels.Name((EvidenceLevel)strongest.Level)} ({how})");
            }

            if (tpReplaced)
            {
                add(EventKinds.TrustedPublisherReplaced, version, strongest.Version, "",
                    $"{package}@{version} was published by {(facts.Publisher is null ? "an account" : $"'{facts.Publisher}'")} with a token; {package}@{strongest.Version} came through the trusted publisher '{strongest.TrustedPublisher}' (_npmUser.trustedPublisher, {how})");
            }

            var withSource = line.LastOrDefault(f => f.SourceRepository is not null);
            if (withSource is not null && facts.SourceRepository is not null && withSource.SourceRepository != facts.SourceRepository)
            {
                add(EventKinds.SourceChanged, version, withSource.Version, facts.SourceRepository,
                    $"{package}@{version} was built from {facts.SourceRepository} (verified provenance); {package}@{withSource.Version} from {withSource.SourceRepository}");
            }

            var withWorkflow = line.LastOrDefault(f => f.Workflow is not null);
            if (withWorkflow is not null && facts.Workflow is not null && withWorkflow.Workflow != facts.Workflow)
            {
                add(EventKinds.WorkflowChanged, version, withWorkflow.Version, facts.Workflow,
                    $"{package}@{version} was built by {facts.Workflow} (verified provenance); {package}@{withWorkflow.Version} by {withWorkflow.Workflow}");
            }

            var newMaintainers = facts.Maintainers.Except(previous.Maintainers, StringComparer.Ordinal).ToList();
            if (previous.Maintainers.Count > 0 && newMaintainers.Count > 0)
            {
                add(EventKinds.NewPublisher, version, previousVersion, "maintainers:" + string.Join(',', newMaintainers),
                    $"{package}@{version} lists new maintainer(s) {Names(newMaintainers)} that {package}@{previous.Version} did not");
            }
        }

        if (facts.Publisher is not null && state.Publishers.Count > 0 && !state.Publishers.Contains(facts.Publisher))
        {
            add(EventKinds.NewPublisher, version, previousVersion, "publisher:" + facts.Publisher,
                $"{package}@{version} was published by '{facts.Publisher}', who never published {package} before (earlier: {Names([.. state.Publishers])}; _npmUser)");
        }

        var scripts = facts.InstallScripts.Except(previous.InstallScripts, StringComparer.Ordinal).ToList();
        if (scripts.Count > 0)
        {
            var shown = string.Join("; ", scripts.Select(s => v.Scripts.TryGetValue(s, out var cmd) ? $"{s}: {cmd}" : s));
            add(EventKinds.InstallScriptAdded, version, previousVersion, string.Join(',', scripts),
                $"{package}@{version} runs {shown} at install time{(previousVersion is null ? "" : $"; {package}@{previousVersion} ran {(previous.InstallScripts.Count == 0 ? "none" : string.Join(", ", previous.InstallScripts))}")}");
        }

        var dependencies = facts.Dependencies.Except(previous.Dependencies, StringComparer.Ordinal).ToList();
        if (dependencies.Count > 0 && previousVersion is not null)
        {
            add(EventKinds.NewDependency, version, previousVersion, string.Join(',', dependencies),
                $"{package}@{version} depends on {Names(dependencies)}, which {package}@{previousVersion} did not");
        }

        var bins = facts.Bin.Except(previous.Bin, StringComparer.Ordinal).ToList();
        if (bins.Count > 0)
        {
            add(EventKinds.NewBin, version, previousVersion, string.Join(',', bins),
                $"{package}@{version} installs the command(s) {Names(bins)}{(previousVersion is null ? "" : $", which {package}@{previousVersion} did not")}");
        }

        if (facts.Deprecated is not null)
        {
            add(EventKinds.Deprecated, version, null, facts.Deprecated, $"{package}@{version} is deprecated: \"{facts.Deprecated}\"");
        }
    }

    private static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(Limits.MaxNamesInDetail)) + (names.Count > Limits.MaxNamesInDetail ? $" and {names.Count - Limits.MaxNamesInDetail} more" : "");

    private static string Cap(string detail)
    {
        // Publisher-controlled text (deprecation messages, script bodies) is one line and bounded.
        var line = string.Concat(detail.Select(c => char.IsControl(c) ? ' ' : c));
        return line.Length > Limits.MaxDetailChars ? line[..Limits.MaxDetailChars] + "…" : line;
    }
}
