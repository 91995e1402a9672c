namespace Vouch.Sandbox.Sigstore;

/// <summary>A bundle produced by <see cref="SigstoreInstance"/>, with the facts a test usually wants to assert on.</summary>
public sealed class SignedBundle
{
    /// <summary>The bundle, protobuf-specs JSON.</summary>
    public required string Json { get; init; }

    public required string MediaType { get; init; }

    /// <summary>The content signature (over the artifact, or over the DSSE PAE).</summary>
    public required byte[] Signature { get; init; }

    /// <summary>Leaf certificate (DER), or null for a managed-key bundle.</summary>
    public byte[]? Certificate { get; init; }

    public required long LogIndex { get; init; }

    /// <summary>Integrated time recorded by a Rekor v1 log; null on Rekor v2.</summary>
    public DateTimeOffset? IntegratedTime { get; init; }

    /// <summary>The canonicalized Rekor entry body.</summary>
    public required byte[] CanonicalizedBody { get; init; }

    /// <summary>The DER TimeStampResp, when the bundle carries a timestamp.</summary>
    public byte[]? SignedTimestamp { get; init; }
}
