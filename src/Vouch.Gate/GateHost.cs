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
using Vouch.Gate.Observability;
using OpenTelemetry.Metrics;
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

    /// <summary>
    /// Whether an upstream other than registry.npmjs.org may add the keys it serves at /-/npm/v1/keys
    /// to <see cref="TrustedKeys"/>; false when the operator pinned them (<c>--registry-keys FILE</c>),
    /// so a hostile upstream or a proxy of npmjs cannot add a signer of its own.
    /// </summary>
    public bool TrustServedKeys { get; init; } = true;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The policy engine; default: the policy file (or the built-in default policy) through <see cref="PolicyReleaseDecider"/>.</summary>
    public IReleaseDecider? Decider { get; init; }

    /// <summary>Issue 20: the network stack towards the organisation's registry (<c>--publish-to</c>); default a fresh handler.</summary>
    public HttpMessageHandler? PublishHandler { get; init; }

    /// <summary>Where unexpected errors are written (never secrets).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Trust material per routed upstream (<see cref="UpstreamRoute.Name"/>); a route without an entry uses <see cref="Sigstore"/> and <see cref="TrustedKeys"/>.</summary>
    public IReadOnlyDictionary<string, UpstreamTrust> RouteTrust { get; init; } = new Dictionary<string, UpstreamTrust>();

    /// <summary>The OpenTelemetry meter's name (tests running several gates in one process give each its own).</summary>
    public string MeterName { get; init; } = GateMetrics.DefaultMeterName;
}

