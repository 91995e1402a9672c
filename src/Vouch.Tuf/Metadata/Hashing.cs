using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Tuf.Json;

namespace Vouch.Tuf.Metadata;

/// <summary>Reading and checking the <c>hashes</c> objects of metadata and targets.</summary>
internal static class Hashing
{
    public static IReadOnlyList<HashEntry> Read(JsonElement hashes, string what)
    {
        JsonRead.RequireObject(hashes, what);
        var list = new List<HashEntry>();
        foreach (var property in hashes.EnumerateObject())
        {
            var hex = JsonRead.AsString(property.Value, $"{what}.{property.Name}");
            list.Add(new HashEntry(property.Name, hex, JsonRead.Hex(hex, $"{what}.{property.Name}")));
        }

        if (list.Count == 0)
        {
            throw JsonRead.Malformed(what, "must list at least one hash");
        }

        return list;
    }

    /// <summary>
    /// Checks every listed hash. An algorithm we cannot compute fails the check (like python-tuf):
    /// skipping it would let a repository make the strong hash the one we ignore.
    /// </summary>
    public static void Verify(ReadOnlySpan<byte> data, IReadOnlyList<HashEntry> hashes, string errorCode, string what)
    {
        foreach (var hash in hashes)
        {
            byte[] actual = hash.Algorithm switch
            {
                "sha256" => SHA256.HashData(data),
                "sha384" => SHA384.HashData(data),
                "sha512" => SHA512.HashData(data),
                _ => throw new TufException(errorCode, $"{what}: unsupported hash algorithm '{hash.Algorithm}'"),
            };

            if (!CryptographicOperations.FixedTimeEquals(actual, hash.Digest))
            {
                throw new TufException(errorCode, $"{what}: {hash.Algorithm} is {Convert.ToHexStringLower(actual)}, metadata lists {hash.Hex}");
            }
        }
    }
}
