using Vouch.Gate.Storage;
using Vouch.Provenance;

namespace Vouch.Gate.Evidence;

/// <summary>Where a version's verification stands under the gate's trust material.</summary>
internal enum LedgerState
{
    /// <summary>Never verified, or an incomplete verification is due for another attempt.</summary>
    Unknown,

    /// <summary>Verification completed: <see cref="LedgerEntry.Report"/> is the evidence, good or bad, and never changes.</summary>
    Complete,

    /// <summary>Verification could not complete; not tried again before <see cref="LedgerEntry.RetryAt"/>.</summary>
    Incomplete,
}

internal sealed record LedgerEntry(LedgerState State, PackageReport? Report = null, int Attempts = 0, DateTimeOffset? RetryAt = null, string? Error = null)
{
    public static readonly LedgerEntry Unknown = new(LedgerState.Unknown);
}

/// <summary>
/// Keeps "the evidence is bad" apart from "verification could not complete". Complete evidence is
/// stored once per (name, version, integrity, trust fingerprint) and shared by every gate on the
/// database; a verification whose only problems are incomplete ones (attestations advertised but not
/// served, a key, log or authority the trust material does not know yet) is recorded with an
/// attempt count and retried after an exponential backoff, so nobody (an unauthenticated
/// <c>GET /-/vouch/v1/verify</c> right after a publish included) can turn a transient failure into a
/// permanent refusal.
/// </summary>
internal sealed class EvidenceLedger(GateStore store, string trust, TimeProvider time, TimeSpan retryMin, TimeSpan retryMax)
{
    /// <summary>The trust material's fingerprint every record is keyed by.</summary>
    public string Trust { get; } = trust;

    public async Task<LedgerEntry> LookupAsync(string name, string version, string integrity, CancellationToken ct)
    {
        var record = await store.GetEvidenceAsync(name, version, integrity, Trust, ct).ConfigureAwait(false);
        if (record is null)
        {
            return LedgerEntry.Unknown;
        }

        if (record.Complete)
        {
            return new LedgerEntry(LedgerState.Complete, EvidenceJson.Deserialize(record.ReportJson!), record.Attempts);
        }

        return record.RetryAt > time.GetUtcNow()
            ? new LedgerEntry(LedgerState.Incomplete, Attempts: record.Attempts, RetryAt: record.RetryAt, Error: record.Error)
            : new LedgerEntry(LedgerState.Unknown, Attempts: record.Attempts);
    }

    /// <summary>Stores the outcome of one verification attempt and says what it was.</summary>
    public async Task<LedgerEntry> RecordAsync(string name, string version, string integrity, PackageReport report, int previousAttempts, CancellationToken ct)
    {
        if (IncompleteReason(report) is not { } why)
        {
            await store.PutCompleteEvidenceAsync(name, version, integrity, Trust, EvidenceJson.Serialize(report), ct).ConfigureAwait(false);

            // Another gate may have completed first: the stored evidence is the one everybody uses.
            var stored = await LookupAsync(name, version, integrity, ct).ConfigureAwait(false);
            return stored.State == LedgerState.Complete ? stored : new LedgerEntry(LedgerState.Complete, report, previousAttempts + 1);
        }

        var attempts = previousAttempts + 1;
        var retryAt = time.GetUtcNow() + Backoff(attempts);
        await store.PutIncompleteEvidenceAsync(name, version, integrity, Trust, attempts, retryAt, why, ct).ConfigureAwait(false);
        return new LedgerEntry(LedgerState.Incomplete, Attempts: attempts, RetryAt: retryAt, Error: why);
    }

    /// <summary>
    /// Why a report is not final evidence, or null when it is. A report with any problem that is not
    /// incomplete (a bad signature, an integrity mismatch, a forged bundle) is final: nothing later
    /// can make it pass.
    /// </summary>
    public static string? IncompleteReason(PackageReport report)
    {
        if (report.NetworkError is { } network)
        {
            return network;
        }

        if (report.Problems.Count == 0 || report.Problems.Any(p => !p.Incomplete))
        {
            return null;
        }

        return string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}"));
    }

    /// <summary>How long until <paramref name="at"/> on the gate's clock (what Retry-After says).</summary>
    public TimeSpan Until(DateTimeOffset at) => at - time.GetUtcNow();

    /// <summary>retryMin, doubled per further attempt, capped at retryMax.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var ticks = Math.Min(retryMin.Ticks * factor, retryMax.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
