using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Vouch.Npm.Tests.Infrastructure;

/// <summary>What the loopback registry saw of one request.</summary>
internal sealed record RecordedRequest(
    string RawTarget,
    string? Authorization,
    string? Accept,
    string? AcceptEncoding,
    string? IfNoneMatch,
    string? IfModifiedSince,
    string Protocol);

/// <summary>
/// A Kestrel server on 127.0.0.1 (port chosen by the OS) whose answers each test scripts. It
/// records every request so tests can check headers (credentials, validators, Accept).
/// </summary>
internal sealed class LoopbackRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackRegistry(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Uri Url(string relative) => new(BaseUrl, relative);

    public static async Task<LoopbackRegistry> StartAsync(Func<HttpContext, RecordedRequest, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        LoopbackRegistry? registry = null;
        app.Run(async ctx =>
        {
            var headers = ctx.Request.Headers;
            var recorded = new RecordedRequest(
                ctx.Features.Get<IHttpRequestFeature>()!.RawTarget,
                headers.Authorization.Count > 0 ? headers.Authorization.ToString() : null,
                headers.Accept.Count > 0 ? headers.Accept.ToString() : null,
                headers.AcceptEncoding.Count > 0 ? headers.AcceptEncoding.ToString() : null,
                headers.IfNoneMatch.Count > 0 ? headers.IfNoneMatch.ToString() : null,
                headers.IfModifiedSince.Count > 0 ? headers.IfModifiedSince.ToString() : null,
                ctx.Request.Protocol);
            registry!.Requests.Enqueue(recorded);
            await handler(ctx, recorded);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First();
        registry = new LoopbackRegistry(app, new Uri(address.TrimEnd('/') + "/"));
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Serves the recorded fixtures in shared/fixtures/npm the way the public registry lays them out.</summary>
internal static class FixtureRoutes
{
    public static async Task<bool> TryServeAsync(HttpContext ctx, string rawTarget)
    {
        var path = MapToFile(rawTarget);
        if (path is null || !File.Exists(path))
        {
            return false;
        }

        ctx.Response.ContentType = path.EndsWith(".tgz", StringComparison.Ordinal) ? "application/octet-stream" : "application/json";
        await ctx.Response.SendFileAsync(path);
        return true;
    }

    public static string? MapToFile(string rawTarget)
    {
        var fixtures = TestPaths.NpmFixtures;
        if (rawTarget == "/-/npm/v1/keys")
        {
            return Path.Combine(fixtures, "registry-keys.v1.json");
        }

        const string attestations = "/-/npm/v1/attestations/";
        if (rawTarget.StartsWith(attestations, StringComparison.Ordinal))
        {
            // The fixture files are named <name>@<version>.json with the scope slash as %2f.
            var name = rawTarget[attestations.Length..].Replace("%2F", "%2f", StringComparison.Ordinal).Replace("/", "%2f", StringComparison.Ordinal);
            return Path.Combine(fixtures, "attestations", name + ".json");
        }

        const string tarballs = "/tarballs/";
        if (rawTarget.StartsWith(tarballs, StringComparison.Ordinal))
        {
            return Path.Combine(fixtures, "tarballs", rawTarget[tarballs.Length..]);
        }

        var packument = rawTarget.TrimStart('/').Replace("%2F", "%2f", StringComparison.Ordinal);
        return packument.Contains('/', StringComparison.Ordinal) ? null : Path.Combine(fixtures, "packuments", packument + ".json");
    }
}
