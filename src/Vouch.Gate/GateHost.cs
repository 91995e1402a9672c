using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Gate.Api;
using Vouch.Gate.Decisions;
using Vouch.Gate.Evidence;
using Vouch.Gate.Storage;
using Vouch.Gate.Upstream;
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

    /// <summary>Where unexpected errors are written (never secrets).</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>A running gate: Kestrel on the configured address, in front of the upstream.</summary>
public sealed class GateHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GateService _service;
    private readonly UpstreamClient _upstream;
    private readonly RegistryClient _registry;
    private int _stopped;

    private GateHost(WebApplication app, GateService service, UpstreamClient upstream, RegistryClient registry, Uri url)
    {
        _app = app;
        _service = service;
        _upstream = upstream;
        _registry = registry;
        Url = url;
    }

    /// <summary>The gate's public URL (ends with '/'); what clients put in <c>registry=</c>.</summary>
    public Uri Url { get; }

    public GateStore Store => _service.Store;

    internal GateService Service => _service;

    /// <summary>Validates the options, migrates the database and starts listening. Bad options throw <see cref="GateConfigurationException"/> listing every problem.</summary>
    public static async Task<GateHost> StartAsync(GateOptions options, GateDependencies deps, CancellationToken ct = default)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new GateConfigurationException(errors);
        }

        GateOptions.TryParseListen(options.Listen, out var endpoint, out _);
        var store = await GateStore.OpenAsync(options.Database, deps.Time, ct).ConfigureAwait(false);
        var decider = deps.Decider ?? await LoadPolicyAsync(options, deps.Time, ct).ConfigureAwait(false);

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
        GateHttp? http = null;
        app.Run(ctx => http is null ? Unavailable(ctx) : http.HandleAsync(ctx));
        await app.StartAsync(ct).ConfigureAwait(false);

        var bound = app.Urls.First();
        var url = options.PublicUrl ?? new Uri(bound.EndsWith('/') ? bound : bound + "/");
        var upstream = new UpstreamClient(deps.UpstreamHandler, options.Upstream, options.UpstreamTimeout);
        var registry = new RegistryClient(deps.UpstreamHandler, NpmConfig.ForRegistry(options.Upstream), cacheDirectory: null, deps.Time,
            new RegistryClientOptions { MaxRetries = 1, AttemptTimeout = options.UpstreamTimeout, MaxTarballBytes = options.MaxTarballBytes, MaxPackumentBytes = options.MaxPackumentBytes, UserAgent = "vouch-gate" });
        var verifier = new PackageVerifier(registry, deps.Sigstore, deps.TrustedKeys);
        var service = new GateService(options, store, decider, upstream, verifier, deps.Time, url)
        {
            // Issue 12: evidence keyed by the trust material's fingerprint, incomplete verifications retried with backoff.
            Ledger = new EvidenceLedger(store, TrustFingerprint.Compute(deps.Sigstore.TrustedRoot, deps.TrustedKeys), deps.Time, options.VerificationRetryMin, options.VerificationRetryMax),
        };
        if (options.AllowSelfApprovalUnsafe)
        {
            deps.Log?.WriteLine("vouch gate: WARNING: four eyes is off (AllowSelfApprovalUnsafe): whoever requests an approval may grant it");
        }

        await service.StartAsync(ct).ConfigureAwait(false);
        http = new GateHttp(service, new GateAuth(options.Tokens), options, deps.Log);
        return new GateHost(app, service, upstream, registry, url);
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
        await _service.DisposeAsync().ConfigureAwait(false);
        await _service.Store.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
        _registry.Dispose();
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
