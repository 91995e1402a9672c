using Vouch.Policy;

namespace Vouch.Cli.Composition;

/// <summary>
/// The one way a command finds its policy: `--policy FILE|URL`, else the nearest vouch.policy.yml
/// upward from where the command looks, else the documented built-in default. A malformed policy
/// is a usage error (exit 2, `file:line:column`); a policy URL that cannot be fetched surfaces as
/// <see cref="PolicyFetchException"/>, which <see cref="VouchCli"/> turns into exit 3.
/// </summary>
internal static class PolicyResolver
{
    public static async Task<PolicyDocument> ResolveAsync(string? explicitSource, string searchFrom, CancellationToken ct)
    {
        var source = explicitSource ?? PolicyLoader.Find(searchFrom);
        if (source is null)
        {
            return PolicyDocument.Default;
        }

        try
        {
            return await PolicyLoader.LoadAsync(source, null, ct).ConfigureAwait(false);
        }
        catch (PolicyFormatException e)
        {
            throw new UsageException($"bad policy: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read policy {source}: {e.Message}");
        }
    }
}
