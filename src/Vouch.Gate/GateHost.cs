using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Gate.Api;
using Vouch.Gate.Decisions;
using Vouch.Gate.Packuments;
using Vouch.Gate.Evidence;
using Vouch.Gate.Storage;
using Vouch.Gate.Tarballs;
using Vouch.Gate.Upstream;
using Vouch.Gate.Verification;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate;

/// <summary>What the gate needs from outside: the network stack, trust material and clock (tests inject their own).</summary>
public sealed record GateDependencies
{
    public required HttpMessageHandler UpstreamHandler { get; init; }

    public required SigstoreVerifier Sigstore { get; init; }

    public required RegistryKeys TrustedKeys { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The policy engine; default: the policy file (or the built-in default policy) through <see cref="PolicyReleaseDecider"/>.</summary>
    public IReleaseDecider? Decider { get; init; }

    /// <summary>Issue 20: the network stack towards the organisation's registry (<c>--publish-to</c>); default a fresh handler.</summary>
    public HttpMessageHandler? PublishHandler { get; init; }

    /// <summary>Where unexpected errors are written (never secrets).</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>A running gate: Kestrel on the configured address, in front of the upstream.</summary>
public sealed class GateHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServiceProvider _services;
    private readonly GateService _service;
    private int _stopped;

    private GateHost(WebApplication app, ServiceProvider services, Uri url)
    {
        _app = app;
        _services = services;
        _service = services.GetRequiredService<GateService>();
        Url = url;
    }

    /// <summary>The gate's public URL (ends with '/'); what clients put in <c>registry=</c>.</summary>
    public Uri Url { get; }

    public GateStore Store => _service.Store;

    internal GateService Service => _service;

    /// <summary>The composed parts (for tests that look inside: cache accounting, breaker, outbound refusals).</summary>
    internal IServiceProvider Services => _services;

    /// <summary>Validates the options, migrates the database and starts listening. Bad options throw <see cref="GateConfigurationException"/> listing every problem.</summary>
    public static async Task<GateHost> StartAsync(GateOptions options, GateDependencies deps, CancellationToken ct = default)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new GateConfigurationException(errors);
        }

