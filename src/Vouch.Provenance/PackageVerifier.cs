using Vouch.Npm;
using Vouch.Sigstore.Verification;

namespace Vouch.Provenance;

/// <summary>
/// Answers "is this exact package version what its source repository built?" for one spec: fetches
/// the packument, picks the version, downloads the tarball, and checks integrity, the registry
/// signature, the publish attestation, provenance and the source binding.
/// </summary>
public sealed class PackageVerifier
{
    private readonly RegistryClient _client;
    private readonly NpmAttestationVerifier _attestations;
    private readonly RegistryKeys _trustedKeys;

    /// <param name="client">The registry client (its default registry is the one whose keys are extended).</param>
    /// <param name="sigstore">The Sigstore verifier.</param>
    /// <param name="trustedKeys">The trusted registry keys (TUF, the embedded copy, or a pinned file).</param>
    /// <param name="trustServedKeys">
    /// Whether a registry other than registry.npmjs.org may add the keys it serves at
    /// <c>/-/npm/v1/keys</c> to <paramref name="trustedKeys"/> (a private registry trusted as npm trusts
    /// it). False when the operator pinned the keys (<c>--registry-keys FILE</c>): then the pinned set is
    /// the whole trust, so a hostile registry, proxy or mirror cannot add a signer of its own.
    /// </param>
    public PackageVerifier(RegistryClient client, SigstoreVerifier sigstore, RegistryKeys trustedKeys, bool trustServedKeys = true)
    {
        _client = client;
        _trustedKeys = trustedKeys;
        TrustsServedKeys = trustServedKeys;
        _attestations = new NpmAttestationVerifier(sigstore, trustedKeys);
        Sigstore = sigstore;
    }

    public SigstoreVerifier Sigstore { get; }

    /// <summary>Whether <see cref="KeysAsync"/> adds the keys a non-public registry serves (false: the keys were pinned).</summary>
    public bool TrustsServedKeys { get; }

