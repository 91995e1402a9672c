namespace Vouch.Npm.Lockfiles;

/// <summary>
/// Stable codes for lockfiles: <c>VOUCH_LOCK_*</c>. Parse failures are carried by
/// <see cref="LockfileFormatException"/>; lint findings by <see cref="LockfileFinding"/>.
/// docs/lockfiles.md and docs/codes.md list every one.
/// </summary>
public static class LockfileCodes
{
    // Reading (LockfileFormatException): the CLI maps all of them to exit 2.
    public const string Unreadable = "VOUCH_LOCK_UNREADABLE";
    public const string Malformed = "VOUCH_LOCK_MALFORMED";
    public const string Unsupported = "VOUCH_LOCK_UNSUPPORTED";
    public const string TooLarge = "VOUCH_LOCK_TOO_LARGE";
    public const string InvalidEntry = "VOUCH_LOCK_INVALID_ENTRY";

    // Lint (LockfileFinding).
    public const string HostNotAllowed = "VOUCH_LOCK_HOST_NOT_ALLOWED";
    public const string InsecureProtocol = "VOUCH_LOCK_INSECURE_PROTOCOL";
    public const string ResolvedMalformed = "VOUCH_LOCK_RESOLVED_MALFORMED";
    public const string IntegrityMissing = "VOUCH_LOCK_INTEGRITY_MISSING";
    public const string IntegrityMalformed = "VOUCH_LOCK_INTEGRITY_MALFORMED";
    public const string IntegrityWeak = "VOUCH_LOCK_INTEGRITY_WEAK";
    public const string IntegrityNotSha512 = "VOUCH_LOCK_INTEGRITY_NOT_SHA512";
    public const string NameMismatch = "VOUCH_LOCK_NAME_MISMATCH";
    public const string VersionMismatch = "VOUCH_LOCK_VERSION_MISMATCH";
    public const string SourceGit = "VOUCH_LOCK_SOURCE_GIT";
    public const string SourceTarball = "VOUCH_LOCK_SOURCE_TARBALL";
    public const string SourceFile = "VOUCH_LOCK_SOURCE_FILE";
    public const string SourceLink = "VOUCH_LOCK_SOURCE_LINK";
}
