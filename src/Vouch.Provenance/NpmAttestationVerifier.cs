using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Verification;
using Vouch.Common.Json;

namespace Vouch.Provenance;

/// <summary>What verified SLSA provenance says, and whether it verified.</summary>
public sealed record ProvenanceEvidence
{
    public EvidenceStatus Status { get; init; } = EvidenceStatus.Absent;

    public ProvenanceClaims? Claims { get; init; }

    /// <summary>The OIDC issuer of the signing certificate.</summary>
    public string? Issuer { get; init; }

    /// <summary>The signing certificate's identity (the workflow that signed).</summary>
    public string? CertificateIdentity { get; init; }

    /// <summary>`github-hosted` or `self-hosted`, from the certificate.</summary>
    public string? RunnerEnvironment { get; init; }

    public long? LogIndex { get; init; }

    public DateTimeOffset? IntegratedTime { get; init; }

    /// <summary>SHA-256 (hex) of the Sigstore bundle's bytes as the registry served them: what a VSA lists as an input attestation.</summary>
    public string? BundleSha256 { get; init; }

    public Problem? Problem { get; init; }
}

/// <summary>The npm publish attestation: the registry's own signed statement that it accepted this tarball.</summary>
public sealed record PublishAttestationEvidence
{
    public EvidenceStatus Status { get; init; } = EvidenceStatus.Absent;

    public string? KeyId { get; init; }

    /// <summary>When the transparency log recorded the publish: trustworthy publish-time evidence.</summary>
    public DateTimeOffset? IntegratedTime { get; init; }

    public long? LogIndex { get; init; }

    /// <summary>SHA-256 (hex) of the Sigstore bundle's bytes as the registry served them.</summary>
    public string? BundleSha256 { get; init; }

    public Problem? Problem { get; init; }
}

public sealed record AttestationEvidence(ProvenanceEvidence Provenance, PublishAttestationEvidence Publish);

/// <summary>
/// Verifies the attestations npm serves for one version (`GET /-/npm/v1/attestations/name@version`):
/// the SLSA provenance (Fulcio-signed, full Sigstore verification, subject = this package and tarball,
/// certificate identity consistent with the predicate) and the publish attestation (signed by the
/// registry's attestation key valid at the logged time, predicate naming this package and version).
/// </summary>
public sealed class NpmAttestationVerifier
{
    public const string PublishPredicate = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";
    private const int MaxAttestations = 16;

    private readonly SigstoreVerifier _verifier;
    private readonly RegistryKeys _keys;

    public NpmAttestationVerifier(SigstoreVerifier verifier, RegistryKeys keys)
    {
        _verifier = verifier;
        _keys = keys;
    }

    /// <summary>The purl npm puts in attestation subjects: `pkg:npm/%40scope/name@1.2.3`.</summary>
    public static string SubjectName(string name, string version) => $"pkg:npm/{name.Replace("@", "%40", StringComparison.Ordinal)}@{version}";

    public AttestationEvidence Verify(string name, string version, byte[] tarballSha512, ReadOnlyMemory<byte> attestationsJson)
    {
        var provenance = new ProvenanceEvidence();
        var publish = new PublishAttestationEvidence();
        List<(string PredicateType, string Bundle)> items;
        try
        {
            items = ParseList(attestationsJson);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            var problem = new Problem(ProvenanceCodes.AttestationsMalformed, $"the registry's attestations for {name}@{version} are malformed ({e.Message})");
            return new(provenance with { Status = EvidenceStatus.Invalid, Problem = problem }, publish with { Status = EvidenceStatus.Invalid, Problem = problem });
        }

        return Verify(name, version, tarballSha512, items);
    }

    /// <summary>Verifies attestations already split into (predicate type, bundle JSON) pairs.</summary>
    public AttestationEvidence Verify(string name, string version, byte[] tarballSha512, IReadOnlyList<(string PredicateType, string BundleJson)> items)
    {
        var provenance = new ProvenanceEvidence();
        var publish = new PublishAttestationEvidence();
        var artifact = Artifact.FromDigest(HashAlgorithmName.SHA512, tarballSha512);
        foreach (var (predicateType, bundleJson) in items)
        {
            if (SlsaProvenance.IsProvenance(predicateType) && provenance.Status != EvidenceStatus.Verified)
            {
                provenance = VerifyProvenance(name, version, artifact, bundleJson) with { BundleSha256 = BundleDigest(bundleJson) };
            }
            else if (predicateType == PublishPredicate && publish.Status != EvidenceStatus.Verified)
            {
                publish = VerifyPublish(name, version, artifact, bundleJson) with { BundleSha256 = BundleDigest(bundleJson) };
            }
        }

        return new(provenance, publish);
    }

