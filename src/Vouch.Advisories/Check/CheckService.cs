using Vouch.Npm;

namespace Vouch.Advisories.Check;

/// <summary>What the project already has: its lockfile's packages and its own direct dependency names.</summary>
public sealed record ProjectContext
{
    public static readonly ProjectContext Empty = new();

    /// <summary>name → versions the lockfile pins (registry packages).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<SemVersion>> Installed { get; init; } = new Dictionary<string, IReadOnlyList<SemVersion>>();

    /// <summary>Names in package.json (dependencies of every kind), for look-alike checks.</summary>
    public IReadOnlyCollection<string> DirectDependencies { get; init; } = [];

    public static ProjectContext Load(string directory) => ProjectContextLoader.Load(directory);
}

/// <summary>
/// `vouch check`: resolves what installing the specs would add, then runs the per-package checks.
/// Resolution follows npm's rules approximately (docs/advisories.md, "Where the tree is approximate"):
/// the highest version satisfying each range (dist-tag <c>latest</c> first, as npm's picker), dependencies,
/// optional dependencies (all of them, whatever their os/cpu) and peer dependencies (all of them,
/// as npm 7+ installs them), deduplicated against the lockfile and within the new tree by "an existing
/// version satisfies the range". It over-approximates rather than misses a package npm would fetch.
/// </summary>
public sealed class CheckService(RegistryClient registry, IAdvisoryDatabase? advisories, PopularNames popular, ITrustEvidenceSource trust, TimeProvider time)
{
    private static readonly string[] InstallScripts = ["preinstall", "install", "postinstall"];

