using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests.Publish;

/// <summary>
/// A real Verdaccio as the organisation's registry, on loopback, installed from the npm registry
/// into bench/gate-verdaccio the first time (as bench/gate-bench.sh does). Publishing needs a user:
/// the fixture creates the only one (max_users: 1) and keeps its token as the gate's credential, so
/// nothing but the gate can publish. When Verdaccio cannot be installed the tests say so and skip.
/// </summary>
public sealed class VerdaccioRegistry : IAsyncLifetime
{
    private Process? _process;
    private string? _dir;

    public Uri Url { get; private set; } = null!;

    /// <summary>The gate's credential for Verdaccio.</summary>
    public string Token { get; private set; } = "";

    /// <summary>Why Verdaccio is not available (the tests skip with it), or null.</summary>
    public string? Unavailable { get; private set; }

    public async Task InitializeAsync()
    {
        var root = RepoRoot();
        var bench = Path.Combine(root, "bench", "gate-verdaccio");
        var bin = Path.Combine(bench, "node_modules", ".bin", "verdaccio");
        if (!File.Exists(bin))
        {
            // The same pinned install as bench/gate-bench.sh (the mirror lacks node-fetch@cjs).
            int exit;
            string output;
            try
            {
                (exit, output) = await ClientProcess.RunAsync("npm", bench, null, "install", "--no-audit", "--no-fund");
            }
            catch (TimeoutException e)
            {
                // No registry reachable (an offline machine without scripts/install-tools run first): skip, saying why.
                (exit, output) = (-1, e.Message);
            }

            if (exit != 0 || !File.Exists(bin))
            {
                Unavailable = $"Verdaccio could not be installed into {bench} (npm install exited {exit}): {output[..Math.Min(400, output.Length)]}";
                return;
            }
        }

        _dir = Path.Combine(Path.GetTempPath(), "vouch-verdaccio-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_dir);
        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(_dir, "config.yaml"), $"""
            storage: {_dir}/storage
            auth:
              htpasswd:
                file: {_dir}/htpasswd
                max_users: 1
            packages:
              '@*/*':
                access: $all
                publish: $authenticated
              '**':
                access: $all
                publish: $authenticated
            log: {"{"} type: stdout, format: pretty, level: warn {"}"}
            """);
        var psi = new ProcessStartInfo(bin) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--config", Path.Combine(_dir, "config.yaml"), "--listen", $"127.0.0.1:{port}" })
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; ; i++)
        {
            try
            {
                if ((await http.GetAsync(new Uri(Url, "-/ping"))).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (i > 120 || _process.HasExited)
            {
                Unavailable = "Verdaccio did not start within 60 s";
                return;
            }

            await Task.Delay(500);
        }

        var created = await http.PutAsJsonAsync(new Uri(Url, "-/user/org.couchdb.user:vouch-gate"), new { name = "vouch-gate", password = "gate-password-0123456789" });
        Token = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["token"]!;
    }

    /// <summary>The versions Verdaccio has of a package (empty when it has none).</summary>
    public async Task<IReadOnlyList<string>> VersionsAsync(string name)
    {
        using var http = new HttpClient();
        var r = await http.GetAsync(new Uri(Url, name.Replace("/", "%2f", StringComparison.Ordinal)));
        if (r.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        r.EnsureSuccessStatusCode();
        var doc = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        return doc["versions"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<JsonNode?> VersionDocumentAsync(string name, string version)
    {
        using var http = new HttpClient();
        var r = await http.GetAsync(new Uri(Url, name.Replace("/", "%2f", StringComparison.Ordinal)));
        return r.IsSuccessStatusCode ? JsonNode.Parse(await r.Content.ReadAsStringAsync())!["versions"]![version] : null;
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (_dir is not null)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("repository root not found");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class VerdaccioCollection : ICollectionFixture<VerdaccioRegistry>
{
    public const string Name = "verdaccio";
}