    // The bundle text is the raw JSON of the registry's document, so its UTF-8 bytes are the bytes served.
    private static string BundleDigest(string bundleJson) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(bundleJson)));

    private static List<(string, string)> ParseList(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonInput.Parse(json, Limits.MaxJsonDepth);
        var list = doc.RootElement.GetProperty("attestations");
        if (list.GetArrayLength() > MaxAttestations)
        {
            throw new InvalidOperationException($"more than {MaxAttestations} attestations");
        }

        var result = new List<(string, string)>();
        foreach (var a in list.EnumerateArray())
        {
            result.Add((a.GetProperty("predicateType").GetString()!, a.GetProperty("bundle").GetRawText()));
        }

        return result;
    }

    private ProvenanceEvidence VerifyProvenance(string name, string version, Artifact artifact, string bundleJson)
    {
        var result = _verifier.Verify(System.Text.Encoding.UTF8.GetBytes(bundleJson), artifact, SignerPolicy.AnyCertificateIdentityUnsafe());
        if (!result.IsValid)
        {
            return Invalid(result.Code == SigstoreCodes.DsseSubjectMismatch ? ProvenanceCodes.ProvenanceSubjectMismatch : ProvenanceCodes.ProvenanceInvalid,
                $"the provenance of {name}@{version} does not verify: {result.Code}: {result.Message}", TrustMayCatchUp(result.Code));
        }

        var statement = result.Statement!;
        if (!SubjectNamed(statement, SubjectName(name, version), artifact))
        {
            return Invalid(ProvenanceCodes.ProvenanceSubjectMismatch, $"the provenance is about another package: no subject is {SubjectName(name, version)} with this tarball's digest");
        }

        var claims = SlsaProvenance.Parse(statement.PredicateType, statement.PredicateJson, out var predicateProblem);
        if (claims is null)
        {
            return Invalid(ProvenanceCodes.ProvenancePredicateMalformed, predicateProblem!);
        }

        var evidence = new ProvenanceEvidence
        {
            Status = EvidenceStatus.Verified,
            Claims = claims,
            Issuer = result.CertificateExtensions?.Issuer,
            CertificateIdentity = result.SubjectAlternativeName,
            RunnerEnvironment = result.CertificateExtensions?.RunnerEnvironment,
            LogIndex = result.LogEntries.FirstOrDefault()?.LogIndex,
            IntegratedTime = result.LogEntries.FirstOrDefault()?.IntegratedTime,
        };

        var identityProblem = CertificateAgreesWithPredicate(result, claims);
        return identityProblem is null
            ? evidence
            : evidence with { Status = EvidenceStatus.Invalid, Problem = new Problem(ProvenanceCodes.ProvenanceIdentityMismatch, identityProblem) };
    }

    /// <summary>
    /// The predicate is signed by the workflow, but only the certificate's claims come from the CI's
    /// OIDC token: a workflow could write any repository into its predicate. They must agree.
    /// </summary>
    internal static string? CertificateAgreesWithPredicate(VerificationResult result, ProvenanceClaims claims)
    {
        var ext = result.CertificateExtensions!;
        var repo = claims.SourceRepository?.TrimEnd('/');
        var certRepo = ext.SourceRepositoryUri?.TrimEnd('/');
        if (certRepo is null && ext.GitHubWorkflowRepository is { } legacy && repo is not null && Uri.TryCreate(repo, UriKind.Absolute, out var repoUri))
        {
            certRepo = $"{repoUri.Scheme}://{repoUri.Authority}/{legacy}";
        }

        if (certRepo is not null && !string.Equals(certRepo, repo, StringComparison.OrdinalIgnoreCase))
        {
            return $"the provenance names repository {repo}, but the signing certificate was issued to a workflow of {certRepo}";
        }

        var certCommit = ext.SourceRepositoryDigest ?? ext.GitHubWorkflowSha;
        if (certCommit is not null && !string.Equals(certCommit, claims.SourceCommit, StringComparison.OrdinalIgnoreCase))
        {
            return $"the provenance names commit {claims.SourceCommit}, but the signing certificate was issued for commit {certCommit}";
        }

        var certRef = ext.SourceRepositoryRef ?? ext.GitHubWorkflowRef;
        if (certRef is not null && claims.SourceRef is not null && certRef != claims.SourceRef)
        {
            return $"the provenance names ref {claims.SourceRef}, but the signing certificate was issued for {certRef}";
        }

        if (repo is not null && claims.WorkflowPath is not null && claims.SourceRef is not null && repo.StartsWith("https://", StringComparison.Ordinal))
        {
            var workflow = $"{repo}/{claims.WorkflowPath}@{claims.SourceRef}";
            if (!string.Equals(result.SubjectAlternativeName, workflow, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(ext.BuildConfigUri, workflow, StringComparison.OrdinalIgnoreCase))
            {
                return $"the provenance names workflow {workflow}, but the signing certificate was issued to {result.SubjectAlternativeName}";
            }
        }

        return null;
    }

    private PublishAttestationEvidence VerifyPublish(string name, string version, Artifact artifact, string bundleJson)
    {
        Bundle bundle;
        try
        {
            bundle = Bundle.Parse(bundleJson);
        }
        catch (SigstoreFormatException e)
        {
            return PublishInvalid(ProvenanceCodes.PublishAttestationInvalid, $"the publish attestation is malformed: {e.Message}");
        }

        var keyId = bundle.Material.PublicKeyHint ?? bundle.DsseEnvelope?.Signatures[0].KeyId;
        if (keyId is null)
        {
            return PublishInvalid(ProvenanceCodes.PublishAttestationKeyUnknown, "the publish attestation does not say which registry key signed it");
        }

        // The key must be valid when the log recorded the publish; that time is proven by the SET below.
        var claimed = bundle.Material.TlogEntries.FirstOrDefault() is { IntegratedTime: > 0 } entry ? DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime) : (DateTimeOffset?)null;
        var lookup = _keys.Find(keyId, RegistryKeys.AttestationsUsage, claimed);
        if (lookup.Status != KeyLookupStatus.Found)
        {
            return PublishInvalid(ProvenanceCodes.PublishAttestationKeyUnknown, lookup.Status == KeyLookupStatus.Unknown
                ? $"the publish attestation is signed by key {keyId}, which is not among the {_keys.Source}"
                : $"key {keyId} was not valid for attestations at {claimed:u}", lookup.Status == KeyLookupStatus.Unknown);
        }

        var result = _verifier.Verify(bundle, artifact, SignerPolicy.PublicKey(lookup.Key!.Key));
        if (!result.IsValid)
        {
            return PublishInvalid(ProvenanceCodes.PublishAttestationInvalid, $"the publish attestation does not verify: {result.Code}: {result.Message}", TrustMayCatchUp(result.Code)) with { KeyId = keyId };
        }

        if (claimed is { } t && !result.Timestamps.Any(ts => ts.Time == t))
        {
            return PublishInvalid(ProvenanceCodes.PublishAttestationInvalid, "the publish attestation's log time is not proven by its log entry") with { KeyId = keyId };
        }

        if (!SubjectNamed(result.Statement!, SubjectName(name, version), artifact))
        {
            return PublishInvalid(ProvenanceCodes.PublishAttestationMismatch, $"the publish attestation is about another package: no subject is {SubjectName(name, version)}") with { KeyId = keyId };
        }

        using (var predicate = JsonInput.Parse(result.Statement!.PredicateJson, Limits.MaxJsonDepth))
        {
            var p = predicate.RootElement;
            var pn = p.ValueKind == JsonValueKind.Object && p.TryGetProperty("name", out var n) ? n.GetString() : null;
            var pv = p.ValueKind == JsonValueKind.Object && p.TryGetProperty("version", out var v) ? v.GetString() : null;
            if (pn != name || pv != version)
            {
                return PublishInvalid(ProvenanceCodes.PublishAttestationMismatch, $"the publish attestation names {pn}@{pv}, not {name}@{version}") with { KeyId = keyId };
            }
        }

        return new PublishAttestationEvidence
        {
            Status = EvidenceStatus.Verified,
            KeyId = keyId,
            IntegratedTime = claimed,
            LogIndex = result.LogEntries.FirstOrDefault()?.LogIndex,
        };
    }

    private static bool SubjectNamed(Vouch.Sigstore.Dsse.InTotoStatement statement, string subjectName, Artifact artifact)
    {
        var digest = Convert.ToHexString(artifact.Digest(HashAlgorithmName.SHA512)!);
        return statement.Subjects.Any(s => s.Name == subjectName
            && s.Digest.TryGetValue("sha512", out var hex) && hex.Equals(digest, StringComparison.OrdinalIgnoreCase));
    }

    private static ProvenanceEvidence Invalid(string code, string message, bool incomplete = false) => new() { Status = EvidenceStatus.Invalid, Problem = new Problem(code, message) { Incomplete = incomplete } };

    // Failures that newer trust material can turn into a pass: a log, CA or timestamp authority the
    // trusted root does not list (yet), or a root whose validity windows end before the entry.
    private static bool TrustMayCatchUp(string? sigstoreCode) => sigstoreCode is SigstoreCodes.TlogUnknownLog or SigstoreCodes.TlogKeyValidity
        or SigstoreCodes.CertificateChain or SigstoreCodes.CertificateAuthorityValidity or SigstoreCodes.TimestampUntrusted;

    private static PublishAttestationEvidence PublishInvalid(string code, string message, bool incomplete = false) => new() { Status = EvidenceStatus.Invalid, Problem = new Problem(code, message) { Incomplete = incomplete } };
}
