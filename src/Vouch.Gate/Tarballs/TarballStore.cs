using Vouch.Gate.Upstream;
using Vouch.Npm;
using Vouch.Common;

namespace Vouch.Gate.Tarballs;

/// <summary>Verified tarballs by content (<c>tarballs/sha512/xx/&lt;hex&gt;</c>): downloaded once, checked against the packument's integrity, then kept.</summary>
internal sealed class TarballStore
{
    private readonly GateOptions _options;
    private readonly UpstreamClient _upstream;
    private readonly string _dir;
    private readonly string _temp;

    // Files hashed and found intact by this process, with the length and time they had then.
    private const int MaxChecked = 100_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, DateTime Modified)> _checked = new(StringComparer.Ordinal);

    public TarballStore(GateOptions options, UpstreamClient upstream)
    {
        _options = options;
        _upstream = upstream;
        _dir = Path.Combine(options.DataDirectory, "tarballs", "sha512");
        _temp = Path.Combine(options.DataDirectory, "tmp");
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory(_temp);
    }

    /// <summary>Where the tarball of <paramref name="version"/> is (or would be) kept, from its dist.integrity; null without a sha512.</summary>
    public string? PathFor(PackageVersion version) => ExpectedSha512(version) is { } hex ? ContentPath(hex) : null;

    /// <summary>
    /// Why the version's integrity names no single content (null when it does): several digests of its
    /// strongest algorithm. ssri accepts any of them, but the store is addressed by one, and the bytes
    /// verified and the bytes served could then be two different tarballs (another package's, already
    /// stored, under the first digest). The registry never writes such a value; the gate refuses it.
    /// </summary>
    public static string? Ambiguity(PackageVersion version)
    {
        if (string.IsNullOrEmpty(version.Dist.Integrity))
        {
            return null;
        }

        var strongest = Npm.Integrity.Parse(version.Dist.Integrity).Strongest;
        return strongest.Select(h => Convert.ToHexStringLower(h.Digest)).Distinct(StringComparer.Ordinal).Count() > 1
            ? $"the packument of {version.Name}@{version.Version} gives {strongest.Count} different {strongest[0].Algorithm} digests in dist.integrity: no single tarball is named, so none is served"
            : null;
    }

    /// <summary>
    /// A stored tarball, checked again against the version's integrity before it is trusted: a file
    /// that no longer matches (cut short, changed on disk) is removed and null returned, so it is
    /// downloaded again rather than served. A file this process hashed already, unchanged since
    /// (length and modification time), is not hashed again unless its hashes are needed: the verify
    /// API, which anyone may call, must not make the gate hash a large tarball per request.
    /// </summary>
    public async Task<(TarballHashes? Hashes, long Length)?> ReadStoredAsync(string path, PackageVersion version, bool needHashes, CancellationToken ct)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return null;
        }

        var stamp = (info.Length, info.LastWriteTimeUtc);
        if (!needHashes && _checked.TryGetValue(path, out var seen) && seen == stamp)
        {
            return (null, info.Length);
        }

        TarballHashes hashes;
        long length = 0;
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            using var hasher = new StreamHasher();
            var buffer = new byte[81920];
            int read;
            while ((read = await file.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
                length += read;
            }

            hashes = hasher.Finish();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        if (Check(version, hashes).Status == IntegrityStatus.Match)
        {
            if (_checked.Count >= MaxChecked)
            {
                _checked.Clear();
            }

            _checked[path] = stamp;
            return (hashes, length);
        }

        _checked.TryRemove(path, out _);
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left in place: it is hashed (and refused) again next time, never served.
        }

        return null;
    }

    private static IntegrityCheck Check(PackageVersion version, TarballHashes hashes) =>
        !string.IsNullOrEmpty(version.Dist.Integrity)
            ? Npm.Integrity.Parse(version.Dist.Integrity).Check(hashes)
            : Npm.Integrity.CheckShasum(version.Dist.Shasum, hashes);

    /// <summary>Downloads, hashes and checks the tarball; on success it is in the store and its path returned.</summary>
    public async Task<TarballResult> DownloadAsync(PackageVersion version, CancellationToken ct)
    {
        var name = version.Name;
        var v = version.Version.ToString();
        if (Ambiguity(version) is { } ambiguous)
        {
            return new TarballResult(TarballStatus.IntegrityMismatch, Name: name, Version: v, Error: ambiguous);
        }

        if (!_upstream.IsUpstreamUrl(version.Dist.Tarball))
        {
            return new TarballResult(TarballStatus.ForeignUrl, Name: name, Version: v, Error: $"the packument of {name}@{v} points its tarball at {version.Dist.Tarball}, outside the upstream");
        }

        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("n"));
        try
        {
            var download = await _upstream.DownloadAsync(version.Dist.Tarball, temp, _options.MaxTarballBytes, ct).ConfigureAwait(false);
            if (download.Status != UpstreamStatus.Ok)
            {
                return new TarballResult(download.Status switch
                {
                    UpstreamStatus.NotFound => TarballStatus.NotFound,
                    UpstreamStatus.Unavailable => TarballStatus.UpstreamUnavailable,
                    UpstreamStatus.Refused => TarballStatus.ForeignUrl,
                    _ => TarballStatus.UpstreamInvalid,
                }, Name: name, Version: v, Error: download.Error);
            }

            var hashes = download.Hashes!;
            var check = Check(version, hashes);
            if (check.Status != IntegrityStatus.Match)
            {
                return new TarballResult(TarballStatus.IntegrityMismatch, Name: name, Version: v, Error: $"the upstream tarball of {name}@{v} does not match its integrity (expected {check.Expected}, got {check.Actual})");
            }

            var path = ContentPath(Convert.ToHexStringLower(hashes.Sha512));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // On disk before it is named; always put in place, even over a file already there: that
            // one may be the damaged copy ReadStoredAsync could not remove, and the same bytes renamed
            // over the same bytes change nothing for a reader.
            AtomicFile.Replace(temp, path, Durability.Durable);
            var stored = new FileInfo(path);
            _checked[path] = (stored.Length, stored.LastWriteTimeUtc);

            return new TarballResult(TarballStatus.Ok, path, download.Length, Name: name, Version: v, Hashes: hashes);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static string? ExpectedSha512(PackageVersion version)
    {
        if (string.IsNullOrEmpty(version.Dist.Integrity))
        {
            return null;
        }

        try
        {
            var sha512 = Npm.Integrity.Parse(version.Dist.Integrity).Hashes.FirstOrDefault(h => h.Algorithm == IntegrityAlgorithm.Sha512);
            return sha512 is null ? null : Convert.ToHexStringLower(sha512.Digest);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NpmDocumentException)
        {
            return null;
        }
    }

    private string ContentPath(string sha512Hex) => Path.Combine(_dir, sha512Hex[..2], sha512Hex);
}
