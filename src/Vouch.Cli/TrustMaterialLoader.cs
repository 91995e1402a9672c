using Vouch.Provenance;
using Vouch.Sigstore;
using Vouch.Tuf;
using SigstoreTrustedRoot = Vouch.Sigstore.Trust.TrustedRoot;

namespace Vouch.Cli;

/// <summary>
/// Picks the trust material commands use: the TUF-verified cached copy when it is fresh, the
/// snapshot embedded in Vouch otherwise, and says which.
/// </summary>
internal static class TrustMaterialLoader
{
    public static (SigstoreTrustedRoot Root, string Source) TrustedRoot() => TrustedRoot(Status());

    /// <summary>Both materials from one check of the TUF cache.</summary>
    public static (SigstoreTrustedRoot Root, string RootSource, RegistryKeys Keys) All()
    {
        var status = Status();
        var (root, source) = TrustedRoot(status);
        return (root, source, NpmKeys(status));
    }

    /// <summary>
    /// As <see cref="All()"/>, but a `--trusted-root FILE` given by the user replaces the Sigstore
    /// trust material (a private Sigstore instance, the sandbox). A file that is missing or does not
    /// parse is a usage error: silently falling back to another root would change what is trusted.
    /// </summary>
    public static (SigstoreTrustedRoot Root, string RootSource, RegistryKeys Keys) All(string? trustedRootFile) => All(trustedRootFile, null);

    /// <summary>
    /// As <see cref="All(string?)"/>, and `--registry-keys FILE` (TUF `keys.json` or `/-/npm/v1/keys`
    /// shape) replaces the npm keys, for signatures and publish attestations alike.
    /// </summary>
    public static (SigstoreTrustedRoot Root, string RootSource, RegistryKeys Keys) All(string? trustedRootFile, string? registryKeysFile)
    {
        var (root, rootSource, keys) = All();
        if (trustedRootFile is not null)
        {
            (root, rootSource) = (FromFile(trustedRootFile), trustedRootFile);
        }

        if (registryKeysFile is not null)
        {
            keys = KeysFromFile(registryKeysFile);
        }

        return (root, rootSource, keys);
    }

    private static RegistryKeys KeysFromFile(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--registry-keys: cannot read {path}: {e.Message}");
        }

        try
        {
            return RegistryKeys.Parse(content, path).WithV1KeysForAttestations();
        }
        catch (SigstoreFormatException e)
        {
            throw new UsageException($"--registry-keys: {path} is not an npm registry keys document: {e.Message}");
        }
    }

    public static SigstoreTrustedRoot FromFile(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--trusted-root: cannot read {path}: {e.Message}");
        }

        try
        {
            return SigstoreTrustedRoot.Parse(content);
        }
        catch (SigstoreFormatException e)
        {
            throw new UsageException($"--trusted-root: {path} is not a Sigstore trusted root: {e.Message}");
        }
    }

    private static (SigstoreTrustedRoot Root, string Source) TrustedRoot(TrustStatus? status)
    {
        if (status?.TrustedRoot is { Source: TrustMaterialSource.Cache, Content: { } content })
        {
            try
            {
                return (SigstoreTrustedRoot.Parse(content), "TUF cache");
            }
            catch (SigstoreFormatException)
            {
                // A cached target that verified through TUF but does not parse is not usable; fall back.
            }
        }

        return (SigstoreTrustedRoot.PublicGood, "embedded snapshot");
    }

    private static RegistryKeys NpmKeys(TrustStatus? status)
    {
        if (status?.NpmKeys is { Source: TrustMaterialSource.Cache, Content: { } content })
        {
            try
            {
                return RegistryKeys.Parse(content, "npm registry keys (TUF cache)");
            }
            catch (SigstoreFormatException)
            {
                // As for the trusted root: unusable cached content falls back to the snapshot.
            }
        }

        return RegistryKeys.Embedded;
    }

    private static TrustStatus? Status()
    {
        try
        {
            var updater = new SigstoreTrustUpdater(Commands.TrustCommand.Options(null, null));
            return updater.GetStatusAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
