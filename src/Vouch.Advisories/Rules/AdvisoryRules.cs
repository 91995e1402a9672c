using Vouch.Npm;

namespace Vouch.Advisories;

public enum FindingLevel
{
    Note,
    Warning,
    Error,
}

/// <summary>One outcome of the advisory or malware rule for one package version: code, reason and fix.</summary>
public sealed record AdvisoryFinding
{
    public required string Code { get; init; }

    public required FindingLevel Level { get; init; }

    public required string Package { get; init; }

    public required SemVersion Version { get; init; }

    /// <summary>The advisory the finding is about (null for a finding about an ignore entry alone).</summary>
    public AdvisoryMatch? Advisory { get; init; }

    public required string Reason { get; init; }

    public required string Fix { get; init; }

    /// <summary>The database snapshot the decision used (<see cref="SnapshotInfo.Id"/>).</summary>
    public required string Snapshot { get; init; }
}

/// <summary>
/// An ignore entry of the policy: the advisory (id or alias), optionally for one package, with a
/// mandatory reason and expiry. Built only through <see cref="TryCreate"/>.
/// </summary>
public sealed record AdvisoryIgnore
{
    private AdvisoryIgnore(string id, string reason, DateTimeOffset expires, string? package)
    {
        Id = id;
        Reason = reason;
        Expires = expires;
        Package = package;
    }

    public string Id { get; }

    public string Reason { get; }

    public DateTimeOffset Expires { get; }

    public string? Package { get; }

    /// <summary>Validates an entry; the errors name every missing field (<see cref="AdvisoryCodes.SuppressionMalformed"/>).</summary>
    public static bool TryCreate(string? id, string? reason, DateTimeOffset? expires, string? package, out AdvisoryIgnore? ignore, out IReadOnlyList<string> errors)
    {
        var list = new List<string>();
        if (string.IsNullOrWhiteSpace(id) || !OsvParser.IsValidId(id.Trim()))
        {
            list.Add("id: missing or not an advisory id (GHSA-…, CVE-…, MAL-…)");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            list.Add("reason: required (why is this advisory acceptable here?)");
        }

        if (expires is null)
        {
            list.Add("expires: required (ignores must be revisited)");
        }

        if (package is not null && PackageName.Validate(package).Errors.Count > 0)
        {
            list.Add($"package: '{package}' is not a package name");
        }

        errors = list;
        ignore = list.Count == 0 ? new AdvisoryIgnore(id!.Trim(), reason!.Trim(), expires!.Value, package) : null;
        return ignore is not null;
    }

    public bool Covers(AdvisoryMatch match) =>
        match.IsNamed(Id) && (Package is null || string.Equals(Package, match.Package, StringComparison.Ordinal));
}

/// <summary>Settings of the <c>advisories</c> rule.</summary>
public sealed record AdvisoryRuleOptions
{
    /// <summary>Advisories at or above this level fail; below it they are notes.</summary>
    public SeverityLevel Threshold { get; init; } = SeverityLevel.High;

    /// <summary>The level an advisory with no usable severity counts as (conservative by default).</summary>
    public SeverityLevel UnknownSeverityAs { get; init; } = SeverityLevel.High;

    public IReadOnlyList<AdvisoryIgnore> Ignores { get; init; } = [];

    public IReadOnlyList<VexStatement> Vex { get; init; } = [];
}

