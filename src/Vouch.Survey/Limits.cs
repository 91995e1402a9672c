namespace Vouch.Survey;

/// <summary>Caps on untrusted input read by the survey (package lists, snapshots, checkpoints).</summary>
public static class Limits
{
    /// <summary>Longest line of a package list or snapshot.</summary>
    public const int MaxLineLength = 64 * 1024;

    /// <summary>Most packages in one survey (the npm registry holds a few million).</summary>
    public const int MaxPackages = 10_000_000;

    /// <summary>Versions tried, oldest first, to find the first one whose advertised provenance verifies (latest-only mode).</summary>
    public const int FirstProvenanceProbes = 3;

    /// <summary>Problems listed in one usage error before "and N more".</summary>
    public const int MaxListedErrors = 20;

    /// <summary>Downgrades listed in the HTML report (the counts cover all of them).</summary>
    public const int MaxReportedDowngrades = 200;

    /// <summary>Largest checkpoint file read.</summary>
    public const int MaxCheckpointBytes = 4 * 1024 * 1024;
}
