using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Common;

namespace Vouch.Npm;

/// <summary>
/// An on-disk cache of registry responses keyed by request kind and URL. Each entry is a body file
/// and a metadata file (URL, validators, body length and SHA-256), both written to a temporary
/// file and renamed into place so a reader never sees a half-written file. The metadata names the
/// body's hash, so a body swapped by a concurrent writer, truncated or edited on disk reads as a
/// miss rather than as data. Credentials are never stored.
/// </summary>
internal sealed class HttpCache
{
    private readonly string _directory;

    public HttpCache(string directory)
    {
        _directory = Path.GetFullPath(directory);
    }

    internal sealed record Entry(Uri Url, string? ETag, string? LastModified, DateTimeOffset StoredAt, byte[] Body);

    public static string KeyFor(string kind, Uri url) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kind + "\n" + url.AbsoluteUri)));

    public Entry? TryRead(string key, Uri url, long maxBytes)
    {
        var (metaPath, bodyPath) = PathsFor(key);
        try
        {
            if (!File.Exists(metaPath) || !File.Exists(bodyPath))
            {
                return null;
            }

            var metaInfo = new FileInfo(metaPath);
            if (metaInfo.Length > 64 * 1024)
            {
                return null;
            }

            var meta = JsonSerializer.Deserialize(File.ReadAllBytes(metaPath), CacheJsonContext.Default.CacheMetadata);
            if (meta is null || meta.Url != url.AbsoluteUri || meta.Length > maxBytes)
            {
                return null;
            }

            var bodyInfo = new FileInfo(bodyPath);
            if (bodyInfo.Length != meta.Length)
            {
                return null;
            }

            var body = File.ReadAllBytes(bodyPath);
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), meta.Sha256, StringComparison.Ordinal))
            {
                return null;
            }

            return new Entry(url, meta.ETag, meta.LastModified, meta.StoredAt, body);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // An unreadable entry is a miss; the next successful fetch overwrites it.
            return null;
        }
    }

    /// <summary>Stores a body; failures are swallowed because the cache is an optimisation, never a requirement.</summary>
    public void Write(string key, Uri url, string? etag, string? lastModified, byte[] body, DateTimeOffset now)
    {
        var (metaPath, bodyPath) = PathsFor(key);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(metaPath)!);
            var meta = new CacheMetadata
            {
                Url = url.AbsoluteUri,
                ETag = etag,
                LastModified = lastModified,
                StoredAt = now,
                Length = body.LongLength,
                Sha256 = Convert.ToHexStringLower(SHA256.HashData(body)),
            };
            AtomicFile.Write(bodyPath, body);
            AtomicFile.Write(metaPath, JsonSerializer.SerializeToUtf8Bytes(meta, CacheJsonContext.Default.CacheMetadata));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Dates an entry's metadata <paramref name="now"/> after the registry confirmed it (304); failures are swallowed.</summary>
    public void Touch(string key, DateTimeOffset now)
    {
        var (metaPath, _) = PathsFor(key);
        try
        {
            if (new FileInfo(metaPath).Length > 64 * 1024)
            {
                return;
            }

            var meta = JsonSerializer.Deserialize(File.ReadAllBytes(metaPath), CacheJsonContext.Default.CacheMetadata);
            if (meta is null)
            {
                return;
            }

            meta.StoredAt = now;
            AtomicFile.Write(metaPath, JsonSerializer.SerializeToUtf8Bytes(meta, CacheJsonContext.Default.CacheMetadata));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
        }
    }

    private (string Meta, string Body) PathsFor(string key)
    {
        var dir = Path.Combine(_directory, key[..2]);
        return (Path.Combine(dir, key + ".meta.json"), Path.Combine(dir, key + ".body"));
    }
}

internal sealed class CacheMetadata
{
    public string Url { get; set; } = "";

    public string? ETag { get; set; }

    public string? LastModified { get; set; }

    public DateTimeOffset StoredAt { get; set; }

    public long Length { get; set; }

    public string Sha256 { get; set; } = "";
}

[JsonSerializable(typeof(CacheMetadata))]
internal sealed partial class CacheJsonContext : JsonSerializerContext;
