using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Tests.Registry;

/// <summary>Runs real package-manager clients (npm from PATH, pnpm and yarn from VOUCH_TOOLS_DIR or &lt;repo&gt;/.tools) isolated in a temp directory.</summary>
internal sealed class ClientWorkspace : IDisposable
{
    public ClientWorkspace()
    {
        Root = Path.Combine(Path.GetTempPath(), "vouch-sandbox-client-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        Project = Path.Combine(Root, "project");
        Directory.CreateDirectory(Project);
        UserConfig = Path.Combine(Root, "user.npmrc");
        File.WriteAllText(UserConfig, "");
    }

    public string Root { get; }

    public string Project { get; }

    public string UserConfig { get; }

    public string Cache => Path.Combine(Root, "cache");

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("repository root (Vouch.slnx) not found");
        }
    }

    /// <summary>A tool installed by scripts/install-tools: .tools/&lt;dir&gt;/node_modules/.bin/&lt;bin&gt;.</summary>
    public static string Tool(string dir, string bin)
    {
        var tools = Environment.GetEnvironmentVariable("VOUCH_TOOLS_DIR") is { Length: > 0 } t ? t : Path.Combine(RepoRoot, ".tools");
        var path = Path.Combine(tools, dir, "node_modules", ".bin", bin);
        Assert.True(File.Exists(path), $"{path} is missing: run scripts/install-tools (scripts/setup does)");
        return path;
    }

    public void WriteProject(IReadOnlyDictionary<string, string> dependencies, string name = "sandbox-try")
    {
        var deps = new JsonObject();
        foreach (var (k, v) in dependencies)
        {
            deps[k] = v;
        }

        File.WriteAllText(Path.Combine(Project, "package.json"), new JsonObject { ["name"] = name, ["version"] = "1.0.0", ["private"] = true, ["dependencies"] = deps }.ToJsonString());
    }

    public string InstalledVersion(string package) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Project, "node_modules", package, "package.json")))!["version"]!.GetValue<string>();

    public async Task<(int Exit, string Output)> RunAsync(string file, string arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory ?? Project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["npm_config_userconfig"] = UserConfig;
        start.Environment["npm_config_cache"] = Cache;
        start.Environment["npm_config_update_notifier"] = "false";
        start.Environment["npm_config_audit"] = "false";
        start.Environment["npm_config_fund"] = "false";
        start.Environment["HOME"] = Root;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Root, "xdg-config");
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(Root, "xdg-cache");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(Root, "xdg-data");
        start.Environment["COREPACK_ENABLE_STRICT"] = "0";
        start.Environment["YARN_ENABLE_TELEMETRY"] = "0";
        start.Environment["CI"] = "true";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {arguments} did not finish in time:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, $"{await stdout}\n{await stderr}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left-over temp files do not fail a test.
        }
    }
}
