using Vouch.Npm;

namespace Vouch.Reviews.Tarballs;

/// <summary>A tarball that matched its integrity, read into files.</summary>
public sealed record VerifiedTarball(string Name, string Version, byte[] Bytes, byte[] Sha512, PackageFiles Files);

/// <summary>A tarball fetch outcome: a value, or a code (registry failure = exit 3, integrity or format = exit 1).</summary>
public sealed record TarballFetch(VerifiedTarball? Tarball, string? Code, string? Message, bool NetworkError);

/// <summary>
/// Downloads package tarballs through <see cref="RegistryClient"/> and accepts only bytes whose sha512
/// matches the packument's `dist.integrity` and, when given, the lockfile's integrity as well.
/// </summary>
public sealed class TarballSource(RegistryClient client)
{
    public async Task<TarballFetch> FetchAsync(string name, string version, string? lockfileIntegrity, CancellationToken ct)
    {
        var packument = await client.GetPackumentAsync(name, PackumentFormat.Full, ct).ConfigureAwait(false);
        if (!packument.IsOk)
        {
            return new TarballFetch(null, ReviewCodes.RegistryFailed, packument.ToString(), packument.Status is RegistryStatus.NetworkError or RegistryStatus.NotInCache);
        }

        if (!packument.Value.Versions.TryGetValue(version, out var pv))
        {
            return new TarballFetch(null, ReviewCodes.RegistryFailed, $"{name} has no version {version}", false);
        }

        var tarball = await client.GetTarballAsync(pv.Dist.Tarball, ct).ConfigureAwait(false);
        if (!tarball.IsOk)
        {
            return new TarballFetch(null, ReviewCodes.RegistryFailed, tarball.ToString(), tarball.Status is RegistryStatus.NetworkError or RegistryStatus.NotInCache);
        }

        foreach (var (claim, source) in new[] { (pv.Dist.Integrity, "the packument's dist.integrity"), (lockfileIntegrity, "the lockfile's integrity") })
        {
            if (source.StartsWith("the lockfile", StringComparison.Ordinal) && claim is null)
            {
                continue;
            }

            var check = Integrity.Parse(claim).Check(tarball.Value.Hashes);
            if (check.Status != IntegrityStatus.Match || check.Algorithm != IntegrityAlgorithm.Sha512)
            {
                return new TarballFetch(null, ReviewCodes.TarballIntegrity, $"{name}@{version}: the tarball's sha512 does not match {source} ({check.Status})", false);
            }
        }

        var files = PackageFiles.Read(tarball.Value.Content, out var error);
        if (files is null)
        {
            return new TarballFetch(null, ReviewCodes.TarballMalformed, $"{name}@{version}: {error}", false);
        }

        return new TarballFetch(new VerifiedTarball(name, version, tarball.Value.Content, tarball.Value.Hashes.Sha512, files), null, null, false);
    }
}
