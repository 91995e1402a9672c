namespace Vouch.Survey;

/// <summary>Stable codes of `vouch survey` (docs/codes.md). Never renamed.</summary>
public static class SurveyCodes
{
    /// <summary>The package list (`--packages`, arguments) has a line that is not a package name, a bad rank, or a duplicate.</summary>
    public const string InputInvalid = "VOUCH_SURVEY_INPUT_INVALID";

    /// <summary>The checkpoint file is unreadable, or was written for another input, registry or options.</summary>
    public const string CheckpointMismatch = "VOUCH_SURVEY_CHECKPOINT_MISMATCH";

    /// <summary>The registry does not know the package (row status `not-found`).</summary>
    public const string PackageNotFound = "VOUCH_SURVEY_PACKAGE_NOT_FOUND";

    /// <summary>The package has no version to survey (no `latest` dist-tag and no release, or every version unusable).</summary>
    public const string NoVersion = "VOUCH_SURVEY_NO_VERSION";

    /// <summary>The registry or network failed for a package: the run stops there (resumable), nothing is recorded for it.</summary>
    public const string NetworkFailed = "VOUCH_SURVEY_NETWORK_FAILED";

    /// <summary>A snapshot given to `vouch survey diff` is not JSON Lines written by `vouch survey`.</summary>
    public const string SnapshotInvalid = "VOUCH_SURVEY_SNAPSHOT_INVALID";

    /// <summary>The registry answered for a package with a document that cannot be used (row status `invalid-response`).</summary>
    public const string RegistryResponseInvalid = "VOUCH_SURVEY_REGISTRY_RESPONSE_INVALID";
}
