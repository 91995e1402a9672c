using System.Security.Cryptography;
using System.Text;

namespace Vouch.Audit.Tests;

/// <summary>
/// The security sweep: the seal key is the only thing that makes a cached "passed" mean something. A
/// key another local user could have written (or read) lets them seal entries of their own; such a key
/// is not trusted, and is replaced by one only this user can use.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CacheSealHostileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-seal-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string KeyPath => Path.Combine(_dir.FullName, "seal.key");

    [SkippableTheory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)]
    public void Open_WhenTheKeyFileIsOpenToOtherUsers_EntriesSealedWithItDoNotOpenAndTheKeyIsReplaced(UnixFileMode mode)
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var known = RandomNumberGenerator.GetBytes(32);
        File.WriteAllBytes(KeyPath, known);
        File.SetUnixFileMode(KeyPath, mode);
        var forged = Forge(known, "entry", "{\"status\":\"passed\"}"u8.ToArray());

        var seal = CacheSeal.Open(_dir.FullName);

        Assert.False(seal.TryOpen("entry", forged, out _));
        Assert.NotEqual(known, File.ReadAllBytes(KeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        Assert.True(CacheSeal.Open(_dir.FullName).TryOpen("entry", seal.Seal("entry", "{}"u8), out _), "the replacement key is used by the next run");
    }

    [SkippableFact]
    public void Open_WhenTheKeyIsASymlinkToAFileOthersCanWrite_EntriesSealedWithItDoNotOpen()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var elsewhere = Path.Combine(Path.GetTempPath(), "vouch-seal-elsewhere-" + Guid.NewGuid().ToString("n"));
        var known = RandomNumberGenerator.GetBytes(32);
        File.WriteAllBytes(elsewhere, known);
        File.SetUnixFileMode(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            File.CreateSymbolicLink(KeyPath, elsewhere);

            var seal = CacheSeal.Open(_dir.FullName);

            Assert.False(seal.TryOpen("entry", Forge(known, "entry", "{}"u8.ToArray()), out _));
            Assert.Equal(known, File.ReadAllBytes(elsewhere));
        }
        finally
        {
            File.Delete(elsewhere);
        }
    }

    [SkippableFact]
    public void Open_WhenTheKeyIsPrivate_EntriesSealedWithItOpen()
    {
        // Control: the same forgery with a private key file is exactly what the seal accepts.
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        var known = RandomNumberGenerator.GetBytes(32);
        File.WriteAllBytes(KeyPath, known);
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.True(CacheSeal.Open(_dir.FullName).TryOpen("entry", Forge(known, "entry", "{}"u8.ToArray()), out _));
    }

    // What CacheSeal writes: the hex HMAC-SHA256 over key, a zero byte and the payload; a newline; the payload.
    private static byte[] Forge(byte[] key, string entryKey, byte[] payload)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Encoding.UTF8.GetBytes(entryKey));
        hmac.AppendData([0]);
        hmac.AppendData(payload);
        return [.. Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hmac.GetHashAndReset())), (byte)'\n', .. payload];
    }
}