/// <summary>
/// The logic of the policy rules <c>malware</c> and <c>advisories</c>, free of the policy engine:
/// the policy adapter supplies matches from <see cref="IAdvisoryDatabase"/> and the rule settings,
/// and maps findings to its verdicts. Malware is always an error: neither an ignore entry nor a VEX
/// statement suppresses it (a wrong MAL record is withdrawn upstream, not waived locally).
/// </summary>
public static class AdvisoryRules
{
    public static IReadOnlyList<AdvisoryFinding> Malware(string package, SemVersion version, IReadOnlyList<AdvisoryMatch> matches, SnapshotInfo snapshot)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(snapshot);
        return matches.Where(m => m.IsMalware).Select(m => new AdvisoryFinding
        {
            Code = AdvisoryCodes.Malware,
            Level = FindingLevel.Error,
            Package = package,
            Version = version,
            Advisory = m,
            Reason = $"{package}@{version} is listed as malicious by {string.Join(", ", m.Ids)}{(m.Summary is null ? "" : $": {m.Summary}")}",
            Fix = $"Remove {package}@{version}; rotate any credentials of machines that installed it; use a version no MAL record lists.",
            Snapshot = snapshot.Id,
        }).ToList();
    }

    public static IReadOnlyList<AdvisoryFinding> Advisories(string package, SemVersion version, IReadOnlyList<AdvisoryMatch> matches, AdvisoryRuleOptions options, SnapshotInfo snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(snapshot);
        var findings = new List<AdvisoryFinding>();
        foreach (var m in matches.Where(m => !m.IsMalware))
        {
            var ignores = options.Ignores.Where(i => i.Covers(m)).ToList();
            var active = ignores.FirstOrDefault(i => i.Expires > now);
            foreach (var expired in ignores.Where(i => i.Expires <= now))
            {
                findings.Add(Finding(AdvisoryCodes.IgnoreExpired, FindingLevel.Warning, m,
                    $"the ignore entry for {expired.Id} expired on {expired.Expires:yyyy-MM-dd} (reason was: {expired.Reason})",
                    "Upgrade, or renew the entry with a new expiry and a current reason."));
            }

            if (active is not null)
            {
                findings.Add(Finding(AdvisoryCodes.Suppressed, FindingLevel.Note, m,
                    $"{m.Id} is ignored until {active.Expires:yyyy-MM-dd}: {active.Reason}", "None needed until the entry expires."));
                continue;
            }

            if (VexVerdict(m, options.Vex) is { } statement)
            {
                findings.Add(Finding(AdvisoryCodes.Suppressed, FindingLevel.Note, m,
                    $"{m.Id} is {(statement.Status == VexStatus.Fixed ? "fixed" : "not affecting")} here per VEX {statement.Source}{(statement.Justification is null ? "" : $" ({statement.Justification})")}",
                    "None while the VEX statement holds."));
                continue;
            }

            var level = m.Severity.Level == SeverityLevel.Unknown ? options.UnknownSeverityAs : m.Severity.Level;
            var fix = m.FixedIn is { } f ? $"Upgrade {package} to {f} or later." : "No fixed version is recorded: replace the package, or ignore the advisory with a reason and expiry.";
            if (level >= options.Threshold)
            {
                findings.Add(Finding(AdvisoryCodes.Vulnerable, FindingLevel.Error, m,
                    $"{package}@{version} is affected by {m.Id} ({m.Severity}){(m.Summary is null ? "" : $": {m.Summary}")}", fix));
            }
            else
            {
                findings.Add(Finding(AdvisoryCodes.BelowThreshold, FindingLevel.Note, m,
                    $"{package}@{version} is affected by {m.Id} ({m.Severity}), below the {options.Threshold.ToString().ToLowerInvariant()} threshold", fix));
            }
        }

        return findings;

        AdvisoryFinding Finding(string code, FindingLevel level, AdvisoryMatch m, string reason, string fix) => new()
        {
            Code = code,
            Level = level,
            Package = package,
            Version = version,
            Advisory = m,
            Reason = reason,
            Fix = fix,
            Snapshot = snapshot.Id,
        };
    }

    /// <summary>The latest VEX statement about this advisory and package version, when it says "not affected" or "fixed".</summary>
    public static VexStatement? VexVerdict(AdvisoryMatch match, IReadOnlyList<VexStatement> statements)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(statements);
        var latest = statements
            .Select((s, i) => (s, i))
            .Where(x => x.s.Vulnerabilities.Any(match.IsNamed) && x.s.Products.Any(p => p.Covers(match.Package, match.Version)))
            .OrderBy(x => x.s.Timestamp ?? DateTimeOffset.MinValue).ThenBy(x => x.i)
            .Select(x => x.s)
            .LastOrDefault();
        return latest is { Suppresses: true } ? latest : null;
    }
}
