using System.Diagnostics;

namespace Vouch.Gate.Tests;

/// <summary>Runs a package-manager client (npm, pnpm, yarn) in a directory, bounded in time, with its output captured.</summary>
internal static class ClientProcess
{
    public static string ToolsDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("VOUCH_TOOLS_DIR");
            if (!string.IsNullOrEmpty(env))
            {
                return env;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
                {
                    return Path.Combine(dir.FullName, ".tools");
                }
            }

            throw new DirectoryNotFoundException("repository root not found");
        }
    }

    /// <summary>The client binary: npm from PATH; others from .tools (scripts/install-tools), failing clearly when missing.</summary>
    public static string Tool(string dir, string bin)
    {
        var path = Path.Combine(ToolsDir, dir, "node_modules", ".bin", bin);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/install-tools");
        return path;
    }

    public static async Task<(int Exit, string Output)> RunAsync(string file, string workingDirectory, IDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Clients must not pick up the machine's registry configuration or tokens.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("npm_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("NPM_CONFIG", StringComparison.OrdinalIgnoreCase) || k.StartsWith("YARN_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(key);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
