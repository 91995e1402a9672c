namespace Vouch.TufConformance;

/// <summary>The suite's command line: global options, then the command word (and init's root file).</summary>
internal sealed class ConformanceArguments
{
    public const string Usage =
        "usage: vouch-tuf-conformance --metadata-dir DIR init ROOT_FILE\n" +
        "       vouch-tuf-conformance --metadata-dir DIR --metadata-url URL refresh\n" +
        "       vouch-tuf-conformance --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH...] --target-base-url URL --target-dir DIR download";

    private ConformanceArguments(string command, string metadataDirectory)
    {
        Command = command;
        MetadataDirectory = metadataDirectory;
    }

    public string Command { get; }

    public string MetadataDirectory { get; }

    public string? TrustedRootFile { get; private init; }

    public Uri? MetadataUrl { get; private init; }

    public IReadOnlyList<string> TargetNames { get; private init; } = [];

    public Uri? TargetBaseUrl { get; private init; }

    public string? TargetDirectory { get; private init; }

    public static bool TryParse(string[] args, out ConformanceArguments parsed, out string error)
    {
        parsed = null!;
        string? metadataDir = null, metadataUrl = null, targetBaseUrl = null, targetDir = null, command = null, rootFile = null;
        var targetNames = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (command is not null)
            {
                if (command == "init" && rootFile is null)
                {
                    rootFile = arg;
                    continue;
                }

                error = $"unexpected argument '{arg}' after the command";
                return false;
            }

            if (arg is "init" or "refresh" or "download")
            {
                command = arg;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unknown command '{arg}'";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{arg} needs a value";
                return false;
            }

            var value = args[++i];
            switch (arg)
            {
                case "--metadata-dir" when metadataDir is null:
                    metadataDir = value;
                    break;
                case "--metadata-url" when metadataUrl is null:
                    metadataUrl = value;
                    break;
                case "--target-base-url" when targetBaseUrl is null:
                    targetBaseUrl = value;
                    break;
                case "--target-dir" when targetDir is null:
                    targetDir = value;
                    break;
                case "--target-name":
                    targetNames.Add(value);
                    break;
                case "--metadata-dir" or "--metadata-url" or "--target-base-url" or "--target-dir":
                    error = $"{arg} given twice";
                    return false;
                default:
                    error = $"unknown option '{arg}'";
                    return false;
            }
        }

        error = command switch
        {
            null => "no command (init, refresh or download)",
            _ when string.IsNullOrEmpty(metadataDir) => "--metadata-dir is required",
            "init" when rootFile is null => "init needs the trusted root file",
            "refresh" or "download" when metadataUrl is null => $"{command} needs --metadata-url",
            "download" when targetNames.Count == 0 => "download needs at least one --target-name",
            "download" when targetBaseUrl is null || targetDir is null => "download needs --target-base-url and --target-dir",
            _ => string.Empty,
        };
        if (error.Length > 0)
        {
            return false;
        }

        if (!TryParseUrl(metadataUrl, "--metadata-url", out var metadataUri, out error) ||
            !TryParseUrl(targetBaseUrl, "--target-base-url", out var targetUri, out error))
        {
            return false;
        }

        parsed = new ConformanceArguments(command!, metadataDir!)
        {
            TrustedRootFile = rootFile,
            MetadataUrl = metadataUri,
            TargetNames = targetNames,
            TargetBaseUrl = targetUri,
            TargetDirectory = targetDir,
        };
        return true;
    }

    private static bool TryParseUrl(string? text, string option, out Uri? uri, out string error)
    {
        uri = null;
        error = string.Empty;
        if (text is null)
        {
            return true;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = $"{option} '{text}' is not an http(s) URL";
            return false;
        }

        return true;
    }
}
