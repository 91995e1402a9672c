using System.Text;

namespace Vouch.Provenance;

/// <summary>One entry of `dist.signatures`.</summary>
public sealed record RegistrySignature(string KeyId, string Signature);

public enum EvidenceStatus
{
    /// <summary>Checked and valid.</summary>
    Verified,

    /// <summary>Not published for this version (or stripped by a mirror): nothing to check.</summary>
    Absent,

    /// <summary>Present and failed a check.</summary>
    Invalid,
}

public sealed record SignatureEvidence(EvidenceStatus Status, string? KeyId, Problem? Problem);

/// <summary>
/// Checks npm registry signatures: ECDSA P-256 over `${name}@${version}:${integrity}` with the key the
/// `keyid` names, valid at the version's publish time (keys rotate; windows come from TUF).
/// </summary>
public static class RegistrySignatureVerifier
{
    public static SignatureEvidence Verify(string name, string version, string? integrity, IReadOnlyList<RegistrySignature> signatures, RegistryKeys keys, DateTimeOffset? publishTime)
    {
        if (signatures.Count == 0)
        {
            return new(EvidenceStatus.Absent, null, null);
        }

        if (string.IsNullOrEmpty(integrity))
        {
            return new(EvidenceStatus.Invalid, signatures[0].KeyId, new Problem(ProvenanceCodes.IntegrityMissing, $"{name}@{version} has registry signatures but no dist.integrity they could cover"));
        }

        var message = Encoding.UTF8.GetBytes($"{name}@{version}:{integrity}");
        Problem? last = null;
        foreach (var sig in signatures)
        {
            var lookup = keys.Find(sig.KeyId, RegistryKeys.SignaturesUsage, publishTime);
            if (lookup.Status == KeyLookupStatus.Unknown)
            {
                last = new Problem(ProvenanceCodes.SignatureKeyUnknown, $"the registry signature names key {sig.KeyId}, which is not among the {keys.Source}") { Incomplete = true };
                continue;
            }

            if (lookup.Status == KeyLookupStatus.NotValidAtTime)
            {
                var window = $"{lookup.Key!.ValidFrom?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "always"} to {lookup.Key.ValidUntil?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "now"}";
                last = new Problem(ProvenanceCodes.SignatureKeyNotValid, publishTime is null
                    ? $"key {sig.KeyId} has a validity window ({window}) and the publish time of {name}@{version} is unknown"
                    : $"key {sig.KeyId} was not valid when {name}@{version} was published ({publishTime:u}; key valid {window})");
                continue;
            }

            byte[] der;
            try
            {
                der = Convert.FromBase64String(sig.Signature);
            }
            catch (FormatException)
            {
                last = new Problem(ProvenanceCodes.SignatureInvalid, $"the registry signature of {name}@{version} is not base64");
                continue;
            }

            if (lookup.Key!.Key.VerifyData(message, der))
            {
                return new(EvidenceStatus.Verified, sig.KeyId, null);
            }

            last = new Problem(ProvenanceCodes.SignatureInvalid, $"the registry signature of {name}@{version} does not verify with key {sig.KeyId}");
        }

        return new(EvidenceStatus.Invalid, signatures[0].KeyId, last);
    }
}
