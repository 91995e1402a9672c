using System.Text.Encodings.Web;
using System.Text.Json;
using Vouch.Provenance;

namespace Vouch.Audit.Formats;

/// <summary>`vouch audit --format json`: the documented contract of docs/audit.md. Field names are never renamed.</summary>
public static class AuditJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(AuditReport report, string? relativeTo) => JsonSerializer.Serialize(ToJson(report, relativeTo), Options);

    public static object ToJson(AuditReport report, string? relativeTo) => new
    {
        lockfile = AuditText.DisplayPath(report.LockfilePath, relativeTo),
        format = AuditText.FormatName(report.Format),
        registry = report.Registry,
        trustSource = report.TrustSource,
        diffBase = report.DiffBase,
        passed = !report.HasErrors && !report.HasNetworkErrors,
        totals = new
        {
            packages = report.Totals.Packages,
            audited = report.Totals.Audited,
            passed = report.Totals.Passed,
            failed = report.Totals.Failed,
            skipped = report.Totals.Skipped,
            networkErrors = report.Totals.NetworkErrors,
            signatures = new { verified = report.Totals.SignaturesVerified, invalid = report.Totals.SignaturesInvalid, absent = report.Totals.SignaturesMissing },
            provenance = new { verified = report.Totals.ProvenanceVerified, invalid = report.Totals.ProvenanceInvalid, absent = report.Totals.ProvenanceAbsent },
            fromCache = report.Totals.FromCache,
            errors = report.Totals.Errors,
            warnings = report.Totals.Warnings,
        },
        lockfileFindings = report.LockfileFindings.Select(Finding),
        packages = report.Entries.Select(e => new
        {
            name = e.Package.Name,
            version = e.Package.Version,
            alias = e.Package.Alias,
            key = e.Package.Key,
            line = e.Package.Line,
            source = AuditText.SourceKind(e.Package.Source),
            resolved = e.Package.Resolved,
            integrity = e.Package.Integrity,
            dev = e.Package.Dev,
            optional = e.Package.Optional,
            bundled = e.Package.Bundled,
            status = AuditText.Status(e.Status),
            fromCache = e.FromCache,
            policyAllowed = e.PolicyAllowed,
            slsa = e.Slsa is { } s ? new { level = (int)s.Level, name = s.VsaLevel, row = s.Row } : null,
            evidence = e.Report is { } r ? Evidence(r) : null,
            findings = e.Findings.Select(Finding),
            networkError = e.NetworkError,
            diff = e.Diff is { } d
                ? new
                {
                    change = AuditText.Change(d.Change),
                    baseVersion = d.BaseVersion,
                    baseIntegrity = d.BaseIntegrity,
                    before = d.BaseReport is { } b ? Trust(b) : null,
                    after = e.Report is { } a ? Trust(a) : null,
                }
                : null,
        }),
    };

    private static object Finding(AuditFinding f) => new
    {
        code = f.Code,
        severity = AuditText.Severity(f.Severity),
        source = AuditText.Source(f.Source),
        message = f.Message,
        rule = f.Rule,
        fix = f.Fix,
    };

    private static object Trust(PackageReport r) => new
    {
        evidenceLevel = EvidenceLevels.Name(r.EvidenceLevel),
        provenance = PackageVerifier.Status(r.Provenance.Status),
        signature = r.Signature.Status,
        sourceRepository = r.Provenance.Claims?.SourceRepository,
    };

    /// <summary>The evidence of one version, with the field names of `vouch verify --json` (docs/verify.md).</summary>
    public static object Evidence(PackageReport r) => PackageReportJson.Evidence(r);
}
