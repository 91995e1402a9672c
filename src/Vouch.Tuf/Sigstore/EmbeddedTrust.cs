using System.Reflection;
using Vouch.Sigstore.Crypto;

namespace Vouch.Tuf;

/// <summary>
/// Trust material compiled into Vouch: the Sigstore TUF root that bootstraps updates, and the
/// snapshots of the targets used when no fresh cached copy exists.
/// </summary>
public static class EmbeddedTrust
{
    /// <summary>Sigstore public-good TUF <c>root.json</c> (signed metadata) the updater starts from.</summary>
    public static byte[] SigstoreTufRoot() => Read(typeof(EmbeddedTrust).Assembly, "Vouch.Tuf.Embedded.sigstore-tuf-root.json")
        ?? throw new InvalidOperationException("the embedded Sigstore TUF root is missing from the build");

    /// <summary>Snapshot of the <c>registry.npmjs.org/keys.json</c> target.</summary>
    public static byte[] NpmRegistryKeys() => Read(typeof(EmbeddedTrust).Assembly, "Vouch.Tuf.Embedded.registry.npmjs.org-keys.json")
        ?? throw new InvalidOperationException("the embedded npm registry keys are missing from the build");

    /// <summary>
    /// Snapshot of the <c>trusted_root.json</c> target. Vouch.Sigstore owns that file (it verifies bundles
    /// with it), so it is read from there rather than duplicated; null if that build dropped it.
    /// </summary>
    public static byte[]? SigstoreTrustedRoot() => Read(typeof(PublicKey).Assembly, "trusted_root.json");

    private static byte[]? Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name);
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
