using Vouch.Tuf;

namespace Vouch.TufConformance;

/// <summary>
/// The tuf-conformance client protocol (suite/CLIENT-CLI.md): <c>init</c>, <c>refresh</c>, <c>download</c>.
/// Exit 0 when the command succeeded, 1 when a TUF step failed, 2 for a malformed command line.
/// Everything TUF happens in Vouch.Tuf; this file only maps arguments to its calls.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (!ConformanceArguments.TryParse(args, out var parsed, out var usageError))
        {
            await Console.Error.WriteLineAsync($"vouch-tuf-conformance: {usageError}").ConfigureAwait(false);
            await Console.Error.WriteLineAsync(ConformanceArguments.Usage).ConfigureAwait(false);
            return 2;
        }

        return parsed.Command switch
        {
            "init" => Init(parsed),
            "refresh" => await RefreshAsync(parsed).ConfigureAwait(false),
            _ => await DownloadAsync(parsed).ConfigureAwait(false),
        };
    }

    private static int Init(ConformanceArguments args)
    {
        byte[] root;
        try
        {
            root = File.ReadAllBytes(args.TrustedRootFile!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail($"cannot read {args.TrustedRootFile}: {e.Message}");
        }

        var result = TufClient.InitializeMetadataDirectory(args.MetadataDirectory, root);
        if (!result.IsSuccess)
        {
            return Fail(result.Error.ToString());
        }

        Console.WriteLine($"init: trusting root v{result.Value} in {args.MetadataDirectory}");
        return 0;
    }

    private static async Task<int> RefreshAsync(ConformanceArguments args)
    {
        using var client = CreateClient(args);
        var update = await client.UpdateAsync().ConfigureAwait(false);
        if (!update.IsSuccess)
        {
            return Fail(update.Error.ToString());
        }

        Console.WriteLine($"refresh: {update.Value}");
        return 0;
    }

    private static async Task<int> DownloadAsync(ConformanceArguments args)
    {
        using var client = CreateClient(args);
        var update = await client.UpdateAsync().ConfigureAwait(false);
        if (!update.IsSuccess)
        {
            return Fail(update.Error.ToString());
        }

        foreach (var target in args.TargetNames)
        {
            var fetched = await client.GetTargetAsync(target).ConfigureAwait(false);
            if (!fetched.IsSuccess)
            {
                return Fail($"target '{target}': {fetched.Error}");
            }

            Console.WriteLine($"download: '{target}' verified ({fetched.Value.Length} bytes)");
        }

        return 0;
    }

    private static TufClient CreateClient(ConformanceArguments args) => new(new TufClientOptions
    {
        MetadataBaseUrl = args.MetadataUrl!,
        MetadataDirectory = args.MetadataDirectory,
        TargetBaseUrl = args.TargetBaseUrl,
        TargetDirectory = args.TargetDirectory,
    });

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"vouch-tuf-conformance: {message}");
        return 1;
    }
}