/// <summary>A running gate: Kestrel on the configured address, in front of the upstream.</summary>
public sealed class GateHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServiceProvider _services;
    private readonly GateService _service;
    private readonly GateAdvisories? _advisories;
    private int _stopped;

    private GateMetrics? _metrics;
    private GateVsa? _vsa;

    private GateHost(WebApplication app, ServiceProvider services, Uri url, GateAdvisories? advisories)
    {
        _app = app;
        _services = services;
        _advisories = advisories;
        _service = services.GetRequiredService<GateService>();
        Url = url;
    }

    /// <summary>The gate's public URL (ends with '/'); what clients put in <c>registry=</c>.</summary>
    public Uri Url { get; }

    public GateStore Store => _service.Store;

    /// <summary>The advisory snapshot the gate decides under now (null without an advisory database).</summary>
    public Vouch.Advisories.SnapshotInfo? AdvisorySnapshot => (_service.Decider as PolicyReleaseDecider)?.AdvisorySnapshot;

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
        // Opened first, so a bad advisory database is reported before anything else is set up.
        var advisories = deps.Decider is null ? OpenAdvisories(options, deps.Time) : null;
        try
        {
            return await StartAsync(options, deps, endpoint!, policy, handler, advisories, ct).ConfigureAwait(false);
        }
        catch
        {
            advisories?.Dispose();
            throw;
        }
    }

    private static async Task<GateHost> StartAsync(GateOptions options, GateDependencies deps, System.Net.IPEndPoint endpoint, OutboundPolicy policy, HttpMessageHandler handler, GateAdvisories? advisories, CancellationToken ct)
    {
        var store = await GateStore.OpenAsync(options.Database, deps.Time, ct).ConfigureAwait(false);
        var (policyDocument, policyDigest) = await LoadPolicyAsync(options, ct).ConfigureAwait(false);
        var reviews = await Reviews.GateReviews.CreateAsync(policyDocument, store, deps.Sigstore, deps.Time, ct).ConfigureAwait(false);
        var decider = deps.Decider ?? new PolicyReleaseDecider(policyDocument, policyDigest, deps.Time, advisories, reviews.Evidence);
        var publishPolicy = await Publish.PublishComposition.LoadPolicyAsync(options, ct).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // Issue 19: OpenTelemetry metrics, exported in Prometheus' text format at /-/vouch/metrics.
        var metrics = new GateMetrics(deps.MeterName);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(deps.MeterName).AddPrometheusExporter(o => o.ScrapeEndpointPath = GateMetrics.ScrapePath));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(endpoint);
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.MaxRequestHeaderCount = 64;
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        });
        // Issue 19: OpenID Connect sign-in for the dashboard (SignIn/OidcSignIn.cs); the public URL is known once bound.
        Uri? publicUrl = options.PublicUrl;
        if (options.Oidc is { } oidc)
        {
            SignIn.OidcSignIn.AddServices(builder.Services, oidc, options.DataDirectory, options.PublicUrl?.Scheme == "https", () => publicUrl, deps.Time, deps.Log);
        }

        var app = builder.Build();

        // The pipeline exists before the services (their public URL needs the bound port); until
        // they do, every request is a 503.
        GateFront? front = null;
        AdminApi? admin = null;
        app.Use((ctx, next) => front is null ? Unavailable(ctx) : front.InvokeAsync(ctx, next));
        app.Use(async (ctx, next) =>
        {
            // Pending approvals are a database count, read when scraped rather than per request.
            if (ctx.Request.Path == GateMetrics.ScrapePath)
            {
                try
                {
                    metrics.SetPendingApprovals((await store.ListApprovalsAsync("pending", ctx.RequestAborted).ConfigureAwait(false)).Count);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    metrics.SetPendingApprovals(-1);
                }
            }

            await next(ctx).ConfigureAwait(false);
        });
        app.UseRouting();
        if (options.Oidc is not null)
        {
            // Here, not first: only /-/vouch requests (already through the path parser) reach it, so the
            // npm routes never pay for it. Calling it also stops the host from adding its own at the front.
            SignIn.OidcSignIn.Use(app, () => publicUrl, deps.Log);
        }

        app.Use(GateFront.UnmatchedAsync);
        AdminApi.Map(app, () => admin);
        app.MapPrometheusScrapingEndpoint(GateMetrics.ScrapePath);
        app.UseEndpoints(_ => { });
        await app.StartAsync(ct).ConfigureAwait(false);

        var bound = app.Urls.First();
        var url = options.PublicUrl ?? new Uri(bound.EndsWith('/') ? bound : bound + "/");
        publicUrl = url;
        var vsa = CreateVsa(options, url);
        var services = ComposeWithRoutes(options, deps, store, decider, policy, handler, url, metrics, publishPolicy, vsa, reviews);
        if (options.AllowSelfApprovalUnsafe)
        {
            deps.Log?.WriteLine("vouch gate: WARNING: four eyes is off (AllowSelfApprovalUnsafe): whoever requests an approval may grant it");
        }

        await services.GetRequiredService<GateService>().StartAsync(ct).ConfigureAwait(false);
        await services.GetRequiredService<Notifications.WebhookDispatcher>().StartAsync(ct).ConfigureAwait(false);
        Publish.PublishComposition.Start(services);
        admin = services.GetRequiredService<AdminApi>();
        front = services.GetRequiredService<GateFront>();
        return new GateHost(app, services, url, advisories) { _metrics = metrics, _vsa = vsa };
    }

    /// <summary>The VSA signer: the key was checked by <see cref="GateOptions.Validate"/>; the policy is named by its file name and the SHA-256 of its bytes.</summary>
    private static GateVsa CreateVsa(GateOptions options, Uri url)
    {
        if (options.VsaKeyPath is null)
        {
            return new GateVsa(null, url.AbsoluteUri, null, null);
        }

        var key = options.LoadVsaKey(out var error) ?? throw new GateConfigurationException([$"vsa-key: {error}"]);
        string? policyUri = null;
        string? policyDigest = null;
        if (options.PolicyPath is { } path)
        {
            // Only the file name: the statement is handed to clients and need not reveal the server's layout.
            policyUri = "vouch-gate-policy:" + Path.GetFileName(path);
            try
            {
                policyDigest = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                key.Dispose();
                throw new GateConfigurationException([$"policy: cannot read '{path}' for the VSA policy digest: {e.Message}"]);
            }
        }

        return new GateVsa(key, options.VsaVerifierId ?? url.AbsoluteUri, policyUri, policyDigest);
    }

    /// <summary>The parts every upstream shares: grants, the refusal log, cached release decisions.</summary>
    private sealed record SharedParts(ApprovalsMonitor Approvals, RefusalLog Refusals, ReleaseDecisionCache Decisions, GateMetrics Metrics, string Upstream, bool Owner, Vouch.Policy.Publish.PublishPolicy PublishPolicy, GateVsa Vsa, Reviews.GateReviews Reviews);

    /// <summary>
    /// Issue 19: the default upstream and one lane per routed upstream. Each lane is the same
    /// composition (client, outbound policy, URLs, verifier with its own trust material, caches,
    /// evidence ledger) against its own URL and data directory, sharing grants, audit log and policy.
    /// </summary>
    private static ServiceProvider ComposeWithRoutes(GateOptions options, GateDependencies deps, GateStore store, IReleaseDecider decider, OutboundPolicy policy, HttpMessageHandler handler, Uri url, GateMetrics metrics, Vouch.Policy.Publish.PublishPolicy publishPolicy, GateVsa vsa, Reviews.GateReviews reviews)
    {
        var decisions = new ReleaseDecisionCache();
        var approvals = new ApprovalsMonitor(options, store, deps.Time, decisions);
        var refusals = new RefusalLog(store, metrics);
        var laneShared = new SharedParts(approvals, refusals, decisions, metrics, "default", Owner: false, publishPolicy, vsa, reviews);
        var lanes = new List<UpstreamLane>();
        foreach (var route in options.Routes)
        {
            var lanePolicy = new OutboundPolicy(route.Url);
            var inner = route.AuthToken is { } token ? new UpstreamAuthHandler(token, deps.UpstreamHandler) : deps.UpstreamHandler;
            var laneHandler = OutboundPolicyHandler.Wrap(lanePolicy, inner);
            var laneOptions = options with { Upstream = route.Url, Routes = [], DataDirectory = Path.Combine(options.DataDirectory, "upstreams", route.Name) };
            var laneDeps = deps.RouteTrust.TryGetValue(route.Name, out var trust) ? deps with { Sigstore = trust.Sigstore, TrustedKeys = trust.Keys, TrustServedKeys = trust.TrustServedKeys } : deps;
            var r = route;
            lanes.Add(new UpstreamLane(route, Compose(laneOptions, laneDeps, store, decider, lanePolicy, laneHandler, url, laneShared with { Upstream = route.Name }, r.Matches, UpstreamLanes.None)));
        }

        var routes = options.Routes;
        Func<string, bool>? ownsDefault = routes.Count == 0 ? null : name => !routes.Any(r => r.Matches(name));
        return Compose(options, deps, store, decider, policy, handler, url, laneShared with { Owner = true }, ownsDefault, lanes.Count == 0 ? UpstreamLanes.None : new UpstreamLanes(lanes, store, metrics));
    }

    /// <summary>The composition root: every part of the gate, each with one job, wired by constructor injection.</summary>
    private static ServiceProvider Compose(GateOptions options, GateDependencies deps, GateStore store, IReleaseDecider decider, OutboundPolicy policy, HttpMessageHandler handler, Uri url, SharedParts shared, Func<string, bool>? owns, UpstreamLanes lanes)
    {
        var s = new ServiceCollection();
        s.AddSingleton(options);
        s.AddSingleton(deps.Time);
        s.AddSingleton(store);
        s.AddSingleton(decider);
        s.AddSingleton(policy);
        s.AddSingleton(new UpstreamUrls(options.Upstream, owns));
        s.AddSingleton(new GateUrl(url));
        s.AddSingleton(new GateAuth(options.Tokens));
        s.AddSingleton<CircuitBreaker>();
        s.AddSingleton(sp => new UpstreamClient(handler, options.Upstream, options.UpstreamTimeout, sp.GetRequiredService<CircuitBreaker>(), sp.GetRequiredService<UpstreamMetrics>()));
        s.AddSingleton(_ => new RegistryClient(handler, NpmConfig.ForRegistry(options.Upstream), cacheDirectory: null, deps.Time,
            new RegistryClientOptions { MaxRetries = 1, AttemptTimeout = options.UpstreamTimeout, MaxTarballBytes = options.MaxTarballBytes, MaxPackumentBytes = options.MaxPackumentBytes, UserAgent = "vouch-gate" }));
        s.AddSingleton(sp => new PackageVerifier(sp.GetRequiredService<RegistryClient>(), deps.Sigstore, deps.TrustedKeys, deps.TrustServedKeys));
        s.AddSingleton<PackumentCache>();
        s.AddSingleton<PackumentDiskStore>();
        // Shared by every upstream; disposed by the container of the default one (a factory registration is disposed, an instance is not).
        if (shared.Owner)
        {
            s.AddSingleton(_ => shared.Approvals);
            s.AddSingleton(_ => lanes);
        }
        else
        {
            s.AddSingleton(shared.Approvals);
            s.AddSingleton(lanes);
        }

        s.AddSingleton(shared.Refusals);

        // An instance registration: the host disposes the key, not any one container.
        s.AddSingleton(shared.Vsa);
        s.AddSingleton(shared.Reviews);
        s.AddSingleton(shared.Metrics);
        s.AddSingleton(new UpstreamMetrics(shared.Metrics, shared.Upstream));
        s.AddSingleton<PackumentService>();
        s.AddSingleton<TarballStore>();
        s.AddSingleton(shared.Decisions);
        s.AddSingleton<KeysCache>();

        // Issue 12: evidence keyed by the trust material's fingerprint, incomplete verifications retried with backoff.
        s.AddSingleton(_ => new EvidenceLedger(store, TrustFingerprint.Compute(deps.Sigstore.TrustedRoot, deps.TrustedKeys), deps.Time, options.VerificationRetryMin, options.VerificationRetryMax));
        s.AddSingleton<VersionVerifier>();
        s.AddSingleton<GateService>();
        if (shared.Owner)
        {
            // Issue 19: webhooks read the audit log as their outbox; one dispatcher per gate, not per upstream.
            s.AddSingleton(_ => new Notifications.WebhookDispatcher(store, options.Webhooks, deps.UpstreamHandler, options.DataDirectory, url, options.WebhookPollInterval, options.WebhookRetryMin, shared.Metrics, deps.Log));

            // Issue 20: publishing goes to the organisation's registry, once per gate, whatever the read routes are.
            Publish.PublishComposition.Add(s, options, deps, shared.PublishPolicy);
        }
        else
        {
            Publish.PublishComposition.Add(s, options with { Publish = null }, deps, Vouch.Policy.Publish.PublishPolicy.None);
        }
        s.AddSingleton<NpmRoutes>();
        s.AddSingleton<AdminApi>();
        s.AddSingleton(sp => new GateFront(sp.GetRequiredService<NpmRoutes>(), deps.Log, shared.Metrics, new JsonLog(deps.Log, options.AccessLog, deps.Time)));
        return s.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private static GateAdvisories? OpenAdvisories(GateOptions options, TimeProvider time)
    {
        if (options.AdvisoryDatabasePath is not { } path)
        {
            return null;
        }

        try
        {
            return GateAdvisories.Open(path, time);
        }
        catch (Vouch.Advisories.AdvisoryException e)
        {
            throw new GateConfigurationException([$"advisory-db: {e.Code}: {e.Message}"]);
        }
    }

    private static async Task<(Policy.PolicyDocument Policy, string Digest)> LoadPolicyAsync(GateOptions options, CancellationToken ct)
    {
        if (options.PolicyPath is not { } path)
        {
            return (Policy.PolicyDocument.Default, "default");
        }

        try
        {
            var policy = await Policy.PolicyLoader.LoadAsync(path, null, ct).ConfigureAwait(false);
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false)))[..16];
            return (policy, digest);
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
        _metrics?.Dispose();
        _vsa?.Dispose();
        await store.DisposeAsync().ConfigureAwait(false);
        _advisories?.Dispose();
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
