namespace Vouch.Npm;

/// <summary>
/// Adds the configured credential to each outgoing request whose URL is under that credential's
/// prefix (<see cref="NpmConfig.GetCredentialFor"/>), for HTTP stacks that are not a
/// <see cref="RegistryClient"/> (the gate's upstream client in <c>vouch run</c>). Chosen per request,
/// so a redirect to another host (followed by the caller, one request per hop) carries no credential;
/// a request that already has an Authorization header keeps it. The secret never leaves the header.
/// </summary>
public sealed class RegistryCredentialHandler : DelegatingHandler
{
    private readonly NpmConfig _config;

    public RegistryCredentialHandler(NpmConfig config, HttpMessageHandler inner)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null && request.RequestUri is { } url && _config.GetCredentialFor(url) is { } credential)
        {
            request.Headers.Authorization = credential.ToAuthorizationHeader();
        }

        return base.SendAsync(request, cancellationToken);
    }
}
