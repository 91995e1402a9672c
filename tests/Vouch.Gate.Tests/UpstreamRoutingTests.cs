using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Gate.Upstream;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: two sandbox registries, each with its own Sigstore instance and registry keys. The
/// "public" one also publishes <c>@corp/secret-lib@99.0.0</c> (a dependency-confusion attempt: a
/// higher version of the private package, with good public provenance) and <c>@corp/ghost</c>,
/// which the private registry does not have. <c>@corp/*</c> is routed to the private registry.
/// </summary>
[Collection("clients")]
public class UpstreamRoutingTests
{
    private const string CorpToken = "corp-registry-token-0123456789";

    private const string PublicScenario = """
        name: public
        description: the public registry, with an attacker's packages in the corp scope
        packages:
          - name: public-lib
            repository: example/public-lib
            maintainers: [pub]
            versions:
              - version: 1.0.0
                published: -30d
                publisher: trusted-publisher
          - name: "@corp/secret-lib"
            repository: attacker/secret-lib
            maintainers: [attacker]
            versions:
              - version: 99.0.0
                published: -1d
                publisher: trusted-publisher
          - name: "@corp/ghost"
            repository: attacker/ghost
            maintainers: [attacker]
            versions:
              - version: 1.0.0
                published: -1d
                publisher: trusted-publisher
        """;

    private const string CorpScenario = """
        name: corp
        description: the organisation's own registry
        packages:
          - name: "@corp/secret-lib"
            repository: corp/secret-lib
            maintainers: [corp-release]
            versions:
              - version: 1.0.0
                published: -60d
                publisher: trusted-publisher
              - version: 1.1.0
                published: -20d
                publisher: trusted-publisher
        """;

    private sealed class Env : IAsyncDisposable
    {
        public required SandboxRegistry Public { get; init; }

        public required SandboxRegistry Corp { get; init; }

        public required GateHost Gate { get; init; }

        public required RecordingHandler Handler { get; init; }

        public required string Dir { get; init; }

