using System.Text;
using System.Text.Json.Nodes;
using Vouch.AuditBench;
using Vouch.Sandbox;

// `AuditBench serve --packages N --dir DIR [--seed S]`: serves a generated sandbox graph on loopback,
// writes DIR/project/package.json (its root dependencies), DIR/npm-cache/_tuf/... (a TUF root of a
// repository serving the sandbox's trusted root), DIR/ca.pem, and prints KEY=value lines for the
// benchmark script; then runs until stdin closes or it is terminated.
var packages = 2000;
var seed = 1;
string? dir = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "serve":
            break;
        case "--packages":
            packages = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--seed":
            seed = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--dir":
            dir = args[++i];
            break;
        default:
            Console.Error.WriteLine($"AuditBench: unknown argument {args[i]}");
            return 2;
    }
}

if (dir is null)
{
    Console.Error.WriteLine("usage: AuditBench serve --packages N --dir DIR [--seed S]");
    return 2;
}

dir = Path.GetFullPath(dir);
var scenario = Scenario.Generate(new GraphOptions { Packages = packages, Seed = seed });
await using var registry = await SandboxRegistry.StartAsync(scenario, new SandboxOptions { DataDirectory = Path.Combine(dir, "sandbox") });

var project = Directory.CreateDirectory(Path.Combine(dir, "project")).FullName;
var deps = new JsonObject();
foreach (var (name, range) in scenario.ProjectDependencies.OrderBy(d => d.Key, StringComparer.Ordinal))
{
    deps[name] = range;
}

File.WriteAllText(Path.Combine(project, "package.json"), new JsonObject { ["name"] = "audit-bench", ["version"] = "1.0.0", ["private"] = true, ["dependencies"] = deps }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

// npm's Sigstore TUF client (tuf-repo-cdn.sigstore.dev) gets a repository of our own: its root in
// npm's cache, and the repository itself behind a loopback proxy.
const string tufHost = "tuf-repo-cdn.sigstore.dev";
var tuf = new TufRepository(new Dictionary<string, byte[]> { ["trusted_root.json"] = Encoding.UTF8.GetBytes(registry.TrustedRootJson) }, DateTimeOffset.UtcNow);
var tufCache = Directory.CreateDirectory(Path.Combine(dir, "npm-cache", "_tuf", tufHost)).FullName;
File.WriteAllBytes(Path.Combine(tufCache, "root.json"), tuf.Root);
using var proxy = new TlsInterceptingProxy(tufHost, tuf.Files);
File.WriteAllText(Path.Combine(dir, "ca.pem"), proxy.CaPem);

Console.WriteLine($"REGISTRY={registry.Url.AbsoluteUri}");
Console.WriteLine($"TUF_PROXY={proxy.Url.AbsoluteUri}");
Console.WriteLine($"CA={Path.Combine(dir, "ca.pem")}");
Console.WriteLine($"PROJECT={project}");
Console.WriteLine($"NPM_CACHE={Path.Combine(dir, "npm-cache")}");
Console.WriteLine($"TRUSTED_ROOT={registry.TrustedRootPath}");
Console.WriteLine($"REGISTRY_KEYS={registry.RegistryKeysPath}");
Console.WriteLine($"PACKAGES={scenario.Packages.Count}");
Console.WriteLine($"VERSIONS={scenario.VersionCount}");
Console.WriteLine("READY");
Console.Out.Flush();

// Run until the script closes our stdin (or kills us).
await Console.In.ReadToEndAsync();
return 0;
