using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vouch.Sandbox.Registry;
using Vouch.Sandbox.Sigstore;
using Vouch.Common;

namespace Vouch.Sandbox;

/// <summary>How a <see cref="SandboxRegistry"/> runs.</summary>
public sealed record SandboxOptions
{
    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Where `trusted_root.json` and `registry-keys.json` are written; null: a fresh temporary directory, deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The registry's clock (publish times of `npm publish`, the base of relative scenario times). A scenario's `now:` shifts it.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// A loopback npm registry with its own Sigstore instance, serving one scenario: packuments (full
/// and abbreviated), tarballs, `/-/npm/v1/keys`, `dist.signatures`, attestations, and accepting
/// `npm publish`. Everything is generated once at start-up and served from memory.
/// </summary>
public sealed class SandboxRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RegistrySigning _signing;
    private readonly RegistryStore _store;
    private readonly RequestHandler _handler;
    private readonly string? _temporaryDirectory;

    private SandboxRegistry(WebApplication app, Uri url, RegistrySigning signing, RegistryStore store, RequestHandler handler, string dataDirectory, string? temporaryDirectory, Scenario scenario)
    {
        _app = app;
        Url = url;
        _signing = signing;
        _store = store;
        _handler = handler;
        _temporaryDirectory = temporaryDirectory;
        Scenario = scenario;
        DataDirectory = dataDirectory;
        TrustedRootJson = signing.Sigstore.TrustedRootJson();
        RegistryKeysJson = signing.KeysJson();
        TrustedRootPath = Path.Combine(dataDirectory, "trusted_root.json");
        RegistryKeysPath = Path.Combine(dataDirectory, "registry-keys.json");
    }

    /// <summary>`http://127.0.0.1:PORT/`.</summary>
    public Uri Url { get; }

    /// <summary>The scenario's OSV export for `vouch db update --from URL`; null when the scenario has no advisories.</summary>
    public Uri? AdvisorySnapshotUrl => _store.AdvisorySnapshot is null ? null : new Uri(Url, AdvisorySnapshot.Path);

    public Scenario Scenario { get; }

    public string DataDirectory { get; }

    /// <summary>The `trusted_root.json` describing exactly this instance's CA, CT log, transparency log and TSA.</summary>
    public string TrustedRootPath { get; }

    public string TrustedRootJson { get; }

    /// <summary>What `GET /-/npm/v1/keys` serves (also written to <see cref="RegistryKeysPath"/>).</summary>
    public string RegistryKeysJson { get; }

    public string RegistryKeysPath { get; }

    /// <summary>HTTP requests served so far (all paths).</summary>
    public int RequestCount => _handler.RequestCount;

    /// <summary>Versions accepted through `npm publish` so far.</summary>
    public int PublishCount => _handler.PublishCount;

    internal RegistryStore Store => _store;

    internal RegistrySigning Signing => _signing;

    /// <summary>Generates the scenario's content, binds 127.0.0.1 and serves it until disposed.</summary>
    public static async Task<SandboxRegistry> StartAsync(Scenario scenario, SandboxOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, nameof(options.Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, 65535, nameof(options.Port));

        var clock = scenario.Now is { } pinned ? new ShiftedTimeProvider(options.TimeProvider, pinned - options.TimeProvider.GetUtcNow()) : options.TimeProvider;
        var now = clock.GetUtcNow();
        var times = scenario.Packages.SelectMany(p => p.Versions.Select(v => (p.Name, v.Version, Time: v.Published.Resolve(now)))).ToList();
        var future = times.Where(t => t.Time > now + TimeSpan.FromMinutes(1)).Select(t => $"{scenario.SourceName}: {t.Name}@{t.Version} is published at {t.Time:u}, after the sandbox's now ({now:u})").ToList();
        if (future.Count > 0)
        {
            throw new ScenarioException(future);
        }

        string? temporary = null;
        var dataDirectory = options.DataDirectory;
        if (dataDirectory is null)
        {
            temporary = dataDirectory = Path.Combine(Path.GetTempPath(), "vouch-sandbox-" + Guid.NewGuid().ToString("N")[..12]);
        }

        Directory.CreateDirectory(dataDirectory);

        // Every validity window must cover the oldest publish time, when that version was logged.
        var earliest = times.Count == 0 ? now : times.Min(t => t.Time);
        var sigstore = SigstoreInstance.Create(new SigstoreInstanceOptions { ValidFrom = (earliest < now ? earliest : now) - TimeSpan.FromDays(1), EnableRekorV2 = false }, clock);
        var signing = new RegistrySigning(sigstore);
        var store = new RegistryStore();
        var handler = new RequestHandler(store, signing, clock);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = dataDirectory });
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestHandler.MaxPublishBytes);
        builder.Logging.ClearProviders();
        // A library server must not take over the process's Ctrl+C / SIGTERM handling (the host's
        // console lifetime would swallow them); whoever owns the process decides when to dispose.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        var app = builder.Build();
        app.Run(handler.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var address = app.Urls.First();
            var url = new Uri(address.EndsWith('/') ? address : address + "/");
            handler.BaseUrl = url;
            await Task.Run(() => ContentBuilder.Build(scenario, now, signing, store, url), cancellationToken).ConfigureAwait(false);
            store.AdvisorySnapshot = AdvisorySnapshot.Build(scenario, now);
            handler.Ready = true;

            var registry = new SandboxRegistry(app, url, signing, store, handler, dataDirectory, temporary, scenario);
            AtomicFile.WriteText(registry.TrustedRootPath, registry.TrustedRootJson);
            AtomicFile.WriteText(registry.RegistryKeysPath, registry.RegistryKeysJson);
            return registry;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            signing.Dispose();
            sigstore.Dispose();
            if (temporary is not null)
            {
                TryDelete(temporary);
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _signing.Dispose();
        _signing.Sigstore.Dispose();
        if (_temporaryDirectory is not null)
        {
            TryDelete(_temporaryDirectory);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temp directory left behind is harmless; failing a dispose over it is not.
        }
    }

    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The host clock moved by a fixed offset: a scenario's `now:` without freezing time.</summary>
    private sealed class ShiftedTimeProvider(TimeProvider inner, TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + offset;
    }
}
