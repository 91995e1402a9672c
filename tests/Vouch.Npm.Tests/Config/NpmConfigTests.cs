using Vouch.Npm.Tests.Infrastructure;

namespace Vouch.Npm.Tests.Config;

public sealed class NpmConfigTests : IDisposable
{
    private const string Secret = "npm_TopSecretTokenValue123";
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Home => _temp.Combine("home");

    private string Project => _temp.Combine("work", "project");

    private string Dir(params string[] parts)
    {
        var path = _temp.Combine(parts);
        Directory.CreateDirectory(path);
        return path;
    }

    private NpmConfig Load(string? cwd = null, Dictionary<string, string>? env = null, Uri? registryOverride = null) =>
        NpmConfig.Load(new NpmConfigOptions
        {
            WorkingDirectory = cwd ?? Project,
            HomeDirectory = Home,
            Environment = env ?? [],
            RegistryOverride = registryOverride,
        });

    private void WriteProject(string npmrc)
    {
        Dir("work", "project");
        File.WriteAllText(Path.Combine(Project, "package.json"), "{}");
        File.WriteAllText(Path.Combine(Project, ".npmrc"), npmrc);
    }

    private void WriteUser(string npmrc)
    {
        Dir("home");
        File.WriteAllText(Path.Combine(Home, ".npmrc"), npmrc);
    }

    [Fact]
    public void Load_WhenNothingConfigured_UsesPublicRegistry()
    {
        Dir("work", "project");
        var config = Load();
        Assert.Equal(NpmConfig.PublicRegistry, config.Registry);
        Assert.Equal(NpmConfig.PublicRegistry, config.GetRegistryFor("@any/thing"));
        Assert.Empty(config.Credentials);
    }

    [Fact]
    public void Load_WhenProjectAndUserBothSetRegistry_ProjectWins()
    {
        WriteUser("registry=https://user.example/\n@corp:registry=https://corp-user.example/\n");
        WriteProject("registry = https://project.example/npm\n");
        var config = Load();
        Assert.Equal(new Uri("https://project.example/npm/"), config.Registry);
        Assert.Equal(new Uri("https://corp-user.example/"), config.GetRegistryFor("@corp/lib"));
        Assert.Equal(2, config.Sources.Count);
    }

    [Fact]
    public void Load_WhenRunInSubdirectory_WalksUpToProjectRoot()
    {
        WriteProject("registry=https://project.example/\n");
        var deep = Dir("work", "project", "src", "deep");
        Assert.Equal(new Uri("https://project.example/"), Load(cwd: deep).Registry);
    }

    [Fact]
    public void Load_WhenNpmConfigEnvironmentSet_OverridesFilesCaseInsensitively()
    {
        WriteProject("registry=https://project.example/\n");
        var env = new Dictionary<string, string>
        {
            ["NPM_CONFIG_REGISTRY"] = "https://env.example/",
            ["npm_config_@corp:registry"] = "https://corp-env.example/",
        };
        var config = Load(env: env);
        Assert.Equal(new Uri("https://env.example/"), config.Registry);
        Assert.Equal(new Uri("https://corp-env.example/"), config.GetRegistryFor("@corp/x"));
    }

    [Fact]
    public void Load_WhenUserConfigEnvironmentSet_ReadsThatFile()
    {
        var other = Dir("elsewhere");
        File.WriteAllText(Path.Combine(other, "npmrc"), "registry=https://alt-user.example/\n");
        Dir("work", "project");
        var config = Load(env: new() { ["NPM_CONFIG_USERCONFIG"] = Path.Combine(other, "npmrc") });
        Assert.Equal(new Uri("https://alt-user.example/"), config.Registry);
    }

    [Fact]
    public void Load_WhenRegistryOverrideGiven_WinsEverywhere()
    {
        WriteProject("registry=https://project.example/\n@corp:registry=https://corp.example/\n");
        var config = Load(env: new() { ["npm_config_registry"] = "https://env.example/" }, registryOverride: new Uri("http://127.0.0.1:4873"));
        Assert.Equal(new Uri("http://127.0.0.1:4873/"), config.Registry);
        Assert.Equal(new Uri("http://127.0.0.1:4873/"), config.GetRegistryFor("@corp/x"));
        Assert.Equal(new Uri("http://127.0.0.1:4873/"), config.RegistryOverride);
    }

    [Fact]
    public void Load_WhenTokenUsesEnvironmentVariable_ExpandsIt()
    {
        WriteProject("//registry.example.com/:_authToken=${NPM_TOKEN}\n");
        var config = Load(env: new() { ["NPM_TOKEN"] = Secret });
        var credential = Assert.Single(config.Credentials);
        Assert.Equal("Bearer " + Secret, credential.ToAuthorizationHeader().ToString());
        Assert.Equal("//registry.example.com/", credential.Prefix);
    }

    [Fact]
    public void Load_WhenEnvironmentVariableMissing_LeavesTextAndWarns()
    {
        WriteProject("//registry.example.com/:_authToken=${NPM_TOKEN}\nregistry=${MISSING?}https://x.example/\n");
        var config = Load();
        Assert.Equal("Bearer ${NPM_TOKEN}", Assert.Single(config.Credentials).ToAuthorizationHeader().ToString());
        Assert.Contains(config.Warnings, w => w.Contains("NPM_TOKEN is not set", StringComparison.Ordinal));
        Assert.Equal(new Uri("https://x.example/"), config.Registry);
    }

