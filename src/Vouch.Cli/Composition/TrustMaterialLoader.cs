using Vouch.Provenance;
using Vouch.Sigstore;
using Vouch.Sigstore.Verification;
using Vouch.Tuf;
using SigstoreTrustedRoot = Vouch.Sigstore.Trust.TrustedRoot;

namespace Vouch.Cli.Composition;

/// <summary>The trust material a command verifies with, and where each part came from.</summary>
internal sealed record TrustMaterial(SigstoreTrustedRoot Root, string RootSource, RegistryKeys Keys)
{
    /// <summary>The TUF cache consulted (null when none was: material given on the command line only).</summary>
    public string? TufDirectory { get; init; }

    /// <summary>
    /// The registry keys came from a file the operator gave (`--registry-keys`): they are then the whole
    /// trust, and keys a registry serves at /-/npm/v1/keys never extend them.
    /// </summary>
    public bool KeysPinned { get; init; }

    /// <summary>The line reports print: which trusted root and which registry keys were used.</summary>
    public string Description => $"trusted root: {RootSource}; registry keys: {Keys.Source}";

    public SigstoreVerifier CreateSigstoreVerifier() => new(Root);
}

/// <summary>
/// Picks the trust material commands use: the TUF-verified cached copy in the cache directory the
/// command was given (`--cache-dir`, else the default) when it is fresh, the snapshot embedded in
/// Vouch otherwise, and says which. `vouch trust update --cache-dir X` and any command given
/// `--cache-dir X` therefore agree on what is trusted.
/// </summary>
internal static class TrustMaterialLoader
{
    public static (SigstoreTrustedRoot Root, string Source) TrustedRoot(string? cacheDirectory) => TrustedRoot(Status(cacheDirectory).Status);

    /// <summary>
    /// Both materials from one check of the TUF cache. A `--trusted-root FILE` given by the user
    /// replaces the Sigstore trust material (a private Sigstore instance, the sandbox), and
    /// `--registry-keys FILE` (TUF `keys.json` or `/-/npm/v1/keys` shape) the npm keys, for
    /// signatures and publish attestations alike. A file that is missing or does not parse is a
    /// usage error: silently falling back to another root would change what is trusted.
    /// </summary>
    public static TrustMaterial Load(string? cacheDirectory, string? trustedRootFile, string? registryKeysFile)
    {
        var (status, directory) = trustedRootFile is not null && registryKeysFile is not null ? (null, null) : Status(cacheDirectory);
        var (root, rootSource) = trustedRootFile is null ? TrustedRoot(status) : (FromFile(trustedRootFile), trustedRootFile);
        var keys = registryKeysFile is null ? NpmKeys(status) : KeysFromFile(registryKeysFile);
        return new TrustMaterial(root, rootSource, keys) { TufDirectory = directory, KeysPinned = registryKeysFile is not null };
    }
    /// <summary>The public registry's keys as commands trust them without <c>--registry-keys</c>: the TUF-cached copy, else the embedded one.</summary>
    public static RegistryKeys PublicNpmKeys(string? cacheDirectory) => NpmKeys(Status(cacheDirectory).Status);

    private static RegistryKeys KeysFromFile(string path) => KeysFromFile(path, "--registry-keys");

    /// <summary>A registry keys file named by <paramref name="option"/> (TUF <c>keys.json</c> or <c>/-/npm/v1/keys</c> shape); unreadable or malformed: a usage error.</summary>
    internal static RegistryKeys KeysFromFile(string path, string option)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot read {path}: {e.Message}");
        }

        try
        {
            return RegistryKeys.Parse(content, path).WithV1KeysForAttestations();
        }
        catch (SigstoreFormatException e)
        {
            throw new UsageException($"{option}: {path} is not an npm registry keys document: {e.Message}");
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

    private static (TrustStatus? Status, string Directory) Status(string? cacheDirectory)
    {
        var updater = new SigstoreTrustUpdater(Commands.TrustCommand.Options(null, cacheDirectory));
        try
        {
            return (updater.GetStatusAsync().GetAwaiter().GetResult(), updater.RepositoryDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, updater.RepositoryDirectory);
        }
    }
}
