using Vouch.Sigstore.Dsse;
using Vouch.Sigstore.X509;

namespace Vouch.Sigstore.Verification;

public enum TimestampSource
{
    TransparencyLog,
    TimestampAuthority,
}

/// <summary>A time proven by evidence: a log's integrated time (signed) or an RFC 3161 timestamp.</summary>
public sealed record VerifiedTimestamp(TimestampSource Source, DateTimeOffset Time, string Authority);

/// <summary>A transparency log entry that verified.</summary>
public sealed record VerifiedLogEntry(long LogIndex, string LogBaseUrl, DateTimeOffset? IntegratedTime, string Kind, string KindVersion);

/// <summary>
/// The outcome of verifying one bundle. Verification stops at the first failed check (fail closed);
/// <see cref="Code"/> names it. On success the typed evidence is filled in.
/// </summary>
public sealed record VerificationResult
{
    public bool IsValid => Code is null;

    /// <summary>The stable code of the failed check (<see cref="SigstoreCodes"/>), null when valid.</summary>
    public string? Code { get; init; }

    /// <summary>One sentence on what failed.</summary>
    public string? Message { get; init; }

    public Certificate? SigningCertificate { get; init; }

    public FulcioExtensions? CertificateExtensions { get; init; }

    /// <summary>The certificate's identity (first URI or e-mail SAN).</summary>
    public string? SubjectAlternativeName { get; init; }

    public IReadOnlyList<VerifiedTimestamp> Timestamps { get; init; } = [];

    public IReadOnlyList<VerifiedLogEntry> LogEntries { get; init; } = [];

    /// <summary>The in-toto statement, for DSSE bundles.</summary>
    public InTotoStatement? Statement { get; init; }

    internal static VerificationResult Fail(string code, string message) => new() { Code = code, Message = message };

    public override string ToString() => IsValid ? "valid" : $"{Code}: {Message}";
}
