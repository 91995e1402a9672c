using Vouch.Gate.Evidence;
using Vouch.Gate.Storage;
using Vouch.Gate.Tarballs;
using Vouch.Gate.Upstream;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Gate.Verification;

/// <summary>
/// Verifies one version once: the tarball from the store (downloaded and integrity-checked when
/// absent), the evidence from the database when another request or instance already produced it,
/// else a fresh verification whose report is stored. What is stored and when an incomplete
/// verification is tried again is the <see cref="EvidenceLedger"/>'s business; the rest of the gate
/// only sees a <see cref="TarballResult"/>. Every attempt, a ledger retry included, goes out through
/// the same outbound-policy handler and is refused while the upstream's circuit breaker is open.
/// </summary>
internal sealed class VersionVerifier(EvidenceLedger ledger, TarballStore tarballs, KeysCache keys, PackageVerifier verifier, CircuitBreaker breaker, Observability.UpstreamMetrics metrics)
{
    private readonly Coalescer<TarballResult> _inflight = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="allowDownload">False while the upstream is failing: only a version verified before is answered.</param>
    public Task<TarballResult> EnsureVerifiedAsync(Packument packument, PackageVersion version, bool allowDownload) =>
        // Keyed by the bytes too: a request made under a packument that names other bytes must not
        // be answered with a verification (and file) of the old ones.
        _inflight.RunAsync($"{version.Name}@{version.Version}\n{IntegrityKey(version)}", () => VerifyOnceAsync(packument, version, allowDownload, _stopping.Token));

    public static string IntegrityKey(PackageVersion version) => !string.IsNullOrEmpty(version.Dist.Integrity) ? version.Dist.Integrity : "sha1:" + version.Dist.Shasum;

    private async Task<TarballResult> VerifyOnceAsync(Packument packument, PackageVersion version, bool allowDownload, CancellationToken ct)
    {
        var name = version.Name;
        var v = version.Version.ToString();
        var integrityKey = IntegrityKey(version);
        if (TarballStore.Ambiguity(version) is { } ambiguous)
        {
            return new TarballResult(TarballStatus.IntegrityMismatch, Name: name, Version: v, Error: ambiguous);
        }

        var path = tarballs.PathFor(version);
        TarballHashes? hashes = null;
        long length;

        // Evidence ledger (issue 12): complete evidence is final; an incomplete verification waits for its retry time.
        var known = await ledger.LookupAsync(name, v, integrityKey, ct).ConfigureAwait(false);
        if (known.State == LedgerState.Incomplete)
        {
            return Incomplete(name, v, known);
        }

        // A stored file is hashed again before it is trusted (once per process while it is unchanged;
        // later requests hit the release decision cache); one that no longer matches is dropped and fetched again.
        var stored = path is not null ? await tarballs.ReadStoredAsync(path, version, needHashes: known.State != LedgerState.Complete, ct).ConfigureAwait(false) : null;
        if (stored is { } intact)
        {
            hashes = intact.Hashes;
            length = intact.Length;
            if (known.State == LedgerState.Complete)
            {
                return new TarballResult(TarballStatus.Ok, path, length, known.Report, Name: name, Version: v);
            }
        }
        else
        {
            if (!allowDownload)
            {
                return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: $"the upstream is unavailable and {name}@{v} has not been verified before");
            }

            var downloaded = await tarballs.DownloadAsync(version, ct).ConfigureAwait(false);
            if (downloaded.Status != TarballStatus.Ok)
            {
                return downloaded;
            }

            path = downloaded.Path;
            hashes = downloaded.Hashes;
            length = downloaded.Length;
        }

        if (known.State == LedgerState.Complete)
        {
            // Another gate (or an earlier run) verified these bytes under the same trust material.
            return new TarballResult(TarballStatus.Ok, path, length, known.Report, Name: name, Version: v);
        }

        // A first verification or a ledger retry fetches attestations and keys: not while the breaker
        // says the upstream is failing (a stale-serving gate must not hammer it, nor record the
        // failure as an incomplete attempt that pushes the retry further out).
        if (breaker.IsOpen)
        {
            return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: $"the upstream keeps failing (circuit open) and {name}@{v} has no complete evidence yet");
        }

        var started = Observability.UpstreamMetrics.Start();
        var registryKeys = await keys.VerificationKeysAsync(ct).ConfigureAwait(false);
        var report = await verifier.VerifyVersionAsync(packument, version, hashes!, registryKeys, ct).ConfigureAwait(false);
        if (report.NetworkError is not null)
        {
            // The attestations and keys come from the same upstream: its failures here count toward
            // its breaker like a packument's, so a failing upstream is not asked once per tarball request.
            breaker.Failure();
            metrics.Verification("error", started);
            return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: report.NetworkError);
        }

        var recorded = await ledger.RecordAsync(name, v, integrityKey, report, known.Attempts, ct).ConfigureAwait(false);
        metrics.Verification(recorded.State != LedgerState.Complete ? "incomplete" : recorded.Report!.Passed ? "passed" : "failed", started);
        return recorded.State == LedgerState.Complete
            ? new TarballResult(TarballStatus.Ok, path, length, recorded.Report, Name: name, Version: v)
            : Incomplete(name, v, recorded);
    }

    private TarballResult Incomplete(string name, string version, LedgerEntry entry) =>
        new(TarballStatus.VerificationIncomplete, Name: name, Version: version, RetryAt: entry.RetryAt, RetryAfter: entry.RetryAt is { } at ? ledger.Until(at) : null,
            Error: $"verification of {name}@{version} could not complete (attempt {entry.Attempts}; retried after {entry.RetryAt:u}): {entry.Error}");

    public void Stop() => _stopping.Cancel();
}