    [Theory]
    [InlineData("https://registry.example.com/lodash", true)]
    [InlineData("http://registry.example.com/lodash", true)]
    [InlineData("https://REGISTRY.example.com/-/npm/v1/keys", true)]
    [InlineData("https://registry.example.com:8443/lodash", false)]
    [InlineData("https://evil.example/lodash", false)]
    [InlineData("https://registry.example.com.evil.example/lodash", false)]
    [InlineData("https://evil.example/registry.example.com/lodash", false)]
    public void GetCredentialFor_WhenUrlOnConfiguredHost_ReturnsToken(string url, bool expected)
    {
        WriteProject($"//registry.example.com/:_authToken={Secret}\n");
        Assert.Equal(expected, Load().GetCredentialFor(new Uri(url)) is not null);
    }

    [Theory]
    [InlineData("https://host.example:8443/npm/private/pkg", "//host.example:8443/npm/private/")]
    [InlineData("https://host.example:8443/npm/pkg", "//host.example:8443/npm/")]
    [InlineData("https://host.example:8443/npmx/pkg", null)]
    [InlineData("https://host.example/npm/pkg", null)]
    public void GetCredentialFor_WhenPrefixesNest_PicksLongestMatchOnPathBoundary(string url, string? expectedPrefix)
    {
        WriteProject("//host.example:8443/npm/:_authToken=outer\n//host.example:8443/npm/private/:_authToken=inner\n");
        Assert.Equal(expectedPrefix, Load().GetCredentialFor(new Uri(url))?.Prefix);
    }

    [Fact]
    public void Load_WhenBasicAuthConfigured_BuildsBasicHeader()
    {
        var password = Convert.ToBase64String("p@ss"u8);
        WriteProject($"//a.example/:username=alice\n//a.example/:_password=\"{password}\"\n//b.example/:_auth=YWxpY2U6cEBzcw==\n");
        var config = Load();
        Assert.Equal("Basic YWxpY2U6cEBzcw==", config.GetCredentialFor(new Uri("https://a.example/x"))!.ToAuthorizationHeader().ToString());
        Assert.Equal("Basic YWxpY2U6cEBzcw==", config.GetCredentialFor(new Uri("https://b.example/x"))!.ToAuthorizationHeader().ToString());
        Assert.All(config.Credentials, c => Assert.Equal(RegistryCredentialKind.Basic, c.Kind));
    }

    [Fact]
    public void Load_WhenUnscopedTokenConfigured_IgnoresItAndWarns()
    {
        WriteProject($"_authToken={Secret}\n");
        var config = Load();
        Assert.Empty(config.Credentials);
        Assert.Contains(config.Warnings, w => w.Contains("must be scoped", StringComparison.Ordinal));
        Assert.DoesNotContain(config.Warnings, w => w.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public void ToString_WhenCredentialsPresent_RedactsThem()
    {
        WriteProject($"registry=https://r.example/\n@corp:registry=https://corp.example/\n//r.example/:_authToken={Secret}\n//corp.example/:_auth=c2VjcmV0OnZhbHVl\n");
        var config = Load();
        var text = config.ToString();
        Assert.Contains("@corp:registry=https://corp.example/", text, StringComparison.Ordinal);
        Assert.Contains("redacted", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0OnZhbHVl", text, StringComparison.Ordinal);
        Assert.All(config.Credentials, c => Assert.DoesNotContain(Secret, c.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Load_WhenIniHasCommentsQuotesAndSections_ReadsLikeNpm()
    {
        WriteProject("""
            ; a comment
            # another comment
            registry = "https://quoted.example/"
            @a:registry='https://single.example/'
            @b:registry=https://inline.example/ ; trailing comment
            [section]
            @c:registry=https://ignored.example/
            """);
        var config = Load();
        Assert.Equal(new Uri("https://quoted.example/"), config.Registry);
        Assert.Equal(new Uri("https://single.example/"), config.GetRegistryFor("@a/x"));
        Assert.Equal(new Uri("https://inline.example/"), config.GetRegistryFor("@b/x"));
        Assert.Equal(config.Registry, config.GetRegistryFor("@c/x"));
    }

    [Fact]
    public void Load_WhenRegistryIsNotHttp_IgnoresItWithWarning()
    {
        WriteProject("registry=ftp://files.example/\n");
        var config = Load();
        Assert.Equal(NpmConfig.PublicRegistry, config.Registry);
        Assert.Single(config.Warnings);
    }

    [Theory]
    [InlineData("https://r.example", true)]
    [InlineData("http://127.0.0.1:4873/sub", true)]
    [InlineData("r.example", false)]
    [InlineData("file:///tmp/x", false)]
    [InlineData("https://user:pw@r.example/", false)]
    [InlineData("https://r.example/?q=1", false)]
    public void TryParseRegistryUrl_WhenGiven_AcceptsOnlyPlainHttpUrls(string text, bool ok)
    {
        Assert.Equal(ok, NpmConfig.TryParseRegistryUrl(text, out var uri, out var error));
        if (ok)
        {
            Assert.EndsWith("/", uri!.AbsoluteUri, StringComparison.Ordinal);
        }
        else
        {
            Assert.False(string.IsNullOrEmpty(error));
        }
    }
}
