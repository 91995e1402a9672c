using Vouch.Gate.Storage;
using Vouch.Gate.Tarballs;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Gate.Verification;

/// <summary>
/// Verifies one version once: the tarball from the store (downloaded and integrity-checked when
/// absent), the evidence from the database when another request or instance already produced it,
/// else a fresh verification whose report is stored. This is the seam for evidence handling
/// (what is stored, when it is retried): the rest of the gate only sees a <see cref="TarballResult"/>.
/// </summary>
internal sealed class VersionVerifier(GateStore store, TarballStore tarballs, KeysCache keys, PackageVerifier verifier)
{
    private readonly Coalescer<TarballResult> _inflight = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="allowDownload">False while the upstream is failing: only a version verified before is answered.</param>
    public Task<TarballResult> EnsureVerifiedAsync(Packument packument, PackageVersion version, bool allowDownload) =>
        _inflight.RunAsync($"{version.Name}@{version.Version}", () => VerifyOnceAsync(packument, version, allowDownload, _stopping.Token));

    public static string IntegrityKey(PackageVersion version) => !string.IsNullOrEmpty(version.Dist.Integrity) ? version.Dist.Integrity : "sha1:" + version.Dist.Shasum;

    private async Task<TarballResult> VerifyOnceAsync(Packument packument, PackageVersion version, bool allowDownload, CancellationToken ct)
    {
        var name = version.Name;
        var v = version.Version.ToString();
        var integrityKey = IntegrityKey(version);
        var path = tarballs.PathFor(version);
        TarballHashes? hashes = null;
        long length;
        if (path is not null && File.Exists(path))
        {
            length = new FileInfo(path).Length;
            var stored = await store.GetEvidenceAsync(name, v, integrityKey, ct).ConfigureAwait(false);
            if (stored is not null)
            {
                return new TarballResult(TarballStatus.Ok, path, length, EvidenceJson.Deserialize(stored.ReportJson), Name: name, Version: v);
            }
        }
        else
        {
            if (!allowDownload)
            {
                return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: $"the upstream is unavailable and {name}@{v} has not been verified before");
            }

            var downloaded = await tarballs.DownloadAsync(version, ct).ConfigureAwait(false);
            if (downloaded.Status != TarballStatus.Ok)
            {
                return downloaded;
            }

            path = downloaded.Path;
            hashes = downloaded.Hashes;
            length = downloaded.Length;
        }

        hashes ??= TarballHashes.Compute(await File.ReadAllBytesAsync(path!, ct).ConfigureAwait(false));
        var registryKeys = await keys.VerificationKeysAsync(ct).ConfigureAwait(false);
        var report = await verifier.VerifyVersionAsync(packument, version, hashes, registryKeys, ct).ConfigureAwait(false);
        if (report.NetworkError is not null)
        {
            return new TarballResult(TarballStatus.UpstreamUnavailable, Name: name, Version: v, Error: report.NetworkError);
        }

        await store.PutEvidenceAsync(name, v, integrityKey, EvidenceJson.Serialize(report), ct).ConfigureAwait(false);
        return new TarballResult(TarballStatus.Ok, path, length, report, Name: name, Version: v);
    }

    public void Stop() => _stopping.Cancel();
}