    public async Task<PackageReport> VerifyAsync(PackageSpec spec, CancellationToken cancellationToken = default)
    {
        var packument = await _client.GetPackumentAsync(spec.Name, PackumentFormat.Full, cancellationToken).ConfigureAwait(false);
        if (!packument.IsOk)
        {
            return Failure(spec.Name, spec.FetchSpec, packument.Status, packument.Error, ProvenanceCodes.PackageNotFound, $"{spec.Name} is not in the registry ({packument.Url})");
        }

        var pick = packument.Value!.Pick(spec);
        if (!pick.IsFound)
        {
            return new PackageReport { Name = spec.Name, Version = spec.FetchSpec, Problems = [new Problem(ProvenanceCodes.VersionNotFound, pick.Problem ?? $"no version of {spec.Name} matches {spec.FetchSpec}")] };
        }

        var version = pick.Version!;
        var v = version.Version.ToString();
        var tarball = await _client.GetTarballAsync(version.Dist.Tarball, cancellationToken).ConfigureAwait(false);
        if (!tarball.IsOk)
        {
            return Failure(spec.Name, v, tarball.Status, tarball.Error, ProvenanceCodes.TarballNotFound, $"the tarball of {spec.Name}@{v} is not served ({tarball.Url})");
        }

        var keys = await KeysAsync(cancellationToken).ConfigureAwait(false);
        return await VerifyVersionAsync(packument.Value, version, tarball.Value!.Hashes, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Verifies one version whose tarball hashes are known (the audit pipeline's entry point).</summary>
    public async Task<PackageReport> VerifyVersionAsync(Packument packument, PackageVersion version, TarballHashes hashes, RegistryKeys keys, CancellationToken cancellationToken = default)
    {
        var name = version.Name;
        var v = version.Version.ToString();
        var problems = new List<Problem>();

        // 1. Integrity.
        IntegrityReport integrity;
        if (!string.IsNullOrEmpty(version.Dist.Integrity))
        {
            var check = Npm.Integrity.Parse(version.Dist.Integrity).Check(hashes);
            integrity = new(check.Status == IntegrityStatus.Match ? "verified" : "invalid", check.Algorithm?.ToString().ToLowerInvariant());
            if (check.Status != IntegrityStatus.Match)
            {
                problems.Add(new Problem(ProvenanceCodes.IntegrityMismatch, $"the tarball of {name}@{v} does not match dist.integrity (expected {check.Expected}, got {check.Actual})"));
            }
        }
        else if (!string.IsNullOrEmpty(version.Dist.Shasum))
        {
            var check = Npm.Integrity.CheckShasum(version.Dist.Shasum, hashes);
            integrity = new(check.Status == IntegrityStatus.Match ? "verified" : "invalid", "sha1");
            if (check.Status != IntegrityStatus.Match)
            {
                problems.Add(new Problem(ProvenanceCodes.IntegrityMismatch, $"the tarball of {name}@{v} does not match dist.shasum"));
            }
        }
        else
        {
            integrity = new("absent", null);
            problems.Add(new Problem(ProvenanceCodes.IntegrityMissing, $"{name}@{v} publishes neither dist.integrity nor dist.shasum"));
        }

        return await VerifyEvidenceAsync(packument, version, hashes.Sha512, integrity, problems, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Verifies the registry evidence of one version whose bytes the caller vouches for otherwise (the
    /// audit pipeline: npm checked the installed tarball against the lockfile's integrity, and the caller
    /// compared that with <c>dist.integrity</c>). No tarball is downloaded: <paramref name="subjectSha512"/>
    /// (from <c>dist.integrity</c>, which the registry signature covers) is the provenance subject digest,
    /// and <paramref name="integrity"/> with <paramref name="integrityProblems"/> is the caller's verdict.
    /// </summary>
    public Task<PackageReport> VerifyVersionAsync(Packument packument, PackageVersion version, byte[]? subjectSha512, IntegrityReport integrity, IEnumerable<Problem> integrityProblems, RegistryKeys keys, CancellationToken cancellationToken = default) =>
        VerifyEvidenceAsync(packument, version, subjectSha512, integrity, [.. integrityProblems], keys, cancellationToken);

    private async Task<PackageReport> VerifyEvidenceAsync(Packument packument, PackageVersion version, byte[]? subjectSha512, IntegrityReport integrity, List<Problem> problems, RegistryKeys keys, CancellationToken cancellationToken)
    {
        var name = version.Name;
        var v = version.Version.ToString();
        var notes = new List<string>();

        // 2. Attestations (publish + provenance) first: the publish attestation's log time is the best publish time.
        AttestationEvidence? attestations = null;
        if (version.Dist.Attestations is { } att)
        {
            var fetched = await _client.GetAttestationsAsync(att.Url, cancellationToken).ConfigureAwait(false);
            if (fetched.IsOk && subjectSha512 is null)
            {
                // Without a sha512 of the tarball there is no digest the provenance subject could be matched with.
                var problem = new Problem(ProvenanceCodes.ProvenanceSubjectMismatch, $"{name}@{v} advertises attestations, but no sha512 of its tarball is known to match their subject against");
                attestations = new AttestationEvidence(new ProvenanceEvidence { Status = EvidenceStatus.Invalid, Problem = problem }, new PublishAttestationEvidence());
            }
            else if (fetched.IsOk)
            {
                // The keys passed in may extend the trusted set with a private registry's own keys (KeysAsync).
                var verifier = ReferenceEquals(keys, _trustedKeys) ? _attestations : new NpmAttestationVerifier(Sigstore, keys);
                attestations = verifier.Verify(name, v, subjectSha512!, fetched.Value!.Attestations.Select(a => (a.PredicateType, a.BundleJson)).ToList());
            }
            else if (fetched.Status == RegistryStatus.NetworkError)
            {
                return new PackageReport { Name = name, Version = v, NetworkError = fetched.Error ?? "the attestations could not be fetched" };
            }
            else
            {
                var problem = new Problem(ProvenanceCodes.ProvenanceInvalid, $"{name}@{v} advertises attestations at {att.Url}, but the registry does not serve them ({fetched.Status})") { Incomplete = true };
                attestations = new AttestationEvidence(new ProvenanceEvidence { Status = EvidenceStatus.Invalid, Problem = problem }, new PublishAttestationEvidence());
            }
        }

        DateTimeOffset? publishTime = null;
        string? publishTimeSource = null;
        if (attestations?.Publish is { Status: EvidenceStatus.Verified, IntegratedTime: { } logged })
        {
            publishTime = logged;
            publishTimeSource = "transparency-log";
        }
        else if (packument.Time.TryGetValue(v, out var t))
        {
            publishTime = t;
            publishTimeSource = "packument";
        }

        // 3. Registry signature.
        var signature = RegistrySignatureVerifier.Verify(name, v, version.Dist.Integrity, version.Dist.Signatures.Select(s => new RegistrySignature(s.KeyId, s.Sig)).ToList(), keys, publishTime);
        if (signature.Problem is { } sigProblem)
        {
            problems.Add(sigProblem);
        }

        var provenance = attestations?.Provenance ?? new ProvenanceEvidence();
        var publish = attestations?.Publish ?? new PublishAttestationEvidence();
        if (provenance.Problem is { } pp)
        {
            problems.Add(pp);
        }

        if (publish.Problem is { } pub)
        {
            problems.Add(pub);
        }

        // 4. Source binding.
        if (provenance.Status == EvidenceStatus.Verified && SourceBinding.Check(version.Repository?.Url, provenance.Claims?.SourceRepository) is { } sourceProblem)
        {
            problems.Add(sourceProblem);
        }

        if (signature.Status == EvidenceStatus.Absent && version.Dist.Attestations is null)
        {
            notes.Add("the registry serves neither a signature nor attestations for this version (some mirrors strip them); nothing vouches for who published it");
        }

        var level = EvidenceLevels.Rank(provenance.Status == EvidenceStatus.Verified, version.NpmUser?.TrustedPublisher is not null, version.NpmUser?.Approver is not null);
        return new PackageReport
        {
            Name = name,
            Version = v,
            Integrity = integrity,
            Signature = new SignatureReport(Status(signature.Status), signature.KeyId),
            Provenance = provenance,
            PublishAttestation = publish,
            EvidenceLevel = level,
            TrustedPublisher = version.NpmUser?.TrustedPublisher?.Id,
            Approver = version.NpmUser?.Approver?.Name,
            PublishTime = publishTime,
            PublishTimeSource = publishTimeSource,
            RepositoryUrl = version.Repository?.Url,
            Problems = problems,
            Notes = notes,
        };
    }

    /// <summary>
    /// The keys to check signatures with: the trusted set (TUF or embedded, with validity windows),
    /// plus, for registries other than the public npm registry and only when the keys were not pinned
    /// (<see cref="TrustsServedKeys"/>), the keys that registry serves (private registries, the
    /// sandbox: the user chose to trust that registry, as npm does). For registry.npmjs.org, and for
    /// any registry once keys are pinned, the trusted set is authoritative: a key served over the wire
    /// is ignored, so a man in the middle, a poisoned mirror or a hostile registry cannot add signers.
    /// </summary>
    public async Task<RegistryKeys> KeysAsync(CancellationToken cancellationToken)
    {
        if (!TrustsServedKeys || IsPublicRegistry(_client.Config.Registry))
        {
            return _trustedKeys;
        }

        var served = await _client.GetRegistryKeysAsync(null, cancellationToken).ConfigureAwait(false);
        if (!served.IsOk || served.Value!.Keys.Count == 0)
        {
            return _trustedKeys;
        }

        return _trustedKeys.WithServedKeys(served.Value.Keys) ?? _trustedKeys;
    }

    public static bool IsPublicRegistry(Uri registry) =>
        registry.Host.Equals("registry.npmjs.org", StringComparison.OrdinalIgnoreCase)
        || registry.Host.Equals("registry.npmjs.com", StringComparison.OrdinalIgnoreCase);

    public static string Status(EvidenceStatus status) => status switch
    {
        EvidenceStatus.Verified => "verified",
        EvidenceStatus.Invalid => "invalid",
        _ => "absent",
    };

    private static PackageReport Failure(string name, string version, RegistryStatus status, string? error, string code, string message) =>
        status is RegistryStatus.NotFound
            ? new PackageReport { Name = name, Version = version, Problems = [new Problem(code, message)] }
            : new PackageReport { Name = name, Version = version, NetworkError = error ?? status.ToString() };
}
