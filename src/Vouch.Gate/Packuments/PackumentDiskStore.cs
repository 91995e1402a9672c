using System.Security.Cryptography;
using System.Text;
using Vouch.Common;

namespace Vouch.Gate.Packuments;

/// <summary>
/// The last good upstream packument of each package, on disk, for when the upstream is down. The
/// file's modification time is the time the upstream served it, so a copy read back reports its
/// real <c>fetchedAt</c>.
/// </summary>
internal sealed class PackumentDiskStore
{
    private readonly string _dir;
    private readonly string _temp;

    public PackumentDiskStore(GateOptions options)
    {
        _dir = Path.Combine(options.DataDirectory, "packuments");
        _temp = Path.Combine(options.DataDirectory, "tmp");
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory(_temp);
    }

    public void Save(string name, byte[] raw, DateTimeOffset fetchedAt)
    {
        var path = PathOf(name);
        var temp = Path.Combine(_temp, Guid.NewGuid().ToString("n"));
        try
        {
            File.WriteAllBytes(temp, raw);

            // The file's time is when the upstream last confirmed it; set before the rename so no
            // reader sees the new bytes with the old time.
            File.SetLastWriteTimeUtc(temp, fetchedAt.UtcDateTime);
            AtomicFile.Replace(temp, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The copy only helps during an outage: a data directory that cannot take it (full,
            // read-only, its path taken by a directory) must not fail the answer the upstream just gave.
        }
        finally
        {
            TryDelete(temp);
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

    /// <summary>Forgets the copy of a package the upstream no longer has.</summary>
    public void Delete(string name) => TryDelete(PathOf(name));

    public (byte[] Raw, DateTimeOffset FetchedAt)? Load(string name)
    {
        var path = PathOf(name);
        try
        {
            var raw = File.ReadAllBytes(path);
            return (raw, new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing, unreadable or not a file: no last good copy (the parser refuses a damaged one).
            return null;
        }
    }

    private string PathOf(string name) => Path.Combine(_dir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name))) + ".json");
}