        public async ValueTask DisposeAsync()
        {
            await Gate.DisposeAsync();
            await Public.DisposeAsync();
            await Corp.DisposeAsync();
            try
            {
                Directory.Delete(Dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Records which upstream got which Authorization header.</summary>
    internal sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        public System.Collections.Concurrent.ConcurrentQueue<(Uri Url, string? Auth)> Seen { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Enqueue((request.RequestUri!, request.Headers.Authorization?.ToString()));
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static UpstreamTrust Trust(SandboxRegistry s) => new(
        new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.Parse(Encoding.UTF8.GetBytes(s.TrustedRootJson))),
        RegistryKeys.Parse(Encoding.UTF8.GetBytes(s.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations());

    private static async Task<Env> StartAsync(bool corpTrust = true)
    {
        var pub = await SandboxRegistry.StartAsync(Scenario.Parse(PublicScenario, "public.yml"), new SandboxOptions());
        var corp = await SandboxRegistry.StartAsync(Scenario.Parse(CorpScenario, "corp.yml"), new SandboxOptions());
        var dir = Path.Combine(Path.GetTempPath(), "vouch-routes-" + Guid.NewGuid().ToString("n"));
        var handler = new RecordingHandler();
        var route = new UpstreamRoute { Name = "corp", Url = corp.Url, Patterns = [UpstreamPattern.TryParse("@corp/*", out _)!], AuthToken = CorpToken };
        var publicTrust = Trust(pub);
        var gate = await GateHost.StartAsync(
            new GateOptions { Upstream = pub.Url, Routes = [route], Listen = "127.0.0.1:0", Database = Path.Combine(dir, "gate.db"), DataDirectory = dir, Tokens = GateFixture.Tokens },
            new GateDependencies
            {
                UpstreamHandler = handler,
                Sigstore = publicTrust.Sigstore,
                TrustedKeys = publicTrust.Keys,
                RouteTrust = corpTrust ? new Dictionary<string, UpstreamTrust> { ["corp"] = Trust(corp) } : new Dictionary<string, UpstreamTrust>(),
            });
        return new Env { Public = pub, Corp = corp, Gate = gate, Handler = handler, Dir = dir };
    }

    private static string Project()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vouch-routes-client-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "package.json"), "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"private\":true}");
        return dir;
    }

    private static Task<(int Exit, string Output)> NpmAsync(Uri gate, string project, params string[] args) =>
        ClientProcess.RunAsync("npm", project, new Dictionary<string, string> { ["HOME"] = project }, [.. args, "--registry", gate.ToString(), "--cache", Path.Combine(project, ".npm-cache"), "--no-audit", "--no-fund", "--ignore-scripts", "--userconfig", Path.Combine(project, ".npmrc-none")]);

    private static string Installed(string project, string name) =>
        (string)JsonNode.Parse(File.ReadAllText(Path.Combine(project, "node_modules", name, "package.json")))!["version"]!;

    [Fact]
    public async Task Npm_WhenScopeIsRoutedToPrivateUpstream_InstallsPrivateVersionNeverThePublicShadow()
    {
        await using var env = await StartAsync();
        var project = Project();

        var routed = await NpmAsync(env.Gate.Url, project, "install", "@corp/secret-lib");
        Assert.True(routed.Exit == 0, routed.Output);
        Assert.Equal("1.1.0", Installed(project, "@corp/secret-lib"));

        var pub = await NpmAsync(env.Gate.Url, project, "install", "public-lib@1.0.0");
        Assert.True(pub.Exit == 0, pub.Output);
        Assert.Equal("1.0.0", Installed(project, "public-lib"));

        // The attacker's higher version is not even visible, and asking for it exactly fails.
        var exact = await NpmAsync(env.Gate.Url, project, "install", "@corp/secret-lib@99.0.0");
        Assert.NotEqual(0, exact.Exit);
        Assert.Equal("1.1.0", Installed(project, "@corp/secret-lib"));

        // Nothing under @corp was asked of the public registry; the token went to the corp registry only.
        var seen = env.Handler.Seen.ToList();
        Assert.DoesNotContain(seen, s => s.Url.Authority == env.Public.Url.Authority && s.Url.AbsoluteUri.Contains("corp", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(seen, s => s.Url.Authority == env.Corp.Url.Authority);
        Assert.All(seen.Where(s => s.Url.Authority == env.Corp.Url.Authority), s => Assert.Equal("Bearer " + CorpToken, s.Auth));
        Assert.All(seen.Where(s => s.Url.Authority == env.Public.Url.Authority), s => Assert.Null(s.Auth));
    }

    [Fact]
    public async Task Npm_WhenRoutedNameExistsOnlyOnPublicRegistry_IsRefusedWithConfusionCodeAndAudited()
    {
        await using var env = await StartAsync();
        var project = Project();

        var ghost = await NpmAsync(env.Gate.Url, project, "install", "@corp/ghost");
        Assert.NotEqual(0, ghost.Exit);
        Assert.Contains("404", ghost.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(project, "node_modules", "@corp", "ghost")));

        using var http = new HttpClient();
        // Every spelling the parser accepts reaches the same route: encoded slash, upper-case scope.
        foreach (var path in new[] { "@corp%2fghost", "@corp/ghost", "@CORP/ghost", "@corp/ghost/1.0.0", "@corp/ghost/-/ghost-1.0.0.tgz" })
        {
            using var r = await http.GetAsync(new Uri(env.Gate.Url, path));
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)r.StatusCode}");
            var body = await r.Content.ReadAsStringAsync();
            Assert.DoesNotContain("attacker", body, StringComparison.Ordinal);
            if (!path.Contains("/-/", StringComparison.Ordinal) && !path.EndsWith("1.0.0", StringComparison.Ordinal))
            {
                Assert.Equal(GateCodes.DependencyConfusion, (string)JsonNode.Parse(body)!["code"]!);
            }
        }

        Assert.DoesNotContain(env.Handler.Seen, s => s.Url.Authority == env.Public.Url.Authority && s.Url.AbsoluteUri.Contains("ghost", StringComparison.Ordinal));
        var audit = await env.Gate.Store.AuditLogAsync();
        Assert.Contains(audit, a => a.Action == "confusion" && a.Name == "@corp/ghost");
    }

    [Fact]
    public async Task Tarball_WhenRoutedUpstreamHasNoTrustMaterialOfItsOwn_IsNotServed()
    {
        // The corp registry signs with its own keys and Sigstore instance; verified against the public
        // registry's material its tarballs must not pass (shows the lane really uses its own trust).
        await using var env = await StartAsync(corpTrust: false);
        using var http = new HttpClient();
        using var r = await http.GetAsync(new Uri(env.Gate.Url, "@corp/secret-lib/-/secret-lib-1.1.0.tgz"));
        Assert.NotEqual(HttpStatusCode.OK, r.StatusCode);
    }

    [Theory]
    [InlineData("@corp/*", "@corp/x", true)]
    [InlineData("@corp/*", "@CORP/x", true)]
    [InlineData("@corp/*", "@corporate/x", false)]
    [InlineData("corp-*", "corp-utils", true)]
    [InlineData("corp-*", "corputils", false)]
    [InlineData("internal-lib", "internal-lib", true)]
    [InlineData("internal-lib", "internal-lib2", false)]
    public void Pattern_WhenMatchingName_FollowsScopePrefixOrExactRule(string pattern, string name, bool expected) =>
        Assert.Equal(expected, UpstreamPattern.TryParse(pattern, out _)!.Matches(name));

    [Theory]
    [InlineData("*")]
    [InlineData("@corp*")]
    [InlineData("@corp/")]
    [InlineData("a*b")]
    [InlineData("foo/bar")]
    [InlineData("@corp/x y")]
    public void Pattern_WhenMalformed_IsRefused(string pattern) =>
        Assert.Null(UpstreamPattern.TryParse(pattern, out _));

    [Fact]
    public void Validate_WhenRoutesOverlapOrSendTokenInClear_ListsEveryProblem()
    {
        UpstreamPattern P(string t) => UpstreamPattern.TryParse(t, out _)!;
        var options = new GateOptions
        {
            Upstream = new Uri("https://registry.npmjs.org/"),
            Database = "x.db",
            DataDirectory = "d",
            Routes =
            [
                new UpstreamRoute { Name = "a", Url = new Uri("https://a.example/"), Patterns = [P("@corp/*")] },
                new UpstreamRoute { Name = "b", Url = new Uri("http://b.example/"), Patterns = [P("@corp/special")], AuthToken = "t0ken-0123456789" },
                new UpstreamRoute { Name = "c", Url = new Uri("https://registry.npmjs.org/"), Patterns = [P("c-*")] },
            ],
        };
        var errors = options.Validate();
        Assert.Contains(errors, e => e.Contains("overlap", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("only sent over https", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("same URL as the default", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigFile_WhenFieldsAreMisspelledOrMissing_ListsEveryProblem()
    {
        var entries = UpstreamConfigFile.Parse("""{"upstreams":[{"name":"corp","url":"https://npm.corp.example/","packages":["@corp/*"],"token_env":"X"},{"url":1}]}"""u8, out var errors);
        Assert.Single(entries);
        Assert.Contains(errors, e => e.Contains("token_env: unknown field", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("upstreams[1].name: missing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("upstreams[1].url: not a string", StringComparison.Ordinal));
    }
}
