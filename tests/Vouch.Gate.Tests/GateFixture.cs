using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests;

/// <summary>A gate on 127.0.0.1:0 in front of a <see cref="TestUpstream"/>, with a temp data directory and three tokens.</summary>
internal sealed class GateFixture : IAsyncDisposable
{
    public const string ReaderToken = "reader-secret-0123456789";
    public const string ApproverToken = "approver-secret-0123456789";
    public const string AdminToken = "admin-secret-0123456789";

    private GateFixture(TestUpstream upstream, GateHost host, string dir, HttpClient http)
    {
        Upstream = upstream;
        Host = host;
        Directory = dir;
        Http = http;
    }

    public TestUpstream Upstream { get; }

    public GateHost Host { get; }

    public string Directory { get; }

    public HttpClient Http { get; }

    public static IReadOnlyList<GateToken> Tokens =>
    [
        new GateToken("rita", GateRole.Reader, ReaderToken),
        new GateToken("alice", GateRole.Approver, ApproverToken),
        new GateToken("root", GateRole.Admin, AdminToken),
    ];

    public static async Task<GateFixture> StartAsync(Action<TestUpstream>? setup = null, Func<GateOptions, GateOptions>? configure = null, string? database = null, TestUpstream? upstream = null, string? dir = null, TimeProvider? time = null, GateDependencies? dependencies = null)
    {
        upstream ??= await TestUpstream.StartAsync();
        setup?.Invoke(upstream);
        dir ??= System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        var options = new GateOptions
        {
            Upstream = upstream.BaseUrl,
            Listen = "127.0.0.1:0",
            Database = database ?? System.IO.Path.Combine(dir, "gate.db"),
            DataDirectory = dir,
            Tokens = Tokens,
        };
        options = configure?.Invoke(options) ?? options;
        var deps = dependencies ?? Dependencies();
        var host = await GateHost.StartAsync(options, time is null ? deps : deps with { Time = time });
        var http = new HttpClient { BaseAddress = host.Url };
        return new GateFixture(upstream, host, dir, http);
    }

    public static GateDependencies Dependencies() => new()
    {
        UpstreamHandler = RegistryClient.CreateDefaultHandler(),
        Sigstore = new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.PublicGood),
        TrustedKeys = RegistryKeys.Embedded,
    };

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null, object? json = null, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        if (json is not null)
        {
            request.Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(json), Encoding.UTF8, "application/json");
        }

        return await Http.SendAsync(request);
    }

    public async Task<JsonNode> JsonAsync(HttpMethod method, string path, string? token = null, object? json = null, int expect = 200)
    {
        using var response = await SendAsync(method, path, token, json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expect, $"{method} {path}: expected {expect}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        await Upstream.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
