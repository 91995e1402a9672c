using System.Security.Cryptography;
using System.Text;
using Vouch.Common;

namespace Vouch.Audit;

/// <summary>
/// Seals cache entries with an HMAC-SHA256 under a random key kept beside them, so that an entry
/// is used only as the Vouch process that verified it wrote it: an edited entry (a failure turned
/// into a pass by hand, a bit flip), an entry moved to another key's file, or one copied from
/// another cache directory (another key) fails the seal and is a miss, which costs a re-verification
/// and nothing else. The key is only as secret as the directory: whoever can read it (the same user)
/// can forge entries, as they could replace the vouch binary; it is not meant to stop them.
/// </summary>
public sealed class CacheSeal
{
    private const int KeyBytes = 32;
    private const int MacHexChars = 64;
    private readonly byte[] _key;

    private CacheSeal(byte[] key) => _key = key;

    /// <summary>
    /// The key of <paramref name="directory"/>, created when absent. Two processes creating it at
    /// once: the first to publish its key wins (never replaced) and every other reads that key back,
    /// so all of them seal under the same key. (With last-rename-wins, a process could keep sealing
    /// with a key another had already replaced, and its whole evidence pack would be unreadable.)
    /// </summary>
    public static CacheSeal Open(string directory)
    {
        var path = Path.Combine(directory, "seal.key");
        if (ReadKey(path) is { } existing)
        {
            if (!OpenToOthers(path))
            {
                return new CacheSeal(existing);
            }

            // A key another local user could have written or read (or one reached through a link) proves
            // nothing about who sealed an entry: it is dropped (a link, not its target) and a private key
            // made below; entries sealed under it become misses, which costs one re-verification.
            TryDelete(path);
        }

        var fresh = RandomNumberGenerator.GetBytes(KeyBytes);
        try
        {
            if (!AtomicFile.TryCreate(path, fresh, Durability.Atomic, unixMode: UnixFileMode.UserRead | UnixFileMode.UserWrite))
            {
                if (ReadKey(path) is { } winner && !OpenToOthers(path))
                {
                    return new CacheSeal(winner);
                }

                // A damaged key file (wrong length) would otherwise make every entry a miss forever.
                AtomicFile.Write(path, fresh, Durability.Atomic);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs speed: seal with the in-memory key (this run's entries only).
            return new CacheSeal(fresh);
        }

        return new CacheSeal(ReadKey(path) ?? fresh);
    }

    /// <summary>True when the key file is a link, or has any permission for its group or others (it is created 0600).</summary>
    private static bool OpenToOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            var info = new FileInfo(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            return info.LinkTarget is not null || (info.UnixFileMode & others) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static byte[]? ReadKey(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.Length == KeyBytes ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file content for <paramref name="payload"/> stored under <paramref name="key"/>: the hex MAC, a newline, the payload.</summary>
    public byte[] Seal(string key, ReadOnlySpan<byte> payload)
    {
        var mac = Convert.ToHexStringLower(Mac(key, payload));
        var result = new byte[MacHexChars + 1 + payload.Length];
        Encoding.ASCII.GetBytes(mac, result);
        result[MacHexChars] = (byte)'\n';
        payload.CopyTo(result.AsSpan(MacHexChars + 1));
        return result;
    }

    /// <summary>The payload of a sealed file stored under <paramref name="key"/>, or false when the seal does not hold.</summary>
    public bool TryOpen(string key, ReadOnlyMemory<byte> sealedContent, out ReadOnlyMemory<byte> payload)
    {
        payload = default;
        var span = sealedContent.Span;
        if (span.Length < MacHexChars + 1 || span[MacHexChars] != (byte)'\n')
        {
            return false;
        }

        Span<char> hex = stackalloc char[MacHexChars];
        for (var i = 0; i < MacHexChars; i++)
        {
            hex[i] = (char)span[i];
        }

        Span<byte> given = stackalloc byte[32];
        if (Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }

        var body = sealedContent[(MacHexChars + 1)..];
        if (!CryptographicOperations.FixedTimeEquals(given, Mac(key, body.Span)))
        {
            return false;
        }

        payload = body;
        return true;
    }

    // The MAC covers the entry's key as well as its content: an entry renamed to another key's file does not open.
    private byte[] Mac(string key, ReadOnlySpan<byte> payload)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(Encoding.UTF8.GetBytes(key));
        hmac.AppendData([0]);
        hmac.AppendData(payload);
        return hmac.GetHashAndReset();
    }
}
