using System.CommandLine;
using System.Text.Json;
using Vouch.Cli.Composition;
using Vouch.Tuf;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch trust update|show`: refresh Sigstore's trust material (trusted root, npm registry keys)
/// through TUF, bootstrapped from the embedded root, and say which material commands will use.
/// </summary>
internal static class TrustCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var tufUrl = new Option<string?>("--tuf-url") { Description = "TUF repository to update from (default: Sigstore's public-good repository)." };
        var cacheDir = new SharedOptions().CacheDir;
        var json = new Option<bool>("--json") { Description = "Print the status as JSON." };

        var update = new Command("update", "Refresh the trusted root and npm registry keys through TUF.") { tufUrl, cacheDir, json };
        update.SetAction(async (parse, ct) =>
        {
            var updater = new SigstoreTrustUpdater(Options(parse.GetValue(tufUrl), parse.GetValue(cacheDir)));
            var result = await updater.UpdateAsync(ct).ConfigureAwait(false);
            Print(stdout, result.Status, parse.GetValue(json));
            if (result.IsSuccess)
            {
                return ExitCodes.Ok;
            }

            stderr.WriteLine($"vouch: {result.Error!.Code}: {result.Error.Message}");
            return result.Error.Code is TufErrorCodes.Network or TufErrorCodes.NotFound ? ExitCodes.NetworkFailed : ExitCodes.CheckFailed;
        });

        var show = new Command("show", "Show which trust material is in use, where it came from and until when it is fresh.") { tufUrl, cacheDir, json };
        show.SetAction(async (parse, ct) =>
        {
            var updater = new SigstoreTrustUpdater(Options(parse.GetValue(tufUrl), parse.GetValue(cacheDir)));
            var status = await updater.GetStatusAsync(ct).ConfigureAwait(false);
            Print(stdout, status, parse.GetValue(json));
            return ExitCodes.Ok;
        });

        return new Command("trust", "Keep Sigstore trust material fresh (TUF).") { update, show };
    }

    internal static SigstoreTrustOptions Options(string? url, string? cacheDir)
    {
        Uri? repository = null;
        if (url is not null && (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out repository) || repository.Scheme is not ("https" or "http")))
        {
            throw new UsageException($"--tuf-url '{url}' is not an http(s) URL");
        }

        return new SigstoreTrustOptions
        {
            CacheDirectory = VouchPaths.CacheDirectory(cacheDir),
            RepositoryUrl = repository ?? SigstoreTrustUpdater.PublicGoodRepository,
        };
    }

    private static void Print(TextWriter stdout, TrustStatus status, bool json)
    {
        if (json)
        {
            var doc = new
            {
                repository = status.Repository.ToString(),
                cacheDirectory = status.CacheDirectory,
                metadata = status.Metadata is { } m ? new { rootVersion = m.RootVersion, timestampVersion = m.TimestampVersion, freshUntil = m.FreshUntil } : null,
                cacheProblem = status.CacheProblem is { } p ? new { code = p.Code, message = p.Message } : null,
                materials = status.Materials.Select(x => new
                {
                    target = x.TargetPath,
                    source = x.Source.ToString().ToLowerInvariant(),
                    sha256 = x.Sha256,
                    cachedAt = x.CachedAt,
                    freshUntil = x.FreshUntil,
                    reason = x.Reason,
                }),
            };
            stdout.WriteLine(JsonSerializer.Serialize(doc, CliJson.Options));
            return;
        }

        stdout.WriteLine($"TUF repository: {status.Repository}");
        stdout.WriteLine($"cache:          {status.CacheDirectory}");
        if (status.Metadata is { } meta)
        {
            stdout.WriteLine($"metadata:       root v{meta.RootVersion}, timestamp v{meta.TimestampVersion}, fresh until {meta.FreshUntil:u}");
        }

        foreach (var m in status.Materials)
        {
            var source = m.Source switch
            {
                TrustMaterialSource.Cache => "cached (TUF-verified)",
                TrustMaterialSource.Embedded => "embedded snapshot",
                _ => "unavailable",
            };
            stdout.WriteLine($"{m.TargetPath}: {source}{(m.Sha256 is null ? "" : $", sha256 {m.Sha256[..16]}…")} — {m.Reason}");
        }
    }
}
