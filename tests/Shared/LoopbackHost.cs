using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Vouch.Tests;

/// <summary>
/// Starts the Kestrel server behind a test's fake registry: bound to 127.0.0.1 only (tests never
/// listen beyond loopback), on a port the OS picks so parallel tests do not collide, and with
/// logging off so request noise stays out of test output.
/// </summary>
internal static class LoopbackHost
{
    /// <summary>
    /// Serves every request with <paramref name="handler"/>; the URL ends in '/' so relative paths
    /// resolve under it. The handler may reach an object built after the call: no request can come
    /// before the caller has the URL.
    /// </summary>
    public static async Task<(WebApplication App, Uri BaseUrl)> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var address = app.Urls.First();
        return (app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }
}
