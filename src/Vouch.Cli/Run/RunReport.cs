using Vouch.Gate.Storage;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;

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
    /// <param name="installed">
    /// What the project holds after the run (its lockfile and node_modules): a client that takes a
    /// tarball from its own cache (npm's, yarn berry's mirror) never asks the gate for it, so the
    /// gate's evidence alone would miss that it settled.
    /// </param>
    public static RunReport From(IReadOnlyList<AuditEntry> log, IReadOnlyList<StoredEvidence> evidence, IEnumerable<(string Name, string Version)>? installed = null)
    {
        var refused = log.Where(e => e.Action == "refused" && e.Name is not null && e.Version is not null)
            .Select(e => (e.Name!, e.Version!)).ToHashSet();
        var served = evidence.Select(e => (e.Name, e.Version)).Concat(installed ?? []).Where(s => !refused.Contains(s)).Distinct().ToList();
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

    /// <summary>Name and version of every package the project's lockfile lists and every package directly under node_modules (best effort: unreadable files are skipped).</summary>
    public static List<(string Name, string Version)> Installed(string project)
    {
        var found = new List<(string, string)>();
        try
        {
            if (LockfileReader.Find(project) is { } lockfile)
            {
                found.AddRange(LockfileReader.Read(lockfile).Packages.Select(p => (p.Name, p.Version)));
            }
        }
        catch (Exception e) when (e is LockfileFormatException or IOException or UnauthorizedAccessException)
        {
            // A lockfile the client left unreadable adds nothing; node_modules below still counts.
        }

        var modules = Path.Combine(project, "node_modules");
        if (!Directory.Exists(modules))
        {
            return found;
        }

        foreach (var dir in Directory.EnumerateDirectories(modules).SelectMany(d => Path.GetFileName(d).StartsWith('@') ? Directory.EnumerateDirectories(d) : [d]).Take(Limits.MaxRunLogEntries))
        {
            var manifest = Path.Combine(dir, "package.json");
            try
            {
                if (File.Exists(manifest) && new FileInfo(manifest).Length <= Limits.MaxConfigFileBytes
                    && Vouch.Common.Json.JsonInput.ParseNode(File.ReadAllText(manifest), Vouch.Npm.Limits.MaxJsonDepth) is System.Text.Json.Nodes.JsonObject o
                    && o["name"] is System.Text.Json.Nodes.JsonValue n && n.TryGetValue<string>(out var name)
                    && o["version"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var version))
                {
                    found.Add((name, version));
                }
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
            {
                // Not a package directory we can read; skipped.
            }
        }

        return found;
    }
}