    public async Task<CheckReport> CheckAsync(IReadOnlyList<PackageSpec> specs, ProjectContext project, CheckOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(options);
        var general = new List<CheckFinding>();
        var networkErrors = new List<string>();
        var packuments = new Dictionary<string, Packument?>(StringComparer.Ordinal);
        var resolved = new List<(CheckedPackage Package, Packument Packument, PackageVersion Version)>();
        var alreadyInstalled = 0;
        var unasked = 0;
        DateTimeOffset? oldest = null;
        if (advisories is null)
        {
            general.Add(new(CheckCodes.NoAdvisoryDatabase, FindingLevel.Warning, "", null,
                "no advisory database: vulnerabilities and malware were not checked", "Run 'vouch db update' (or pass --db FILE)."));
        }

        var level = specs.Select(s => new Pending(s, [s.ToString()], 0, "requested")).ToList();
        while (level.Count > 0)
        {
            // Fetch the level's packuments together; the registry client bounds concurrency.
            var names = level.Select(p => p.Spec.Name).Distinct(StringComparer.Ordinal).Where(n => !packuments.ContainsKey(n)).ToList();
            var fetched = await Task.WhenAll(names.Select(n => registry.GetPackumentAsync(n, PackumentFormat.Full, cancellationToken))).ConfigureAwait(false);
            for (var i = 0; i < names.Count; i++)
            {
                var r = fetched[i];
                if (r.IsOk)
                {
                    packuments[names[i]] = r.Value;
                    if (r.FromCache && r.HttpStatus is null)
                    {
                        unasked++;
                    }

                    if (r.ConfirmedAt is { } at && (oldest is null || at < oldest))
                    {
                        oldest = at;
                    }
                }
                else
                {
                    packuments[names[i]] = null;
                    if (r.Status == RegistryStatus.NotFound)
                    {
                        general.Add(new(CheckCodes.NotResolved, FindingLevel.Error, names[i], null, $"{names[i]} does not exist in the registry", "Check the name for a typo."));
                    }
                    else
                    {
                        networkErrors.Add($"{names[i]}: {r.Error ?? r.Status.ToString()}");
                    }
                }
            }

            var next = new List<Pending>();
            foreach (var p in level)
            {
                if (resolved.Count >= options.MaxPackages)
                {
                    general.Add(new(CheckCodes.NotResolved, FindingLevel.Error, p.Spec.Name, null, $"the tree has more than {options.MaxPackages} packages; resolution stopped", "Check fewer specs at a time, or limit --depth."));
                    next.Clear();
                    break;
                }

                // A requested spec is always resolved (npm install <spec> asks the registry again);
                // dependencies a lockfile version already satisfies stay as they are.
                if (p.Depth > 0 && Satisfied(p.Spec, project.Installed.GetValueOrDefault(p.Spec.Name)))
                {
                    alreadyInstalled++;
                    continue;
                }

                if (resolved.Any(r => r.Package.Name == p.Spec.Name && Satisfies(p.Spec, r.Package.Version)))
                {
                    continue;
                }

                if (packuments[p.Spec.Name] is not { } packument)
                {
                    continue;
                }

                var pick = packument.Pick(p.Spec);
                if (pick.Version is not { } version)
                {
                    general.Add(new(CheckCodes.NotResolved, FindingLevel.Error, p.Spec.Name, null, $"{p.Spec}: {pick.Problem ?? "no matching version"} (required by {string.Join(" > ", p.Path)})", "Change the requested range."));
                    continue;
                }

                var package = new CheckedPackage { Name = packument.Name, Version = version.Version, Path = p.Path, Depth = p.Depth, Edge = p.Edge };
                resolved.Add((package, packument, version));
                if (options.Depth is { } max && p.Depth >= max)
                {
                    continue;
                }

                foreach (var (edge, deps) in new[] { ("dependencies", version.Dependencies), ("optionalDependencies", version.OptionalDependencies), ("peerDependencies", version.PeerDependencies) })
                {
                    foreach (var (depName, depRange) in deps.OrderBy(d => d.Key, StringComparer.Ordinal))
                    {
                        if (!PackageSpec.TryParse($"{depName}@{depRange}", out var depSpec, out _))
                        {
                            general.Add(new(CheckCodes.NotFromRegistry, FindingLevel.Warning, depName, null,
                                $"{packument.Name}@{version.Version} {edge} '{depName}': '{Shorten(depRange)}' is not a registry spec (git, file, URL): not checked",
                                "Review that source by hand; Vouch verifies registry packages only."));
                            continue;
                        }

                        next.Add(new Pending(depSpec, [.. p.Path, $"{depName}@{depRange}"], p.Depth + 1, edge));
                    }
                }
            }

            level = next;
        }

        // Evidence is the slow part (a verification with its own requests per package): fetch it for the
        // whole tree at once, a bounded number at a time, then run the checks in tree order so findings
        // and output stay deterministic. Measured with bench/check-bench.sh (docs/performance.md).
        using var gate = new SemaphoreSlim(EvidenceConcurrency);
        var evidence = resolved.Select(r => EvidenceAsync(r.Packument, r.Version, gate, cancellationToken)).ToList();
        try
        {
            for (var i = 0; i < resolved.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (package, packument, version) = resolved[i];
                await CheckPackageAsync(package, packument, version, evidence[i], project, options, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Never leave verifications running against a disposed gate when a check throws (e.g. Ctrl+C).
            await Task.WhenAll(evidence.Select(t => t.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default))).ConfigureAwait(false);
        }

        return new CheckReport
        {
            Requested = specs.Select(s => s.ToString()).ToList(),
            Packages = resolved.Select(r => r.Package).ToList(),
            General = general,
            AlreadyInstalled = alreadyInstalled,
            Snapshot = advisories?.Snapshot,
            PopularNamesSource = popular.Date is null ? popular.Source : $"{popular.Source} ({popular.Date})",
            TrustVerified = trust.Verifies,
            NetworkErrors = networkErrors,
            Freshness = new RegistryFreshness { Packuments = packuments.Values.Count(p => p is not null), FromCacheUnasked = unasked, OldestConfirmedAt = oldest },
        };
    }

    /// <summary>Verifications in flight at once (each is a few loopback or registry requests plus signature checks).</summary>
    internal const int EvidenceConcurrency = 16;

    private async Task<TrustEvidence> EvidenceAsync(Packument packument, PackageVersion version, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await trust.GetAsync(packument, version, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return new TrustEvidence(TrustTier.None, null, [$"the evidence could not be fetched: {e.Message}"]);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task CheckPackageAsync(CheckedPackage package, Packument packument, PackageVersion version, Task<TrustEvidence> evidenceTask, ProjectContext project, CheckOptions options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var name = package.Name;
        var v = version.Version.ToString();
        void Add(string code, FindingLevel level, string reason, string fix) => package.Findings.Add(new(code, level, name, v, reason, fix));

        // Advisories and malware.
        if (advisories is not null)
        {
            var matches = advisories.Lookup(name, version.Version);
            var snapshot = advisories.Snapshot;
            foreach (var f in AdvisoryRules.Malware(name, version.Version, matches, snapshot)
                .Concat(AdvisoryRules.Advisories(name, version.Version, matches, options.Advisories, snapshot, now)))
            {
                Add(f.Code, f.Level, f.Reason, f.Fix);
            }
        }

        var created = packument.Created ?? (packument.Time.Count > 0 ? packument.Time.Values.Min() : null);
        var young = created is { } c && now - c < options.TyposquatYoungAge;
        var hasScript = HasInstallScript(version);

        // Names: typosquats of popular packages, scope confusion, look-alikes of the project's own dependencies.
        if (!popular.Set.Contains(name))
        {
            // The first popular name it resembles, in list order; the list's names are folded once per run.
            if (NameSimilarity.FirstResemblance(name, popular.Parts) is var (target, resemblance))
            {
                var severe = young || hasScript ? FindingLevel.Error : FindingLevel.Warning;
                var how = Describe(resemblance);
                Add(resemblance == Resemblance.Scope ? CheckCodes.ScopeConfusion : CheckCodes.Typosquat, severe,
                    $"'{name}' {how} the popular package '{target}'{(young ? $", and was first published {Age(now - created!.Value)} ago" : "")}{(hasScript ? ", and runs an install script" : "")}",
                    $"If you meant '{target}', install that instead; otherwise confirm '{name}' is the package you intend (its repository, its maintainers).");
            }
        }

        foreach (var own in project.DirectDependencies.Where(d => d != name).Order(StringComparer.Ordinal))
        {
            var resemblance = NameSimilarity.Compare(name, own);
            if (resemblance != Resemblance.None)
            {
                Add(CheckCodes.LookalikeDependency, young ? FindingLevel.Error : FindingLevel.Warning,
                    $"'{name}' {Describe(resemblance)} '{own}', which the project already depends on",
                    $"If you meant '{own}', it is already a dependency; otherwise confirm the name.");
                break;
            }
        }

        // Age.
        if (created is { } cr && now - cr < options.NewPackageAge)
        {
            Add(CheckCodes.NewPackage, FindingLevel.Warning, $"{name} was first published {Age(now - cr)} ago", "Wait until the package has a history, or review its code and publisher before installing.");
        }

        if (packument.Time.TryGetValue(v, out var published) && now - published < options.NewVersionAge)
        {
            Add(CheckCodes.NewVersion, FindingLevel.Warning, $"{name}@{v} was published {Age(now - published)} ago", "Prefer a version that has been public for a few days (compromised releases are usually caught within hours).");
        }

        // Changes since the previous version.
        var previous = Previous(packument, version);
        var publisherChanged = false;
        if (previous is not null)
        {
            if (previous.NpmUser?.Name is { } before && version.NpmUser?.Name is { } after && before != after)
            {
                publisherChanged = true;
                Add(CheckCodes.PublisherChanged, FindingLevel.Warning, $"{name}@{v} was published by '{after}', {previous.Version} by '{before}'", "Confirm the new publisher belongs to the project (release notes, repository).");
            }

            var added = version.Maintainers.Except(previous.Maintainers, StringComparer.Ordinal).ToList();
            if (previous.Maintainers.Count > 0 && added.Count > 0)
            {
                Add(CheckCodes.MaintainersChanged, FindingLevel.Warning, $"{name}@{v} adds maintainers {string.Join(", ", added)} (not on {previous.Version})", "Confirm the new maintainers belong to the project.");
            }

            if (hasScript && !HasInstallScript(previous))
            {
                Add(CheckCodes.NewInstallScript, publisherChanged ? FindingLevel.Error : FindingLevel.Warning,
                    $"{name}@{v} runs an install script ({Scripts(version)}) that {previous.Version} did not have{(publisherChanged ? ", and has a new publisher" : "")}",
                    $"Read the script before installing, install with --ignore-scripts, or stay on {previous.Version}.");
            }

            var newBins = version.Bin.Except(previous.Bin, StringComparer.Ordinal).ToList();
            if (newBins.Count > 0)
            {
                Add(CheckCodes.NewBin, FindingLevel.Warning, $"{name}@{v} installs new commands ({string.Join(", ", newBins)}) that {previous.Version} did not", "Check the commands do not shadow tools you run (npx, node_modules/.bin).");
            }
        }

        if (hasScript && package.Findings.All(f => f.Code != CheckCodes.NewInstallScript))
        {
            Add(CheckCodes.InstallScript, FindingLevel.Note, $"{name}@{v} runs an install script ({Scripts(version)})", "Install with --ignore-scripts if it is not needed.");
        }

        if (version.Deprecated is { } deprecated)
        {
            Add(CheckCodes.Deprecated, FindingLevel.Warning, $"{name}@{v} is deprecated: {Shorten(deprecated)}", "Use the replacement the deprecation message names, or a maintained alternative.");
        }

        // Trust evidence: verified tier against the previous version's claim; repository binding.
        var evidence = await evidenceTask.ConfigureAwait(false);

        if (evidence.Problems.Count > 0)
        {
            Add(CheckCodes.EvidenceFailed, FindingLevel.Error, $"{name}@{v}: {string.Join("; ", evidence.Problems)}", "Do not install: the registry's evidence for this version does not verify.");
        }

        if (previous is not null)
        {
            var before = ClaimedTrust.Of(previous);
            if (evidence.Tier < before)
            {
                Add(CheckCodes.TrustDowngrade, FindingLevel.Error, $"{name}@{v} has {Tier(evidence.Tier)}{(trust.Verifies ? " (verified)" : " (claimed)")}, {previous.Version} had {Tier(before)}",
                    $"Stay on {previous.Version} until the maintainers explain the change; a publish outside the usual pipeline is how hijacks look.");
            }
        }

        var declared = NormalizeRepository(version.Repository?.Url);
        if (declared is null)
        {
            Add(CheckCodes.RepositoryMissing, FindingLevel.Note, $"{name}@{v} names no source repository", "Prefer packages that say where their source is.");
        }
        else if (NormalizeRepository(evidence.SourceRepository) is { } built && built != declared)
        {
            Add(CheckCodes.RepositoryMismatch, FindingLevel.Error, $"{name}@{v} says its source is {declared}, but its provenance says it was built from {built}",
                "Do not install until the maintainers explain: the package may be built from a fork or another project.");
        }
    }

    /// <summary>The version before this one: the highest lower version (releases compare only with releases).</summary>
    public static PackageVersion? Previous(Packument packument, PackageVersion version)
    {
        ArgumentNullException.ThrowIfNull(packument);
        ArgumentNullException.ThrowIfNull(version);
        return packument.Versions.Values
            .Where(p => p.Version.CompareTo(version.Version) < 0 && (version.Version.IsPrerelease || !p.Version.IsPrerelease))
            .MaxBy(p => p.Version);
    }

    /// <summary><c>github.com/owner/repo</c> (lower case) from the shapes package.json and provenance use; null when unknown.</summary>
    public static string? NormalizeRepository(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        var u = url.Trim();
        if (u.StartsWith("github:", StringComparison.OrdinalIgnoreCase))
        {
            u = "github.com/" + u["github:".Length..];
        }
        else if (!u.Contains(':', StringComparison.Ordinal) && u.Count(c => c == '/') == 1)
        {
            u = "github.com/" + u;
        }
        else
        {
            u = u.Replace("git+", "", StringComparison.OrdinalIgnoreCase);
            var scheme = u.IndexOf("://", StringComparison.Ordinal);
            if (scheme >= 0)
            {
                u = u[(scheme + 3)..];
            }
            else if (u.StartsWith("git@", StringComparison.OrdinalIgnoreCase))
            {
                u = u[4..].Replace(':', '/');
            }

            var at = u.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0 && at < u.IndexOf('/', StringComparison.Ordinal))
            {
                u = u[(at + 1)..];
            }
        }

        u = u.Split('#')[0].TrimEnd('/');
        if (u.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            u = u[..^4];
        }

        return u.ToLowerInvariant();
    }

    private static bool HasInstallScript(PackageVersion v) =>
        InstallScripts.Any(v.Scripts.ContainsKey) || v.HasInstallScript == true;

    private static string Scripts(PackageVersion v) =>
        string.Join(", ", InstallScripts.Where(v.Scripts.ContainsKey).Select(s => $"{s}: {Shorten(v.Scripts[s])}").DefaultIfEmpty("hasInstallScript"));

    private static bool Satisfied(PackageSpec spec, IReadOnlyList<SemVersion>? versions) =>
        versions is not null && spec.Kind != PackageSpecKind.Tag && versions.Any(v => Satisfies(spec, v));

    private static bool Satisfies(PackageSpec spec, SemVersion v) => spec.Kind switch
    {
        PackageSpecKind.Version => spec.Version!.CompareTo(v) == 0,
        PackageSpecKind.Range => spec.Range!.IsSatisfiedBy(v),
        _ => false,
    };

    private static string Describe(Resemblance r) => r switch
    {
        Resemblance.EditDistance => "is one or two letters away from",
        Resemblance.Confusable => "reads like",
        Resemblance.Affix => "wraps the name of",
        Resemblance.Scope => "imitates the scope of",
        _ => "resembles",
    };

    private static string Tier(TrustTier t) => t switch
    {
        TrustTier.TrustedPublisher => "trusted-publisher provenance",
        TrustTier.Provenance => "provenance",
        TrustTier.Signed => "a registry signature only",
        _ => "no verified evidence",
    };

    private static string Age(TimeSpan t) =>
        t.TotalDays >= 2 ? $"{(int)t.TotalDays} days" : t.TotalHours >= 2 ? $"{(int)t.TotalHours} hours" : $"{Math.Max(1, (int)t.TotalMinutes)} minutes";

    private static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "…";

    private sealed record Pending(PackageSpec Spec, IReadOnlyList<string> Path, int Depth, string Edge);
}
