using System.Collections.Concurrent;

namespace Vouch.Gate.Decisions;

/// <summary>
/// Release decisions for tarballs, in memory, so a verified tarball is served without a database
/// read or a policy evaluation per request. A cached decision names what it was made under (the
/// version's integrity, the policy version, the approvals version, this cache's generation) and is
/// used only while all four still hold: a grant, a new policy or new trust material makes it miss.
/// Only allowed decisions are kept; refusals are decided again (and logged) each time.
/// </summary>
internal sealed class ReleaseDecisionCache
{
    /// <summary>Entries beyond this are dropped all at once (each is a few hundred bytes).</summary>
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Cached> _entries = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Bumped by <see cref="Invalidate"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public int Count => _entries.Count;

    /// <summary>
    /// Drops every cached decision. Called when trust material changes, and available to the storage
    /// side for anything that changes evidence (a re-verification, evidence found bad).
    /// </summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public bool TryGet(string name, string version, string integrity, string policyVersion, long approvalsVersion, out TarballResult result)
    {
        if (_entries.TryGetValue(name + "@" + version, out var c)
            && c.Integrity == integrity && c.PolicyVersion == policyVersion && c.ApprovalsVersion == approvalsVersion && c.Generation == Generation)
        {
            result = c.Result;
            return true;
        }

        result = null!;
        return false;
    }

    public void Put(string name, string version, string integrity, string policyVersion, long approvalsVersion, long generation, TarballResult allowed)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[name + "@" + version] = new Cached(integrity, policyVersion, approvalsVersion, generation, allowed);
    }

    private sealed record Cached(string Integrity, string PolicyVersion, long ApprovalsVersion, long Generation, TarballResult Result);
}
