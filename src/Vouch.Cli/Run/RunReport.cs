using Vouch.Gate.Storage;
using Vouch.Npm;

namespace Vouch.Cli.Run;

/// <summary>One version the gate kept from the child, and why (from the gate's refusal log).</summary>
internal sealed record Refusal(string Name, string Version, string Rule, string Reason, bool Requested);

/// <summary>
/// What the gate kept from the child during one `vouch run`, read back from its refusal log (the
/// audit entries <c>withheld</c>: left out of a packument, and <c>refused</c>: a tarball asked for
/// and answered 403) and its evidence (the versions it verified and served).
/// </summary>
internal sealed record RunReport(IReadOnlyList<Refusal> Refusals, IReadOnlyList<(string Name, string Version)> Served)
{
    /// <summary>True when the client asked for a version the gate kept from it, whether or not it settled for another.</summary>
    public bool RequestedRefused => Refusals.Any(r => r.Requested);

    /// <summary>
    /// A <c>refused</c> entry is a version the client asked for by its tarball. A <c>withheld</c>
    /// entry counts as asked for when the client installed a lower version of the package in the
    /// same caret range (<c>^served</c>): the client would have taken the withheld one, and settled.
    /// </summary>
    public static RunReport From(IReadOnlyList<AuditEntry> log, IReadOnlyList<StoredEvidence> evidence)
    {
        var refused = log.Where(e => e.Action == "refused" && e.Name is not null && e.Version is not null)
            .Select(e => (e.Name!, e.Version!)).ToHashSet();
        var served = evidence.Select(e => (e.Name, e.Version)).Where(s => !refused.Contains(s)).Distinct().ToList();
        var refusals = new List<Refusal>();
        foreach (var e in log.Where(e => e.Action is "withheld" or "refused" && e.Name is not null && e.Version is not null)
                     .OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.Version, StringComparer.Ordinal))
        {
            if (refusals.Any(r => r.Name == e.Name && r.Version == e.Version))
            {
                continue;
            }

            var requested = refused.Contains((e.Name!, e.Version!)) || SettledBelow(e.Name!, e.Version!, served);
            refusals.Add(new Refusal(e.Name!, e.Version!, e.Rule ?? "policy", e.Reason ?? "", requested));
        }

        return new RunReport(refusals, served);
    }

    private static bool SettledBelow(string name, string version, List<(string Name, string Version)> served)
    {
        if (SemVersion.ParseOrNull(version) is not { } withheld)
        {
            return false;
        }

        foreach (var (n, v) in served)
        {
            if (n == name && SemVersion.ParseOrNull(v) is { } got && got.CompareTo(withheld) < 0 && SameCaret(got, withheld))
            {
                return true;
            }
        }

        return false;
    }

    // ^got admits withheld: same major (same minor below 1.0.0, same patch below 0.1.0).
    private static bool SameCaret(SemVersion got, SemVersion withheld) =>
        got.Major != 0 ? got.Major == withheld.Major
        : got.Minor != 0 ? withheld.Major == 0 && got.Minor == withheld.Minor
        : withheld.Major == 0 && withheld.Minor == 0 && got.Patch == withheld.Patch;

    /// <summary>The lines `vouch run` prints at the end (stderr).</summary>
    public IEnumerable<string> Lines()
    {
        if (Refusals.Count == 0)
        {
            yield return "vouch run: the gate withheld nothing";
            yield break;
        }

        yield return $"vouch run: the gate withheld {Refusals.Count} version{(Refusals.Count == 1 ? "" : "s")}:";
        foreach (var r in Refusals)
        {
            var marker = r.Requested ? "REFUSED (the client asked for it)" : "withheld";
            yield return $"  {r.Name}@{r.Version}: {marker}: rule {r.Rule}: {r.Reason}";
        }

        foreach (var r in Refusals.Where(r => r.Requested && !r.Reason.Contains("approve", StringComparison.Ordinal)).Take(1))
        {
            yield return $"  to ask for an exception: vouch approve request {r.Name}@{r.Version} --rule {r.Rule}";
        }
    }
}
