using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit.Formats;

/// <summary>Names and sentences every output format shares, so they all say the same thing.</summary>
public static class AuditText
{
    public static string FormatName(LockfileFormat format) => format switch
    {
        LockfileFormat.NpmV1 => "npm-v1",
        LockfileFormat.NpmV2 => "npm-v2",
        LockfileFormat.NpmV3 => "npm-v3",
        LockfileFormat.YarnClassic => "yarn-classic",
        LockfileFormat.YarnBerry => "yarn-berry",
        LockfileFormat.Pnpm => "pnpm",
        LockfileFormat.Bun => "bun",
        _ => format.ToString().ToLowerInvariant(),
    };

    public static string Status(AuditStatus status) => status switch
    {
        AuditStatus.Passed => "passed",
        AuditStatus.Failed => "failed",
        AuditStatus.Skipped => "skipped",
        _ => "network-error",
    };

    public static string Severity(AuditSeverity severity) => severity switch
    {
        AuditSeverity.Error => "error",
        AuditSeverity.Warning => "warning",
        _ => "note",
    };

    public static string Source(FindingSource source) => source switch
    {
        FindingSource.Evidence => "evidence",
        FindingSource.Audit => "audit",
        FindingSource.Lockfile => "lockfile",
        _ => "policy",
    };

    public static string Change(DiffChange change) => change.ToString().ToLowerInvariant();

    public static string SourceKind(LockfileSourceKind kind) => kind switch
    {
        LockfileSourceKind.RemoteTarball => "remote-tarball",
        LockfileSourceKind.LocalFile => "local-file",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The lockfile path as the user would write it from <paramref name="relativeTo"/>, with forward slashes.</summary>
    public static string DisplayPath(string path, string? relativeTo)
    {
        var full = Path.GetFullPath(path);
        var shown = relativeTo is null ? full : Path.GetRelativePath(relativeTo, full);
        return shown.Replace('\\', '/');
    }

    /// <summary>The SLSA Build level as a number (`0`..`3`), or null when the package has no evidence.</summary>
    public static string? SlsaLevel(Vouch.Provenance.Slsa.SlsaAssessment? slsa) =>
        slsa is null ? null : ((int)slsa.Level).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>`evidenceLevel (provenance status, signature status)` of one report, for before/after columns.</summary>
    public static string Trust(PackageReport? r) =>
        r is null ? "unknown" : $"{EvidenceLevels.Name(r.EvidenceLevel)} (provenance {PackageVerifier.Status(r.Provenance.Status)}, signature {r.Signature.Status})";

    /// <summary>One-line summaries in the spirit of `npm audit signatures`.</summary>
    public static IReadOnlyList<string> Summary(AuditReport report)
    {
        var t = report.Totals;
        var lines = new List<string>
        {
            $"audited {t.Audited} package{Plural(t.Audited)} from {report.Entries.Count(e => e.Diff?.Change is not DiffChange.Removed)} in {report.LockfilePath}" + (t.FromCache > 0 ? $" ({t.FromCache} from cache)" : ""),
            $"{t.SignaturesVerified} package{Plural(t.SignaturesVerified)} {Have(t.SignaturesVerified)} verified registry signatures",
            $"{t.ProvenanceVerified} package{Plural(t.ProvenanceVerified)} {Have(t.ProvenanceVerified)} verified provenance",
        };
        if (t.SignaturesInvalid > 0)
        {
            lines.Add($"{t.SignaturesInvalid} package{Plural(t.SignaturesInvalid)} {Have(t.SignaturesInvalid)} invalid registry signatures");
        }

        if (t.ProvenanceInvalid > 0)
        {
            lines.Add($"{t.ProvenanceInvalid} package{Plural(t.ProvenanceInvalid)} {Have(t.ProvenanceInvalid)} invalid provenance");
        }

        var missing = report.Entries.Count(e => e.Findings.Any(f => f.Code == AuditCodes.SignatureMissing));
        if (missing > 0)
        {
            lines.Add($"{missing} package{Plural(missing)} {Have(missing)} missing registry signatures");
        }

        if (t.Skipped > 0)
        {
            lines.Add($"{t.Skipped} package{Plural(t.Skipped)} not from a registry (not verified)");
        }

        if (t.NetworkErrors > 0)
        {
            lines.Add($"{t.NetworkErrors} package{Plural(t.NetworkErrors)} could not be checked (registry or network failure)");
        }

        lines.Add(report.HasErrors ? $"{t.Failed} package{Plural(t.Failed)} failed, {t.Errors} error{Plural(t.Errors)}, {t.Warnings} warning{Plural(t.Warnings)}" : $"no errors, {t.Warnings} warning{Plural(t.Warnings)}");
        return lines;
    }

    private static string Plural(int n) => n == 1 ? "" : "s";

    private static string Have(int n) => n == 1 ? "has" : "have";

    /// <summary>Short descriptions of the codes the audit can report (SARIF rules); other codes fall back to the code itself.</summary>
    public static string Describe(string code) => code switch
    {
        AuditCodes.IntegrityMismatch => "The lockfile's integrity differs from the registry's signed dist.integrity",
        AuditCodes.IntegrityUnpinned => "The lockfile records no usable integrity for the package",
        AuditCodes.ResolvedElsewhere => "The lockfile resolves the package from another host than its registry",
        AuditCodes.SignatureMissing => "The registry signs packages, but this version has no signature",
        AuditCodes.PackageNotFound => "The registry does not know the package",
        AuditCodes.VersionNotFound => "The registry does not serve the pinned version",
        AuditCodes.RegistryResponseInvalid => "The registry's document is unusable",
        AuditCodes.NotFromRegistry => "Not installed from a registry: no registry evidence",
        AuditCodes.NetworkError => "The registry or network failed",
        ProvenanceCodes.IntegrityMissing => "The version publishes no integrity",
        ProvenanceCodes.IntegrityMismatch => "The tarball does not match dist.integrity",
        ProvenanceCodes.SignatureInvalid => "The registry signature does not verify",
        ProvenanceCodes.SignatureKeyUnknown => "The registry signature names an unknown key",
        ProvenanceCodes.SignatureKeyNotValid => "The signing key was not valid at publish time",
        ProvenanceCodes.AttestationsMalformed => "The registry's attestations document is malformed",
        ProvenanceCodes.ProvenanceInvalid => "The provenance fails Sigstore verification",
        ProvenanceCodes.ProvenanceSubjectMismatch => "The provenance is about another package or tarball",
        ProvenanceCodes.ProvenancePredicateMalformed => "The provenance names no source repository or commit",
        ProvenanceCodes.ProvenanceIdentityMismatch => "The provenance disagrees with its signing certificate",
        ProvenanceCodes.PublishAttestationInvalid => "The npm publish attestation fails verification",
        ProvenanceCodes.PublishAttestationMismatch => "The publish attestation names another package or version",
        ProvenanceCodes.PublishAttestationKeyUnknown => "The publish attestation's key is unknown or not valid",
        ProvenanceCodes.SourceMismatch => "package.json's repository is not the repository the provenance was built from",
        _ => code,
    };
}