        GateOptions.TryParseListen(options.Listen, out var endpoint, out _);
        var policy = new OutboundPolicy(options.Upstream);
        var handler = OutboundPolicyHandler.Wrap(policy, deps.UpstreamHandler);
        var store = await GateStore.OpenAsync(options.Database, deps.Time, ct).ConfigureAwait(false);
        var decider = deps.Decider ?? await LoadPolicyAsync(options, deps.Time, ct).ConfigureAwait(false);
        var publishPolicy = await Publish.PublishComposition.LoadPolicyAsync(options, ct).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(endpoint!);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxRequestHeaderCount = 64;
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        });
        var app = builder.Build();

        // The pipeline exists before the services (their public URL needs the bound port); until
        // they do, every request is a 503.
        GateFront? front = null;
        AdminApi? admin = null;
        app.Use((ctx, next) => front is null ? Unavailable(ctx) : front.InvokeAsync(ctx, next));
        app.UseRouting();
        app.Use(GateFront.UnmatchedAsync);
        AdminApi.Map(app, () => admin);
        app.UseEndpoints(_ => { });
        await app.StartAsync(ct).ConfigureAwait(false);

        var bound = app.Urls.First();
        var url = options.PublicUrl ?? new Uri(bound.EndsWith('/') ? bound : bound + "/");
        var services = Compose(options, deps, store, decider, policy, handler, url, publishPolicy);
        if (options.AllowSelfApprovalUnsafe)
        {
            deps.Log?.WriteLine("vouch gate: WARNING: four eyes is off (AllowSelfApprovalUnsafe): whoever requests an approval may grant it");
        }

        await services.GetRequiredService<GateService>().StartAsync(ct).ConfigureAwait(false);
        Publish.PublishComposition.Start(services);
        admin = services.GetRequiredService<AdminApi>();
        front = services.GetRequiredService<GateFront>();
        return new GateHost(app, services, url);
    }

    /// <summary>The composition root: every part of the gate, each with one job, wired by constructor injection.</summary>
    private static ServiceProvider Compose(GateOptions options, GateDependencies deps, GateStore store, IReleaseDecider decider, OutboundPolicy policy, HttpMessageHandler handler, Uri url, Vouch.Policy.Publish.PublishPolicy publishPolicy)
    {
        var s = new ServiceCollection();
        s.AddSingleton(options);
        s.AddSingleton(deps.Time);
        s.AddSingleton(store);
        s.AddSingleton(decider);
        s.AddSingleton(policy);
        s.AddSingleton(new UpstreamUrls(options.Upstream));
        s.AddSingleton(new GateUrl(url));
        s.AddSingleton(new GateAuth(options.Tokens));
        s.AddSingleton<CircuitBreaker>();
        s.AddSingleton(sp => new UpstreamClient(handler, options.Upstream, options.UpstreamTimeout, sp.GetRequiredService<CircuitBreaker>()));
        s.AddSingleton(_ => new RegistryClient(handler, NpmConfig.ForRegistry(options.Upstream), cacheDirectory: null, deps.Time,
            new RegistryClientOptions { MaxRetries = 1, AttemptTimeout = options.UpstreamTimeout, MaxTarballBytes = options.MaxTarballBytes, MaxPackumentBytes = options.MaxPackumentBytes, UserAgent = "vouch-gate" }));
        s.AddSingleton(sp => new PackageVerifier(sp.GetRequiredService<RegistryClient>(), deps.Sigstore, deps.TrustedKeys));
        s.AddSingleton<PackumentCache>();
        s.AddSingleton<PackumentDiskStore>();
        s.AddSingleton<ApprovalsMonitor>();
        s.AddSingleton<RefusalLog>();
        s.AddSingleton<PackumentService>();
        s.AddSingleton<TarballStore>();
        s.AddSingleton<ReleaseDecisionCache>();
        s.AddSingleton<KeysCache>();

        // Issue 12: evidence keyed by the trust material's fingerprint, incomplete verifications retried with backoff.
        s.AddSingleton(_ => new EvidenceLedger(store, TrustFingerprint.Compute(deps.Sigstore.TrustedRoot, deps.TrustedKeys), deps.Time, options.VerificationRetryMin, options.VerificationRetryMax));
        s.AddSingleton<VersionVerifier>();
        s.AddSingleton<GateService>();
        Publish.PublishComposition.Add(s, options, deps, publishPolicy);
        s.AddSingleton<NpmRoutes>();
        s.AddSingleton<AdminApi>();
        s.AddSingleton(sp => new GateFront(sp.GetRequiredService<NpmRoutes>(), deps.Log));
        return s.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private static async Task<IReleaseDecider> LoadPolicyAsync(GateOptions options, TimeProvider time, CancellationToken ct)
    {
        if (options.PolicyPath is not { } path)
        {
            return new PolicyReleaseDecider(Policy.PolicyDocument.Default, "default", time);
        }

        try
        {
            var policy = await Policy.PolicyLoader.LoadAsync(path, null, ct).ConfigureAwait(false);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false)))[..16];
            return new PolicyReleaseDecider(policy, digest, time);
        }
        catch (Exception e) when (e is Policy.PolicyFormatException or Policy.PolicyFetchException or IOException)
        {
            throw new GateConfigurationException([$"policy: {e.Message}"]);
        }
    }

    private static Task Unavailable(Microsoft.AspNetCore.Http.HttpContext ctx) => GateJson.ErrorAsync(ctx, 503, GateCodes.UpstreamUnavailable, "the gate is starting");

    /// <summary>Stops accepting connections and lets in-flight requests finish (up to the shutdown timeout).</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _app.StopAsync(ct).ConfigureAwait(false);
        var store = _service.Store;
        await _services.DisposeAsync().ConfigureAwait(false);
        await store.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The gate's configuration is invalid; <see cref="Exception.Message"/> lists every problem on one line.</summary>
public sealed class GateConfigurationException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
