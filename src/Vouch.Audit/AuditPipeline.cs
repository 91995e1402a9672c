using System.Collections.Concurrent;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit;

/// <summary>
/// Verifies every package a lockfile pins against the registry's evidence: bounded concurrency, one
/// packument per package name however many versions the lockfile pins (fetched, used and dropped, so
/// memory does not grow with the registry documents), attestations only for versions that advertise
/// them, no tarball downloads (the lockfile integrity is compared with the signed
/// <c>dist.integrity</c> instead), and evidence cached on disk so a version is verified once.
/// </summary>
public sealed class AuditPipeline
{
    // Hosts npm and yarn write into lockfiles for the public registry and rewrite to the configured
    // one on install (npm's replace-registry-host), so they never mean "another source".
    private static readonly string[] PublicRegistryHosts = ["registry.npmjs.org", "registry.npmjs.com", "registry.yarnpkg.com"];

    private readonly RegistryClient _client;
    private readonly PackageVerifier _verifier;
    private readonly AuditOptions _options;
    private CacheSeal? _seal;

    // Entries read or verified by this pipeline, shared by the packs of every lockfile it audits.
    private readonly ConcurrentDictionary<string, CachedEvidence> _session = new(StringComparer.Ordinal);

    public AuditPipeline(RegistryClient client, PackageVerifier verifier, AuditOptions? options = null)
    {
        _client = client;
        _verifier = verifier;
        _options = options ?? new AuditOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Concurrency, 1, nameof(options));
    }

    // One key read per pipeline, shared by every registry's cache in the directory.
    private CacheSeal Seal(string directory) => LazyInitializer.EnsureInitialized(ref _seal, () => CacheSeal.Open(directory));

    /// <summary>Audits every distinct package of <paramref name="lockfile"/>.</summary>
    public async Task<AuditReport> RunAsync(Lockfile lockfile, IReadOnlyList<PackageLint>? lint = null, IProgress<AuditProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var pack = await OpenPackAsync(lockfile).ConfigureAwait(false);
        var entries = await AuditAsync(lockfile.Distinct(), lint ?? [], null, progress, applyPolicy: true, pack, cancellationToken).ConfigureAwait(false);
        SavePack(pack);
        return Report(lockfile, entries, lint ?? [], null);
    }

    /// <summary>Audits only what changed between <paramref name="baseLockfile"/> and <paramref name="lockfile"/>, with the base evidence of upgrades.</summary>
    public async Task<AuditReport> RunDiffAsync(Lockfile lockfile, Lockfile baseLockfile, string baseLabel, IReadOnlyList<PackageLint>? lint = null, IProgress<AuditProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var diff = LockfileDiff.Compare(baseLockfile, lockfile);
        var changed = diff.Where(d => d.Head is not null).ToList();
        var byKey = changed.ToDictionary(d => Key(d.Head!), d => d.Info);
        var changedKeys = byKey.Keys.ToHashSet();
        var relevantLint = (lint ?? []).Where(l => l.Package is null || changedKeys.Contains(Key(l.Package))).ToList();
        var pack = await OpenPackAsync(lockfile).ConfigureAwait(false);
        var entries = await AuditAsync(changed.Select(d => d.Head!).ToList(), relevantLint, byKey, progress, applyPolicy: true, pack, cancellationToken).ConfigureAwait(false);

        // The trust before: evidence of the versions that upgrades and downgrades replace.
        var baseline = changed.Where(d => d.Info.Change is DiffChange.Upgraded or DiffChange.Downgraded && d.Base is not null).Select(d => d.Base!).ToList();
        var baseEntries = (await AuditAsync(baseline.Distinct().ToList(), [], null, null, applyPolicy: false, pack, cancellationToken).ConfigureAwait(false))
            .GroupBy(e => (e.Package.Name, e.Package.Version)).ToDictionary(g => g.Key, g => g.First());
        SavePack(pack);
        entries = entries.Select(e => e.Diff is { Change: DiffChange.Upgraded or DiffChange.Downgraded, BaseVersion: { } bv } d && baseEntries.TryGetValue((e.Package.Name, bv), out var b)
            ? e with { Diff = d with { BaseReport = b.Report } }
            : e).ToList();

        var removed = diff.Where(d => d.Head is null).Select(d => new AuditEntry { Package = d.Base!, Status = AuditStatus.Skipped, Diff = d.Info });
        return Report(lockfile, [.. entries, .. removed], relevantLint, baseLabel);
    }

    /// <summary>The lockfile's evidence pack, read once before anything is audited; null without a cache or with packs off.</summary>
    private async Task<EvidencePack?> OpenPackAsync(Lockfile lockfile)
    {
        if (!_options.EvidencePack || _options.EvidenceCacheDirectory is not { } dir)
        {
            return null;
        }

        using (_options.Profile.Measure(AuditStage.CacheRead))
        {
            if (_options.PackPreload is { } preload && preload.Directory == Path.GetFullPath(dir) && preload.LockfilePath == Path.GetFullPath(lockfile.Path))
            {
                // Read ahead under the same directory's seal: this pipeline seals with that key from now on.
                var (seal, loaded) = await preload.Reading.ConfigureAwait(false);
                LazyInitializer.EnsureInitialized(ref _seal, () => seal);
                return ReferenceEquals(_seal, seal)
                    ? EvidencePack.Open(preload, seal, loaded, _session)
                    : EvidencePack.Open(dir, Seal(dir), lockfile.Path, _session);
            }

            return EvidencePack.Open(dir, Seal(dir), lockfile.Path, _session);
        }
    }

    private void SavePack(EvidencePack? pack)
    {
        if (pack is not null)
        {
            using (_options.Profile.Measure(AuditStage.CacheWrite))
            {
                pack.Save();
            }
        }
    }

    private static AuditReport Report(Lockfile lockfile, List<AuditEntry> entries, IReadOnlyList<PackageLint> lint, string? diffBase)
    {
        var lockfileFindings = lint.Where(l => l.Package is null).Select(l => l.Finding).ToList();
        return new AuditReport
        {
            LockfilePath = lockfile.Path,
            Format = lockfile.Format,
            Entries = entries,
            LockfileFindings = lockfileFindings,
            Totals = AuditTotals.Compute(entries, lockfileFindings),
            DiffBase = diffBase,
        };
    }

    private static (string, string, LockfileSourceKind, string?) Key(LockfilePackage p) => (p.Name, p.Version, p.Source, p.Resolved);

    private async Task<List<AuditEntry>> AuditAsync(IReadOnlyList<LockfilePackage> packages, IReadOnlyList<PackageLint> lint, Dictionary<(string, string, LockfileSourceKind, string?), DiffInfo>? diff, IProgress<AuditProgress>? progress, bool applyPolicy, EvidencePack? pack, CancellationToken ct)
    {
        var lintByPackage = lint.Where(l => l.Package is not null).GroupBy(l => Key(l.Package!)).ToDictionary(g => g.Key, g => g.Select(l => l.Finding).ToList());
        var results = new ConcurrentBag<AuditEntry>();
        var done = 0;
        var total = packages.Count;
        progress?.Report(new AuditProgress(0, total));

        void Emit(AuditEntry entry)
        {
            var key = Key(entry.Package);
            if (lintByPackage.TryGetValue(key, out var extra))
            {
                entry = WithFindings(entry, extra);
            }

            if (diff is not null && diff.TryGetValue(key, out var info))
            {
                entry = entry with { Diff = info };
            }

            results.Add(entry);
            progress?.Report(new AuditProgress(Interlocked.Increment(ref done), total));
        }

        var registryPackages = new List<LockfilePackage>();
        foreach (var p in packages)
        {
            if (p.Source != LockfileSourceKind.Registry || p.Bundled)
            {
                var why = p.Bundled ? "it is bundled inside its parent's tarball" : $"it comes from {p.Source.ToString().ToLowerInvariant()} ({p.Resolved ?? "no URL"}), not from a registry";
                Emit(new AuditEntry
                {
                    Package = p,
                    Status = AuditStatus.Skipped,
                    Findings = [new AuditFinding(AuditCodes.NotFromRegistry, AuditSeverity.Note, FindingSource.Audit, $"{p.Name}@{p.Version} was not verified: {why}, so no registry signature or provenance can vouch for it")],
                });
            }
            else
            {
                registryPackages.Add(p);
            }
        }

        if (registryPackages.Count > 0)
        {
            RegistryKeys keys;
            bool signs;
            using (_options.Profile.Measure(AuditStage.Setup))
            {
                (keys, signs) = await DefaultRegistryKeysAsync(pack, ct).ConfigureAwait(false);
            }

            var cache = _options.EvidenceCacheDirectory is { } dir ? new EvidenceCache(dir, EvidenceCache.Fingerprint(_verifier.Sigstore.TrustedRoot, keys), Seal(dir), pack) : null;
            var windowedKeys = keys.Keys.Any(k => k.ValidFrom is not null || k.ValidUntil is not null);
            var trust = new RegistryTrust(keys, signs, cache, _options.Packuments == PackumentMode.Full || windowedKeys, null);
            var context = new RunContext(trust, diff, applyPolicy ? _options.Policy : null, new ConcurrentDictionary<Uri, Lazy<Task<RegistryTrust>>>(), pack);
            var groups = registryPackages.GroupBy(p => p.Name, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
            await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = ct }, async (group, token) =>
            {
                foreach (var entry in await AuditNameAsync(group, context, token).ConfigureAwait(false))
                {
                    Emit(entry);
                }
            }).ConfigureAwait(false);
        }

        return [.. results.OrderBy(e => e.Package.Line).ThenBy(e => e.Package.Name, StringComparer.Ordinal).ThenBy(e => e.Package.Version, StringComparer.Ordinal)];
    }

    private sealed record RunContext(RegistryTrust Default, Dictionary<(string, string, LockfileSourceKind, string?), DiffInfo>? Diff, AuditPolicyStep? Policy, ConcurrentDictionary<Uri, Lazy<Task<RegistryTrust>>> Scoped, EvidencePack? Pack)
    {
        public bool PolicyNeedsPackument(AuditOptions options) => Policy is not null && options.PolicyNeedsPackument;
    }

    /// <summary>What one registry's packages are judged by: its keys, whether it signs, its evidence cache; or why it cannot be judged.</summary>
    private sealed record RegistryTrust(RegistryKeys Keys, bool RegistrySigns, EvidenceCache? Cache, bool AlwaysFull, string? Error);

    private Task<RegistryTrust> TrustForAsync(Uri registry, RunContext context, CancellationToken ct) =>
        registry == _client.Config.Registry
            ? Task.FromResult(context.Default)
            : context.Scoped.GetOrAdd(registry, r => new Lazy<Task<RegistryTrust>>(() => ScopedTrustAsync(r, context.Pack, ct))).Value;

    /// <summary>
    /// A scoped registry's own keys: configured ones, else the ones it serves at /-/npm/v1/keys (as
    /// npm trusts them); the public registry's only from TUF or the embedded copy, never the wire.
    /// The default registry's keys never judge another registry's packages.
    /// </summary>
    private async Task<RegistryTrust> ScopedTrustAsync(Uri registry, EvidencePack? pack, CancellationToken ct)
    {
        RegistryKeys keys;
        bool signs;
        if (PackageVerifier.IsPublicRegistry(registry))
        {
            keys = PackageVerifier.IsPublicRegistry(_client.Config.Registry) ? await _verifier.KeysAsync(ct).ConfigureAwait(false) : _options.PublicRegistryKeys ?? RegistryKeys.Embedded;
            signs = true;
        }
        else if (_options.ScopedRegistryKeys.TryGetValue(registry, out var configured))
        {
            keys = configured;
            signs = configured.Keys.Any(k => k.Usage == RegistryKeys.SignaturesUsage);
        }
        else
        {
            var served = await _client.GetRegistryKeysAsync(registry, ct).ConfigureAwait(false);
            if (served.Status is not (RegistryStatus.Ok or RegistryStatus.NotFound))
            {
                return new RegistryTrust(RegistryKeys.Empty(registry.ToString()), false, null, false, $"the keys of {registry} could not be fetched: {served.Error ?? served.Status.ToString()}");
            }

            var list = served.IsOk ? served.Value.Keys : [];
            keys = RegistryKeys.Combine(
                RegistryKeys.Empty($"{registry}-/npm/v1/keys"),
                list.SelectMany(k => new[] { RegistryKeys.SignaturesUsage, RegistryKeys.AttestationsUsage }
                    .Select(u => new Vouch.Provenance.RegistryKey(k.KeyId, u, Vouch.Sigstore.Crypto.PublicKey.FromSubjectPublicKeyInfo(k.PublicKeySpki), null, k.Expires))),
                $"{registry}-/npm/v1/keys");
            signs = list.Count > 0;
        }

        var cache = _options.EvidenceCacheDirectory is { } dir ? new EvidenceCache(dir, EvidenceCache.Fingerprint(_verifier.Sigstore.TrustedRoot, keys), Seal(dir), pack) : null;
        var windowed = keys.Keys.Any(k => k.ValidFrom is not null || k.ValidUntil is not null);
        return new RegistryTrust(keys, signs, cache, _options.Packuments == PackumentMode.Full || windowed, null);
    }

    /// <summary>
    /// The default registry's keys and npm's rule: when the registry publishes signing keys, a version
    /// without a signature is a failure. The keys a private registry serves at <c>/-/npm/v1/keys</c>
    /// extend the trusted set (as npm trusts them). With <see cref="AuditOptions.TrustedRegistryKeys"/>
    /// and a pack, a non-empty served list is kept in the lockfile's pack and stands for
    /// <see cref="AuditOptions.MaxAge"/>: a warm audit makes no request at all. It is the stricter
    /// answer for the signing rule (a registry that stopped signing only keeps unsigned versions
    /// failing until the next check); a key the registry withdrew stays trusted until then, as a
    /// cached key list does for npm. "No keys" and failures are never kept: asked on every run. With
    /// <see cref="AuditOptions.TrustServedRegistryKeys"/> false (keys pinned) none of this happens.
    /// </summary>
    private async Task<(RegistryKeys Keys, bool Signs)> DefaultRegistryKeysAsync(EvidencePack? pack, CancellationToken ct)
    {
        var registry = _client.Config.Registry;
        if (_options.TrustedRegistryKeys is not { } trusted)
        {
            // The verifier's own request, then the signing check's.
            var keys = await _verifier.KeysAsync(ct).ConfigureAwait(false);
            return (keys, PackageVerifier.IsPublicRegistry(registry) || SignsFrom(await _client.GetRegistryKeysAsync(null, ct).ConfigureAwait(false), keys));
        }

        if (PackageVerifier.IsPublicRegistry(registry))
        {
            // The public registry's keys come only from TUF or the embedded copy, never the wire.
            return (trusted, true);
        }

        if (!_options.TrustServedRegistryKeys)
        {
            // Pinned keys are the whole trust: the registry's own list is neither asked for nor read from
            // (or written to) the pack, so it cannot add a signer. The pin itself says signatures are
            // expected: a version without one fails, as for the public registry.
            return (trusted, trusted.Keys.Any(k => k.Usage == RegistryKeys.SignaturesUsage));
        }

        var now = _options.Time.GetUtcNow();
        if (pack?.ServedKeysFor(registry) is { } kept && kept.CheckedAt <= now && (_options.MaxAge == TimeSpan.MaxValue || now - kept.CheckedAt < _options.MaxAge)
            && trusted.WithServedKeys(kept.Keys) is { } extended)
        {
            pack.KeepServedKeys(registry, kept);
            return (extended, true);
        }

        var served = await _client.GetRegistryKeysAsync(null, ct).ConfigureAwait(false);
        var result = served.IsOk && served.Value!.Keys.Count > 0 ? trusted.WithServedKeys(served.Value.Keys) : null;
        if (result is not null)
        {
            pack?.PutServedKeys(registry, now, served.Value!.Keys);
        }

        return (result ?? trusted, SignsFrom(served, trusted));
    }

    private static bool SignsFrom(RegistryResult<RegistryKeySet> served, RegistryKeys trusted) => served.Status switch
    {
        RegistryStatus.Ok => served.Value!.Keys.Count > 0,
        RegistryStatus.NotFound => false,

        // Unknown (offline, failing): fail closed when there are keys to expect signatures from.
        _ => trusted.Keys.Any(k => k.Usage == RegistryKeys.SignaturesUsage),
    };

    private async Task<List<AuditEntry>> AuditNameAsync(List<LockfilePackage> versions, RunContext context, CancellationToken ct)
    {
        var name = versions[0].Name;
        var registry = _client.Config.GetRegistryFor(name);
        var trust = await TrustForAsync(registry, context, ct).ConfigureAwait(false);
        var results = new List<AuditEntry>(versions.Count);
        if (trust.Error is { } trustError)
        {
            return [.. versions.Select(p => Unanswered(p, new RegistryResult<Packument> { Status = RegistryStatus.NetworkError, Url = registry, Error = trustError }))];
        }

        // With a policy, evidence must come from the full document (publish time, _npmUser,
        // repository); with a history selector too, the policy's facts come from the cache.
        var policyOn = context.PolicyNeedsPackument(_options);
        var useFacts = policyOn && _options.PolicyHistory is not null && trust.Cache is not null;
        var profile = _options.Profile;
        var now = _options.Time.GetUtcNow();

        var misses = new List<LockfilePackage>();
        var cached = new Dictionary<LockfilePackage, CachedEvidence>();
        using (profile.Measure(AuditStage.CacheRead))
        {
            foreach (var p in versions)
            {
                if (trust.Cache?.TryRead(registry, p.Name, p.Version, p.Integrity) is { } hit && (!policyOn || hit.FromFullDocument))
                {
                    cached[p] = hit;
                }
                else
                {
                    misses.Add(p);
                }
            }
        }

        // What must be fetched: nothing when every version's evidence (and, for the policy, facts
        // younger than the max-age) is cached; the abbreviated document when only deprecation needs
        // revalidating; the full one for anything to verify or any history not yet recorded.
        var needFull = misses.Count > 0 && (trust.AlwaysFull || policyOn)
            || policyOn && !useFacts
            || useFacts && cached.Values.Any(c => c.Facts is null);
        var stale = useFacts && cached.Values.Any(c => c.Facts is { } f && Stale(f, now));
        Packument? packument = null;
        if (needFull || misses.Count > 0 || stale)
        {
            RegistryResult<Packument> fetched;
            using (profile.Measure(AuditStage.Fetch))
            {
                fetched = await _client.GetPackumentAsync(name, needFull ? PackumentFormat.Full : PackumentFormat.Abbreviated, ct).ConfigureAwait(false);
                var upgrade = fetched.IsOk && !needFull && (
                    misses.Any(p => Find(fetched.Value, p.Version)?.Dist.Attestations is not null)

                    // A locked version gone from the registry: judged on the full document, as on a first audit.
                    || useFacts && versions.Any(p => Find(fetched.Value, p.Version) is null));
                if (upgrade)
                {
                    fetched = await _client.GetPackumentAsync(name, PackumentFormat.Full, ct).ConfigureAwait(false);
                }
            }

            if (!fetched.IsOk)
            {
                foreach (var p in versions)
                {
                    results.Add(cached.TryGetValue(p, out var r) && !policyOn
                        ? Finish(p, r.Report, null, context, trust, fromCache: true)
                        : Unanswered(p, fetched));
                }

                return results;
            }

            packument = fetched.Value;
        }

        foreach (var p in versions)
        {
            var version = packument is null ? null : Find(packument, p.Version);
            if (cached.TryGetValue(p, out var hit))
            {
                var facts = hit.Facts;
                if (useFacts && packument is not null && version is null)
                {
                    // No longer served: judged on the registry's document as it is now (the policy refuses an unknown version).
                    facts = null;
                }
                else if (useFacts && packument is not null && version is not null)
                {
                    // Fresh facts for this run: recorded now (full document) or revalidated (deprecation).
                    var refreshed = packument.IsAbbreviated
                        ? facts! with { Deprecated = version.Deprecated, CheckedAt = now }
                        : Capture(packument, version, now);
                    if (refreshed is not null)
                    {
                        using (profile.Measure(AuditStage.CacheWrite))
                        {
                            trust.Cache!.Write(registry, p.Name, p.Version, p.Integrity, hit with { Facts = refreshed });
                        }
                    }

                    facts = refreshed;
                }

                results.Add(Finish(p, hit.Report, PolicyDocument(name, facts, packument, useFacts), context, trust, fromCache: true));
                continue;
            }

            if (version is null)
            {
                var why = packument!.InvalidVersions.TryGetValue(p.Version, out var reasons) ? $": the registry's entry is unusable ({string.Join("; ", reasons)})" : "";
                results.Add(new AuditEntry
                {
                    Package = p,
                    Status = AuditStatus.Failed,
                    Findings = [new AuditFinding(AuditCodes.VersionNotFound, AuditSeverity.Error, FindingSource.Audit, $"the lockfile pins {p.Name}@{p.Version}, which the registry does not serve{why}")],
                });
                continue;
            }

            var pin = IntegrityPin.Compare(p.Name, p.Version, p.Integrity, version.Dist);
            PackageReport report;
            using (profile.Measure(AuditStage.Verify))
            {
                report = await _verifier.VerifyVersionAsync(packument!, version, pin.SubjectSha512, pin.Report, pin.Problems, trust.Keys, ct).ConfigureAwait(false);
            }

            if (report.NetworkError is not null)
            {
                results.Add(new AuditEntry
                {
                    Package = p,
                    Status = AuditStatus.NetworkError,
                    NetworkError = report.NetworkError,
                    Findings = [new AuditFinding(AuditCodes.NetworkError, AuditSeverity.Error, FindingSource.Audit, $"{p.Name}@{p.Version}: the registry or network failed: {report.NetworkError}")],
                });
                continue;
            }

            var captured = useFacts ? Capture(packument!, version, now) : null;
            using (profile.Measure(AuditStage.CacheWrite))
            {
                trust.Cache?.Write(registry, p.Name, p.Version, p.Integrity, new CachedEvidence { Report = report, FromFullDocument = !packument!.IsAbbreviated, Facts = captured });
            }

            results.Add(Finish(p, report, PolicyDocument(name, captured, packument, useFacts), context, trust, fromCache: false));
        }

        return results;
    }

    private bool Stale(ImmutableFacts facts, DateTimeOffset now) =>
        _options.MaxAge != TimeSpan.MaxValue && (facts.CheckedAt > now || now - facts.CheckedAt >= _options.MaxAge);

    private ImmutableFacts? Capture(Packument full, PackageVersion version, DateTimeOffset now) =>
        ImmutableFacts.Capture(full, version, _options.PolicyHistory!(full, version), now);

    /// <summary>
    /// What the policy judges on: the recorded facts (the same document on a first audit and a warm
    /// one, so both decide alike), else the full packument (no history selector, or facts that
    /// could not be recorded).
    /// </summary>
    private static Packument? PolicyDocument(string name, ImmutableFacts? facts, Packument? packument, bool useFacts) =>
        useFacts && facts is not null ? facts.ToPackument(name) : packument is { IsAbbreviated: false } ? packument : null;

    private static PackageVersion? Find(Packument packument, string version)
    {
        if (packument.Versions.TryGetValue(version, out var v))
        {
            return v;
        }

        return SemVersion.TryParse(version, out var parsed) && packument.Versions.TryGetValue(parsed.ToString(), out v) ? v : null;
    }

    private static AuditEntry Unanswered<T>(LockfilePackage p, RegistryResult<T> fetched)
        where T : class => fetched.Status switch
        {
            RegistryStatus.NotFound => new AuditEntry
            {
                Package = p,
                Status = AuditStatus.Failed,
                Findings = [new AuditFinding(AuditCodes.PackageNotFound, AuditSeverity.Error, FindingSource.Audit, $"the lockfile pins {p.Name}@{p.Version}, but the registry does not know {p.Name} ({fetched.Url})")],
            },
            RegistryStatus.InvalidResponse => new AuditEntry
            {
                Package = p,
                Status = AuditStatus.Failed,
                Findings = [new AuditFinding(AuditCodes.RegistryResponseInvalid, AuditSeverity.Error, FindingSource.Audit, $"the registry's document for {p.Name} is unusable: {fetched.Error}")],
            },
            _ => new AuditEntry
            {
                Package = p,
                Status = AuditStatus.NetworkError,
                NetworkError = fetched.Error ?? fetched.Status.ToString(),
                Findings = [new AuditFinding(AuditCodes.NetworkError, AuditSeverity.Error, FindingSource.Audit, $"{p.Name}@{p.Version}: the registry or network failed: {fetched.Error ?? fetched.Status.ToString()}")],
            },
        };

    /// <summary>Turns cached or fresh evidence into findings: evidence problems, the audit's own checks, then policy (always fresh).</summary>
    private AuditEntry Finish(LockfilePackage p, PackageReport report, Packument? packument, RunContext context, RegistryTrust trust, bool fromCache)
    {
        var started = _options.Profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        var findings = report.Problems
            .Select(x => new AuditFinding(x.Code, x.Code == AuditCodes.IntegrityUnpinned ? AuditSeverity.Warning : AuditSeverity.Error, x.Code.StartsWith("VOUCH_AUDIT_", StringComparison.Ordinal) ? FindingSource.Audit : FindingSource.Evidence, x.Message))
            .ToList();
        if (trust.RegistrySigns && report.Signature.Status == "absent")
        {
            findings.Add(new AuditFinding(AuditCodes.SignatureMissing, AuditSeverity.Error, FindingSource.Audit, $"{p.Name}@{p.Version} carries no registry signature, though the registry publishes signing keys"));
        }

        if (_options.CheckResolvedHost && ResolvedElsewhere(p) is { } host)
        {
            findings.Add(new AuditFinding(AuditCodes.ResolvedElsewhere, AuditSeverity.Error, FindingSource.Audit, $"the lockfile resolves {p.Name}@{p.Version} from {host}, not from the registry that serves {p.Name} ({_client.Config.GetRegistryFor(p.Name).Host}): the registry's evidence does not cover what is installed")
            {
                Fix = $"reinstall {p.Name} from the registry, or allow {host} if it is a mirror you trust",
            });
        }

        bool? allowed = null;
        if (context.Policy is { } policy)
        {
            var change = context.Diff is not null && context.Diff.TryGetValue(Key(p), out var info) ? info : null;
            var outcome = policy(new PolicyInput(p, report, packument)
            {
                BaseVersion = change?.Change is DiffChange.Upgraded or DiffChange.Downgraded or DiffChange.Changed ? change.BaseVersion : null,
                IsNewDependency = change?.Change == DiffChange.Added,
            });
            findings.AddRange(outcome.Findings);
            allowed = outcome.Allowed;
        }

        _options.Profile?.Add(AuditStage.Policy, started);
        return new AuditEntry
        {
            Package = p,
            Status = findings.Any(f => f.Severity == AuditSeverity.Error) || allowed == false ? AuditStatus.Failed : AuditStatus.Passed,
            Report = report,
            Slsa = Vouch.Provenance.Slsa.SlsaLevels.Assess(report, _options.SlsaMapping),
            Findings = findings,
            FromCache = fromCache,
            PolicyAllowed = allowed,
        };
    }

    private string? ResolvedElsewhere(LockfilePackage p)
    {
        if (p.Resolved is null || !Uri.TryCreate(p.Resolved, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return null;
        }

        var host = url.Host;
        var registry = _client.Config.GetRegistryFor(p.Name);
        var allowed = PublicRegistryHosts.Contains(host, StringComparer.OrdinalIgnoreCase)
            || (host.Equals(registry.Host, StringComparison.OrdinalIgnoreCase) && (url.Port == registry.Port || url.IsDefaultPort && registry.IsDefaultPort))
            || _options.AllowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase);
        return allowed ? null : url.Authority;
    }

    private static AuditEntry WithFindings(AuditEntry entry, IReadOnlyList<AuditFinding> extra)
    {
        var findings = entry.Findings.Concat(extra).ToList();
        var status = entry.Status == AuditStatus.Passed && findings.Any(f => f.Severity == AuditSeverity.Error) ? AuditStatus.Failed : entry.Status;
        return entry with { Findings = findings, Status = status };
    }
}
