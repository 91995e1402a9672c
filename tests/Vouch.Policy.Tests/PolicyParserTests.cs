using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Policy.Tests;

public sealed class PolicyParserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-policy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PolicyFormatException Bad(string yaml) =>
        Assert.Throws<PolicyFormatException>(() => PolicyLoader.Parse(yaml, "p.yml"));

    [Theory]
    [InlineData("version: 1\nrules:\n  provenanse: error\n", 3, 3, "a rule name")]
    [InlineData("version: 1\nrules:\n  provenance: fatal\n", 3, 15, "error, warn or off")]
    [InlineData("version: 2\n", 1, 10, "version: 1")]
    [InlineData("rules: {}\n", 1, 1, "version: 1 (missing)")]
    [InlineData("version: 1\nrule:\n  provenance: error\n", 2, 1, "one of the keys")]
    [InlineData("version: 1\nrules:\n  release-age:\n    severity: error\n    minimum: soon\n", 5, 14, "a duration")]
    [InlineData("version: 1\nrules:\n  provenance:\n    severity: error\n    packages: ['bad name']\n", 5, 16, "package-name glob")]
    [InlineData("version: 1\nallow:\n  - package: x\n    reason: because\n", 3, 5, "expires")]
    [InlineData("version: 1\nallow:\n  - package: x\n    expires: 2025-01-01\n", 3, 5, "reason")]
    [InlineData("version: 1\nallow:\n  - package: x\n    reason: r\n    expires: next week\n", 5, 14, "a date")]
    [InlineData("version: 1\ndeny:\n  - package: x\n    versions: 'not a range!'\n    reason: r\n    expires: 2025-01-01\n", 4, 15, "semver range")]
    [InlineData("version: 1\nrules:\n  source:\n    severity: error\n    allowed:\n      - packages: ['@a/*']\n", 6, 9, "at least one of repositories")]
    [InlineData("version: 1\nrules:\n  major-bump:\n    severity: error\n    require: [karma]\n", 5, 15, "provenance, trusted-publisher")]
    [InlineData("version: 1\nrules: [1, 2\n", 3, 1, "valid YAML")]
    [InlineData("version: 1\nrules: [1, 2\nallow: 3\n", 2, 9, "valid YAML")] // YamlDotNet throws InvalidOperationException here
    [InlineData("version: 1\nversion: 1\n", 2, 1, "valid YAML")]
    [InlineData("a: &x [1]\nb: *x\n", 2, 4, "aliases")]
    public void Parse_WhenInvalid_ReportsLineColumnAndExpectation(string yaml, int line, int column, string expected)
    {
        var e = Bad(yaml);
        Assert.Equal("p.yml", e.File);
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"p.yml:{line}:{column}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenEmpty_Fails()
    {
        Assert.Contains("empty", Bad("").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenValid_ReadsEveryRule()
    {
        var doc = PolicyLoader.Parse(File.ReadAllText(Path.Combine(DocsDir(), "examples", "organisation.vouch.policy.yml")), "org.yml");
        Assert.All(doc.RuleSeverities.Where(r => r.Rule is not ("new-dependency" or "reviews")), r => Assert.NotEqual(PolicySeverity.Off, r.Severity));
        Assert.NotEmpty(doc.Exceptions);
    }

    [Fact]
    public void Find_WhenPolicyInParentDirectory_ReturnsIt()
    {
        var nested = Directory.CreateDirectory(Path.Combine(_dir, "a", "b")).FullName;
        Assert.Null(PolicyLoader.Find(nested) is { } found && found.StartsWith(_dir, StringComparison.Ordinal) ? found : null);
        File.WriteAllText(Path.Combine(_dir, "vouch.policy.yml"), "version: 1\n");
        Assert.Equal(Path.Combine(_dir, "vouch.policy.yml"), PolicyLoader.Find(nested));
    }

    [Fact]
    public void Load_WhenExtends_ChildRulesReplaceBaseAndExceptionsAddUp()
    {
        File.WriteAllText(Path.Combine(_dir, "base.yml"), "version: 1\nrules:\n  provenance: error\n  signature: error\nallow:\n  - package: a\n    reason: base\n    expires: 2099-01-01\n");
        File.WriteAllText(Path.Combine(_dir, "child.yml"), "version: 1\nextends: base.yml\nrules:\n  signature: warn\nallow:\n  - package: b\n    reason: child\n    expires: 2099-01-01\n");

        var doc = PolicyLoader.Load(Path.Combine(_dir, "child.yml"));

        Assert.Equal(PolicySeverity.Error, doc.RuleSeverities.Single(r => r.Rule == "provenance").Severity);
        Assert.Equal(PolicySeverity.Warn, doc.RuleSeverities.Single(r => r.Rule == "signature").Severity);
        Assert.Equal(["b", "a"], doc.Exceptions.Select(e => e.Package));
        Assert.Equal(2, doc.Chain.Count);
    }

    [Fact]
    public void Load_WhenExtendsCycles_Fails()
    {
        File.WriteAllText(Path.Combine(_dir, "a.yml"), "version: 1\nextends: b.yml\n");
        File.WriteAllText(Path.Combine(_dir, "b.yml"), "version: 1\nextends: a.yml\n");
        var e = Assert.Throws<PolicyFormatException>(() => PolicyLoader.Load(Path.Combine(_dir, "a.yml")));
        Assert.Contains("cycle", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Load_WhenExtendsMissingOrBad_PointsAtTheRightFile()
    {
        File.WriteAllText(Path.Combine(_dir, "child.yml"), "version: 1\nextends: nope.yml\n");
        var missing = Assert.Throws<PolicyFormatException>(() => PolicyLoader.Load(Path.Combine(_dir, "child.yml")));
        Assert.EndsWith("child.yml", missing.File, StringComparison.Ordinal);
        Assert.Equal((2, 10), (missing.Line, missing.Column));

        File.WriteAllText(Path.Combine(_dir, "base.yml"), "version: 1\nrules:\n  nope: error\n");
        File.WriteAllText(Path.Combine(_dir, "child.yml"), "version: 1\nextends: base.yml\n");
        var bad = Assert.Throws<PolicyFormatException>(() => PolicyLoader.Load(Path.Combine(_dir, "child.yml")));
        Assert.EndsWith("base.yml", bad.File, StringComparison.Ordinal);
        Assert.Equal(3, bad.Line);
    }

    private sealed class StubHandler(string body, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            Assert.Null(request.RequestUri!.Fragment is { Length: > 0 } f ? f : null);
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body) });
        }
    }

    private static string Sha(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public async Task LoadAsync_WhenUrlPinnedAndMatching_Loads()
    {
        const string body = "version: 1\nrules:\n  provenance: error\n";
        using var handler = new StubHandler(body);
        var doc = await PolicyLoader.LoadAsync($"https://policies.example/org.yml#sha256={Sha(body)}", handler, CancellationToken.None);
        Assert.Equal(PolicySeverity.Error, doc.RuleSeverities.Single(r => r.Rule == "provenance").Severity);
    }

    [Fact]
    public async Task LoadAsync_WhenUrlContentChanged_Fails()
    {
        const string body = "version: 1\nrules:\n  provenance: off\n";
        using var handler = new StubHandler(body);
        var e = await Assert.ThrowsAsync<PolicyFormatException>(() => PolicyLoader.LoadAsync($"https://policies.example/org.yml#sha256={Sha("version: 1\n")}", handler, CancellationToken.None));
        Assert.Contains("sha256", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_WhenUrlNotPinned_FailsWithoutFetching()
    {
        using var handler = new StubHandler("version: 1\n");
        var e = await Assert.ThrowsAsync<PolicyFormatException>(() => PolicyLoader.LoadAsync("https://policies.example/org.yml", handler, CancellationToken.None));
        Assert.Contains("#sha256=", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task LoadAsync_WhenServerFails_ThrowsFetchException()
    {
        using var handler = new StubHandler("", HttpStatusCode.BadGateway);
        await Assert.ThrowsAsync<PolicyFetchException>(() => PolicyLoader.LoadAsync($"https://policies.example/org.yml#sha256={Sha("")}", handler, CancellationToken.None));
    }

    [Fact]
    public async Task LoadAsync_WhenFileExtendsPinnedUrl_MergesIt()
    {
        const string body = "version: 1\nrules:\n  provenance: error\n";
        File.WriteAllText(Path.Combine(_dir, "child.yml"), $"version: 1\nextends: https://policies.example/org.yml#sha256={Sha(body)}\nrules:\n  deprecated: warn\n");
        using var handler = new StubHandler(body);
        var doc = await PolicyLoader.LoadAsync(Path.Combine(_dir, "child.yml"), handler, CancellationToken.None);
        Assert.Equal(PolicySeverity.Error, doc.RuleSeverities.Single(r => r.Rule == "provenance").Severity);
        Assert.Equal(PolicySeverity.Warn, doc.RuleSeverities.Single(r => r.Rule == "deprecated").Severity);
    }

    internal static string DocsDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir!.FullName, "docs");
    }
}
