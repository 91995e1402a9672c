namespace Vouch.Tuf.Metadata;

/// <summary>Counts the distinct keys of a role that validly signed a metadata file.</summary>
internal static class SignatureThreshold
{
    /// <summary>
    /// A signature counts when its key id is one of the role's, the key is known and usable, and the
    /// signature verifies over the canonical <c>signed</c> bytes. Keys are counted by key material,
    /// so neither a repeated signature nor one key listed under two ids reaches a threshold alone.
    /// Signatures by keys outside the role are ignored, not errors (other roles may co-sign).
    /// </summary>
    public static int CountValid(TufMetadata metadata, IReadOnlyDictionary<string, TufKey> keys, RoleKeys role)
    {
        var roleKeyIds = new HashSet<string>(role.KeyIds, StringComparer.Ordinal);
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var signature in metadata.Signatures)
        {
            if (signature.Value is null || !roleKeyIds.Contains(signature.KeyId) || !keys.TryGetValue(signature.KeyId, out var key))
            {
                continue;
            }

            if (key.PublicKey is not { } publicKey)
            {
                continue;
            }

            var identity = Convert.ToBase64String(publicKey.SubjectPublicKeyInfo);
            if (counted.Contains(identity))
            {
                continue;
            }

            if (publicKey.VerifyData(metadata.SignedBytes, signature.Value))
            {
                counted.Add(identity);
            }
        }

        return counted.Count;
    }

    public static void Require(TufMetadata metadata, IReadOnlyDictionary<string, TufKey> keys, RoleKeys role, string errorCode, string what)
    {
        var valid = CountValid(metadata, keys, role);
        if (valid < role.Threshold)
        {
            throw new TufException(errorCode, $"{what} has {valid} valid signature(s) from distinct keys, threshold is {role.Threshold}");
        }
    }
}
