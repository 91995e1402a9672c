using System.Data.Common;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Watch.Storage;

namespace Vouch.Watch;

/// <summary>
/// A package that could not be checked this cycle; it is checked again next cycle (nothing of it
/// was committed). <see cref="Code"/> says whether the registry or the store failed.
/// </summary>
public sealed record PackageFailure(string Package, string Message, string Code = WatchCodes.RegistryFailed);

/// <summary>What one cycle did.</summary>
public sealed record CycleResult(IReadOnlyList<WatchEvent> Events, IReadOnlyList<PackageFailure> Failures, int Checked, int Conflicts)
{
    /// <summary>The cycle was stopped part-way; <see cref="Events"/> holds what was committed before.</summary>
    public bool Cancelled { get; init; }
}

/// <summary>
/// One watch cycle over a list of packages: for each, read the packument (conditional request
/// through the registry client's cache), verify each new version with <see cref="PackageVerifier"/>
/// (tarball, signature, attestations), let <see cref="PackageDiff"/> name what changed, and commit
/// state and events together (<see cref="WatchStore.Commit"/>). A package whose packument or a
/// new version's verification hit a registry failure commits nothing, so the next cycle sees the
/// same versions as new again: a transient failure loses nothing.
/// </summary>
public sealed class WatchEngine(RegistryClient client, PackageVerifier verifier, PolicyDocument policy, WatchStore store, TimeProvider time, bool outbox, int parallelism = 8)
{
    public async Task<CycleResult> CheckAsync(IReadOnlyList<string> packages, CancellationToken ct)
    {
        Task<RegistryKeys>? keys = null;
        var gate = new object();
        Task<RegistryKeys> Keys()
        {
            // Asked once per cycle, and only when some package has a new version to verify.
            lock (gate)
            {
                return keys ??= verifier.KeysAsync(ct);
            }
        }

        var events = new List<WatchEvent>();
        var failures = new List<PackageFailure>();
        var conflicts = 0;
        var cancelled = false;
        try
        {
            await RunAllAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // A stop: the packages committed so far are reported, so their events still reach stdout.
            cancelled = true;
        }

        return new CycleResult([.. events.OrderBy(e => e.Sequence)], [.. failures.OrderBy(f => f.Package, StringComparer.Ordinal)], packages.Count, conflicts) { Cancelled = cancelled };

        Task RunAllAsync() => Parallel.ForEachAsync(packages, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (name, token) =>
        {
            var (committed, failure, conflict) = await CheckPackageAsync(name, Keys, token).ConfigureAwait(false);
            lock (events)
            {
                events.AddRange(committed);
                if (failure is not null)
                {
                    failures.Add(failure);
                }

                conflicts += conflict ? 1 : 0;
            }
        });
    }

    /// <summary>True when <paramref name="package"/> is served by the configured registry (the one whose changes feed is followed).</summary>
    public bool OnDefaultRegistry(string package) => client.Config.GetRegistryFor(package) == client.Config.Registry;

    private async Task<(IReadOnlyList<WatchEvent> Events, PackageFailure? Failure, bool Conflict)> CheckPackageAsync(string name, Func<Task<RegistryKeys>> keys, CancellationToken ct)
    {
        try
        {
            return await CheckPackageCoreAsync(name, keys, ct).ConfigureAwait(false);
        }
        catch (DbException e) when (!ct.IsCancellationRequested)
        {
            // A store that is briefly unreachable (a PostgreSQL restart, a network blip) costs this
            // package one cycle, not the run: its transaction rolled back, so the next cycle redoes it.
            return ([], new PackageFailure(name, $"the watch store failed: {e.Message}", WatchCodes.StoreUnavailable), false);
        }
    }

    private async Task<(IReadOnlyList<WatchEvent> Events, PackageFailure? Failure, bool Conflict)> CheckPackageCoreAsync(string name, Func<Task<RegistryKeys>> keys, CancellationToken ct)
    {
        var stored = store.ReadState(name);
        var fetched = await client.GetPackumentAsync(name, PackumentFormat.Full, ct).ConfigureAwait(false);
        Packument? packument;
        if (fetched.IsOk)
        {
            packument = fetched.Value;
        }
        else if (fetched.Status == RegistryStatus.NotFound)
        {
            packument = null;
        }
        else
        {
            return ([], new PackageFailure(name, fetched.Error ?? fetched.Status.ToString()), false);
        }

        var verified = new Dictionary<string, PackageReport>(StringComparer.Ordinal);
        if (stored is { } s && packument is not null && !packument.IsUnpublished)
        {
            foreach (var v in PackageDiff.NewVersions(s.State, packument).Take(Limits.MaxNewVersionsPerPackagePerCycle))
            {
                var report = await VerifyAsync(packument, v, keys, ct).ConfigureAwait(false);
                if (report.NetworkError is not null)
                {
                    return ([], new PackageFailure(name, $"{name}@{v.Version}: {report.NetworkError}"), false);
                }

                verified[v.Version.ToString()] = report;
            }
        }

        var (events, next) = PackageDiff.Diff(name, stored?.State, packument, verified, policy, time.GetUtcNow());
        if (stored is { } unchanged && events.Count == 0 && next.Serialize() == unchanged.State.Serialize())
        {
            return ([], null, false);
        }

        var result = store.Commit(name, stored?.Revision, next, events, outbox, time.GetUtcNow());
        return (result.Events, null, result.Status == CommitStatus.Conflict);
    }

    private async Task<PackageReport> VerifyAsync(Packument packument, PackageVersion v, Func<Task<RegistryKeys>> keys, CancellationToken ct)
    {
        var version = v.Version.ToString();
        var tarball = await client.GetTarballAsync(v.Dist.Tarball, ct).ConfigureAwait(false);
        if (!tarball.IsOk)
        {
            return tarball.Status is RegistryStatus.NotFound or RegistryStatus.InvalidResponse
                ? new PackageReport { Name = v.Name, Version = version, Problems = [new Problem(ProvenanceCodes.TarballNotFound, $"the tarball of {v.Name}@{version} is not served ({tarball.Url}): {tarball.Error}")] }
                : new PackageReport { Name = v.Name, Version = version, NetworkError = tarball.Error ?? tarball.Status.ToString() };
        }

        return await verifier.VerifyVersionAsync(packument, v, tarball.Value.Hashes, await keys().ConfigureAwait(false), ct).ConfigureAwait(false);
    }
}
