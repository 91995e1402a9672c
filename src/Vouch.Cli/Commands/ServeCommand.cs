using System.CommandLine;
using System.Globalization;
using Vouch.Cli.Composition;
using Vouch.Gate;
using Vouch.Npm;
using Vouch.Sigstore;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch serve`: the gate, an npm-compatible proxy that enforces policy for every client pointed at
/// it (docs/gate.md). Runs until interrupted, then lets in-flight requests finish.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var upstream = new Option<string?>("--upstream", "--registry") { Description = "The registry the gate proxies (default: https://registry.npmjs.org/)." };
        var policy = new Option<string?>("--policy") { Description = "Policy file; its digest versions every cached decision." };
        var listen = new Option<string>("--listen") { Description = "host:port to listen on (port 0: any free port).", DefaultValueFactory = _ => "127.0.0.1:4873" };
        var db = new Option<string?>("--db") { Description = "SQLite file path (default: <data-dir>/gate.db) or PostgreSQL connection string (Host=...;... or postgres://...)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where verified tarballs and upstream packuments are cached (default: <cache>/gate)." };
        var tokens = new Option<string?>("--tokens") { Description = "Tokens file: one 'role name secret' a line (roles: reader, approver, admin, publisher)." };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL clients reach the gate at (default: the listen address)." };
        var shared = new SharedOptions();
        var maxAge = new Option<int?>("--packument-max-age") { Description = "Seconds a packument is served from memory before it is revalidated upstream (default 60)." };
        var cacheMb = new Option<int?>("--packument-cache-mb") { Description = "Bound of the in-memory packument cache in MiB; least recently used packuments are dropped beyond it (default 256)." };
        var publishTo = new Option<string?>("--publish-to") { Description = "Accept npm publish from publisher tokens and forward accepted versions to this registry (the organisation's), with the gate's own credential." };
        var publishCredential = new Option<string?>("--publish-credential-file") { Description = "File holding the gate's token for --publish-to (default: $VOUCH_PUBLISH_TOKEN). Never on the command line." };
        var selfApproval = new Option<bool>("--allow-self-approval-unsafe") { Description = "Turn four eyes off: whoever requested an approval may grant it. Needs a token with the approver or admin role." };

        var command = new Command("serve", "Run the gate: an npm-compatible proxy that withholds versions failing policy, with approvals, audit log, verification API and dashboard.")
        {
            upstream, policy, listen, db, dataDir, tokens, publicUrl, shared.TrustedRoot, shared.RegistryKeys, maxAge, cacheMb, selfApproval, publishTo, publishCredential,
        };
        command.SetAction(async (parse, ct) =>
        {
            Uri upstreamUri = NpmConfig.PublicRegistry;
            if (parse.GetValue(upstream) is { } u && !NpmConfig.TryParseRegistryUrl(u, out upstreamUri!, out var upstreamError))
            {
                throw new UsageException($"--upstream: {upstreamError}");
            }

            Uri? publicUri = null;
            if (parse.GetValue(publicUrl) is { } p && (!Uri.TryCreate(p.EndsWith('/') ? p : p + "/", UriKind.Absolute, out publicUri) || publicUri.Scheme is not ("http" or "https")))
            {
                throw new UsageException($"--public-url: '{p}' is not an http(s) URL");
            }

            var data = Path.GetFullPath(parse.GetValue(dataDir) ?? Path.Combine(VouchPaths.CacheDirectory(), "gate"));
            var tokenList = new List<GateToken>();
            if (parse.GetValue(tokens) is { } tokensPath)
            {
                var text = ReadSmallFile(tokensPath, "--tokens");
                tokenList.AddRange(GateToken.ParseFile(text, out var errors));
                if (errors.Count > 0)
                {
                    throw new UsageException($"--tokens {tokensPath}: {string.Join("; ", errors)}");
                }
            }

            Vouch.Gate.Publish.GatePublishOptions? publish = null;
            if (parse.GetValue(publishTo) is { } target)
            {
                if (!NpmConfig.TryParseRegistryUrl(target, out var targetUri, out var targetError))
                {
                    throw new UsageException($"--publish-to: {targetError}");
                }

                var credential = parse.GetValue(publishCredential) is { } credentialPath
                    ? ReadSmallFile(credentialPath, "--publish-credential-file").Trim()
                    : Environment.GetEnvironmentVariable("VOUCH_PUBLISH_TOKEN")?.Trim();
                if (string.IsNullOrEmpty(credential))
                {
                    throw new UsageException("--publish-to: the gate's credential for it is missing: --publish-credential-file FILE or $VOUCH_PUBLISH_TOKEN");
                }

                publish = new Vouch.Gate.Publish.GatePublishOptions { Target = targetUri!, Credential = credential };
            }
            else if (parse.GetValue(publishCredential) is not null)
            {
                throw new UsageException("--publish-credential-file: only with --publish-to");
            }

            var options = new GateOptions
            {
                Upstream = upstreamUri,
                Listen = parse.GetValue(listen)!,
                PublicUrl = publicUri,
                Database = parse.GetValue(db) ?? Path.Combine(data, "gate.db"),
                DataDirectory = data,
                PolicyPath = parse.GetValue(policy),
                Tokens = tokenList,
                PackumentMaxAge = TimeSpan.FromSeconds(parse.GetValue(maxAge) ?? 60),
                PackumentCacheBytes = (parse.GetValue(cacheMb) ?? 256) * 1024L * 1024,
                AllowSelfApprovalUnsafe = parse.GetValue(selfApproval),
                Publish = publish,
            };
            var problems = options.Validate();
            if (problems.Count > 0)
            {
                throw new UsageException(string.Join("; ", problems));
            }

            var trust = VouchServices.LoadTrust(shared.Bind(parse));

            GateHost host;
            try
            {
                host = await GateHost.StartAsync(options, new GateDependencies
                {
                    UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                    Sigstore = trust.CreateSigstoreVerifier(),
                    TrustedKeys = trust.Keys,
                    Log = stderr,
                }, ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new UsageException($"cannot listen on {options.Listen}: {e.Message}");
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
            {
                await stderr.WriteLineAsync($"vouch: the database failed: {e.Message}").ConfigureAwait(false);
                return ExitCodes.NetworkFailed;
            }

            await using (host.ConfigureAwait(false))
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"vouch gate listening on {host.Url} (upstream {upstreamUri}, {options.DatabaseProvider.ToString().ToLowerInvariant()} database, policy {options.PolicyPath ?? "built-in"}, trusted root: {trust.RootSource}, {tokenList.Count} tokens{(publish is null ? "" : $", publishing to {publish.Target}")})")).ConfigureAwait(false);
                await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                // Handle SIGINT/SIGTERM here so the graceful stop is not cut short by the parser's own termination timeout.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
                using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
                void Stop(System.Runtime.InteropServices.PosixSignalContext context)
                {
                    context.Cancel = true;
                    stop.Cancel();
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Interrupted: shut down gracefully below.
                }

                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await stdout.WriteLineAsync("vouch gate stopped").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string ReadSmallFile(string path, string option)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new UsageException($"{option}: '{path}' does not exist");
            }

            if (info.Length > Limits.MaxConfigFileBytes)
            {
                throw new UsageException($"{option}: '{path}' is larger than {Limits.MaxConfigFileBytes} bytes");
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }
}
