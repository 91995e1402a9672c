using System.Diagnostics.CodeAnalysis;

namespace Vouch.Tuf;

/// <summary>
/// Stable failure codes. Callers (the CLI, the gate, JSON output) switch on these strings, so they
/// never change meaning once published; add new ones rather than reuse.
/// </summary>
public static class TufErrorCodes
{
    /// <summary>A document is not valid TUF metadata (JSON, types, required fields, spec version).</summary>
    public const string Malformed = "TUF_MALFORMED";

    /// <summary>A new root is not signed by a threshold of the trusted root's or its own root keys.</summary>
    public const string RootThreshold = "TUF_ROOT_THRESHOLD";

    /// <summary>Timestamp, snapshot, targets or delegated metadata is not signed by a threshold of its role's keys.</summary>
    public const string Threshold = "TUF_THRESHOLD";

    /// <summary>Metadata expired before the update started (freeze attack or a stale repository).</summary>
    public const string Expired = "TUF_EXPIRED";

    /// <summary>A version went backwards, or a file listed by the trusted snapshot disappeared.</summary>
    public const string Rollback = "TUF_ROLLBACK";

    /// <summary>A version differs from the one the referring metadata names (or a root skipped a version).</summary>
    public const string VersionMismatch = "TUF_VERSION_MISMATCH";

    /// <summary>Metadata bytes do not match the hashes its referrer lists.</summary>
    public const string MetadataHashMismatch = "TUF_METADATA_HASH_MISMATCH";

    /// <summary>Metadata is longer than its referrer lists or than the configured cap.</summary>
    public const string MetadataLength = "TUF_METADATA_LENGTH";

    /// <summary>Target bytes do not match a hash listed in the targets metadata.</summary>
    public const string TargetHashMismatch = "TUF_TARGET_HASH_MISMATCH";

    /// <summary>Target length differs from the targets metadata, or exceeds the configured cap.</summary>
    public const string TargetLength = "TUF_TARGET_LENGTH";

    /// <summary>No trusted targets metadata describes the requested target.</summary>
    public const string NotFound = "TUF_NOT_FOUND";

    /// <summary>The repository could not be reached or answered with an HTTP error.</summary>
    public const string Network = "TUF_NETWORK";

    /// <summary>The local metadata directory could not be read or written.</summary>
    public const string Storage = "TUF_STORAGE";

    /// <summary>Offline use was asked for and the cache does not hold what is needed.</summary>
    public const string NotCached = "TUF_NOT_CACHED";

    /// <summary>The client has no usable trusted root (none on disk and no bootstrap root, or it fails its own threshold).</summary>
    public const string NoTrustedRoot = "TUF_NO_TRUSTED_ROOT";
}

/// <summary>An expected failure: a stable <see cref="Code"/> (see <see cref="TufErrorCodes"/>) and a human message.</summary>
public sealed record TufError(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>Either a value or a <see cref="TufError"/>. Expected failures never surface as exceptions.</summary>
public sealed class TufResult<T>
{
    private TufResult(T? value, TufError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public TufError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static TufResult<T> Success(T value) => new(value, null);

    public static TufResult<T> Failure(TufError error) => new(default, error);

    public static TufResult<T> Failure(string code, string message) => new(default, new TufError(code, message));

    public override string ToString() => IsSuccess ? $"success: {Value}" : Error.ToString();
}

/// <summary>
/// Internal carrier for a <see cref="TufError"/>: the workflow is a long chain of checks, and
/// throwing from deep inside it keeps every step a single line. It never escapes the public API.
/// </summary>
internal sealed class TufException : Exception
{
    public TufException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public TufException(string code, string message, Exception inner)
        : base(message, inner)
    {
        Code = code;
    }

    public string Code { get; }

    public TufError ToError() => new(Code, Message);
}
