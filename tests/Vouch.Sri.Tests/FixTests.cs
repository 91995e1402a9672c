using System.Text;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Sri.Tests;

/// <summary>`fix` against a loopback registry with signed, provenance-carrying tarballs built in memory.</summary>
public sealed class FixTests : IAsyncLifetime
{
    private const string PlayerJs = "customElements.define('lottie-player', class extends HTMLElement {});\n";
    private TestRegistry _registry = null!;
    private RegistryClient _client = null!;

    public async Task InitializeAsync()
    {
        _registry = await TestRegistry.StartAsync();
        _client = new RegistryClient(new SocketsHttpHandler(), NpmConfig.ForRegistry(_registry.Url), null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
        _registry.Publish(Player("2.0.4", PlayerJs));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _registry.DisposeAsync();
    }

    private static TestVersion Player(string version, string js, bool provenance = true) =>
        new("@lottiefiles/lottie-player", version, TestTarballs.Create(
            ("package/package.json", $"{{\"name\":\"@lottiefiles/lottie-player\",\"version\":\"{version}\",\"main\":\"dist/lottie-player.js\"}}"),
            ("package/dist/lottie-player.js", js))) { Provenance = provenance };

    private NpmCdnResolver Resolver(Func<PackageReport, Packument, SriPolicyDecision>? policy = null)
    {
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(_registry.TrustedRootJson));
        return new NpmCdnResolver(_client, new PackageVerifier(_client, new SigstoreVerifier(root), RegistryKeys.Empty("no trusted keys")), policy);
    }

    private async Task<DocumentFix> Fix(string html, string path = "page.html", Func<PackageReport, Packument, SriPolicyDecision>? policy = null) =>
        await SriFixer.FixAsync(SriScanner.Scan(path, SourceText.FromString(html)), Resolver(policy));

    private static string Sri(string js) => SriIntegrity.Compute(Encoding.UTF8.GetBytes(js));

    [Fact]
    public async Task Fix_WhenLatestHasProvenance_PinsAddsIntegrityOfTheTarballFileAndChangesNothingElse()
    {
        const string html = "<html>\n<head>\n  <script src=\"https://unpkg.com/@lottiefiles/lottie-player@latest/dist/lottie-player.js\" defer></script>\n</head>\n</html>\n";
        var fix = await Fix(html);
        var expected = $"<html>\n<head>\n  <script src=\"https://unpkg.com/@lottiefiles/lottie-player@2.0.4/dist/lottie-player.js\" defer integrity=\"{Sri(PlayerJs)}\" crossorigin=\"anonymous\"></script>\n</head>\n</html>\n";
        Assert.Equal(expected, fix.NewText);
        var tag = Assert.Single(fix.Tags);
        Assert.Equal(FixOutcome.Fixed, tag.Outcome);
        Assert.Equal("2.0.4", tag.Version);
        Assert.Equal(EvidenceStatus.Verified, tag.Tag.Cdn.IsNpm ? (await VerifiedProvenance()) : EvidenceStatus.Absent);
        Assert.Empty(SriScanner.Scan("page.html", SourceText.FromString(fix.NewText)).Findings);

        // The diff shows exactly one changed line.
        var diff = SriFiles.UnifiedDiff("page.html", html, fix.NewText);
        Assert.Contains("@@ -3,1 +3,1 @@", diff, StringComparison.Ordinal);
        Assert.Single(diff.Split('\n'), l => l.StartsWith('+') && !l.StartsWith("+++", StringComparison.Ordinal));
    }

    private async Task<EvidenceStatus> VerifiedProvenance()
    {
        var resolution = await Resolver().ResolveAsync(CdnUrl.Classify("https://unpkg.com/@lottiefiles/lottie-player@2.0.4/dist/lottie-player.js"));
        return resolution.Report!.Provenance.Status;
    }

    [Fact]
    public async Task Fix_WhenServedTarballIsTampered_RefusesAndLeavesTheFileAlone()
    {
        _registry.Publish(Player("2.0.4", PlayerJs) with { ServedTarball = Player("2.0.4", PlayerJs + "steal(document.cookie);\n").Tarball });
        const string html = "<script src=\"https://unpkg.com/@lottiefiles/lottie-player@latest/dist/lottie-player.js\"></script>";
        var fix = await Fix(html);
        Assert.Equal(html, fix.NewText);
        var tag = Assert.Single(fix.Tags);
        Assert.Equal(FixOutcome.Refused, tag.Outcome);
        Assert.Equal(SriCodes.FixVerificationFailed, tag.Code);
        Assert.Contains(ProvenanceCodes.IntegrityMismatch, tag.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_WhenProvenanceSignedByAnotherRepository_Refuses()
    {
        _registry.Publish(Player("2.0.4", PlayerJs) with { ProvenanceFromOtherRepository = true });
        var fix = await Fix("<script src=\"https://unpkg.com/@lottiefiles/lottie-player@latest/dist/lottie-player.js\"></script>");
        Assert.Equal(SriCodes.FixVerificationFailed, Assert.Single(fix.Tags).Code);
        Assert.Contains(ProvenanceCodes.ProvenanceIdentityMismatch, fix.Tags[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_WhenLatestLostProvenanceAndPolicyRequiresIt_RefusesWithPolicyDenied()
    {
        // The lottie-player attack: 2.0.5 published from a laptop, no provenance, tagged latest.
        _registry.Publish(Player("2.0.5", PlayerJs + "drain(wallet);\n", provenance: false));
        static SriPolicyDecision RequireProvenance(PackageReport r, Packument _) =>
            r.Provenance.Status == EvidenceStatus.Verified ? SriPolicyDecision.Allow : new SriPolicyDecision(false, ["require-provenance: no verified provenance"]);

        const string html = "<script src=\"https://unpkg.com/@lottiefiles/lottie-player@latest/dist/lottie-player.js\"></script>";
        var refused = await Fix(html, policy: RequireProvenance);
        Assert.Equal(html, refused.NewText);
        Assert.Equal(SriCodes.FixPolicyDenied, Assert.Single(refused.Tags).Code);
        Assert.Contains("2.0.5", refused.Tags[0].Message, StringComparison.Ordinal);
        Assert.Contains("require-provenance", refused.Tags[0].Message, StringComparison.Ordinal);

        // The exact good version is still pinnable under the same policy.
        var pinned = await Fix(html.Replace("@latest", "@2.0.4", StringComparison.Ordinal), policy: RequireProvenance);
        Assert.Equal(FixOutcome.Fixed, Assert.Single(pinned.Tags).Outcome);
        Assert.Contains(Sri(PlayerJs), pinned.NewText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_WhenRangeWithoutFile_PinsMaxSatisfyingAndTheDefaultFileFromPackageJson()
    {
        foreach (var (v, latest) in new[] { ("1.0.0", false), ("1.2.0", false), ("2.0.0", true) })
        {
            _registry.Publish(new TestVersion("widget", v, TestTarballs.Create(
                ("package/package.json", "{\"name\":\"widget\",\"main\":\"lib/index\"}"),
                ("package/lib/index.js", $"/* widget {v} */"))), latest);
        }

        var fix = await Fix("<link rel=stylesheet href='//cdn.jsdelivr.net/npm/widget@^1'>");
        var tag = Assert.Single(fix.Tags);
        Assert.Equal(FixOutcome.Fixed, tag.Outcome);
        Assert.Equal($"<link rel=stylesheet href='//cdn.jsdelivr.net/npm/widget@1.2.0/lib/index.js' integrity='{Sri("/* widget 1.2.0 */")}' crossorigin='anonymous'>", fix.NewText);
        Assert.Contains(tag.Notes, n => n.Contains("package.json \"main\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fix_WhenJsDelivrMinifiesOnTheFly_RefusesGeneratedFile()
    {
        var fix = await Fix("<script src=\"https://cdn.jsdelivr.net/npm/@lottiefiles/lottie-player@2.0.4/dist/lottie-player.min.js\"></script>");
        Assert.Equal(SriCodes.FixGeneratedFile, Assert.Single(fix.Tags).Code);
        fix = await Fix("<script src=\"https://cdn.jsdelivr.net/npm/@lottiefiles/lottie-player@2.0.4/dist/nope.js\"></script>");
        Assert.Equal(SriCodes.FixFileNotInPackage, Assert.Single(fix.Tags).Code);
        fix = await Fix("<script src=\"https://unpkg.com/not-published@1.0.0/x.js\"></script>");
        Assert.Equal(SriCodes.FixPackageNotFound, Assert.Single(fix.Tags).Code);
        fix = await Fix("<script src=\"https://cdn.polyfill.io/v3/polyfill.min.js\"></script><script src=\"https://example.com/a.js\"></script>");
        Assert.Equal([SriCodes.FixGeneratedFile, SriCodes.FixNotNpm], fix.Tags.Select(t => t.Code!).Order(StringComparer.Ordinal));
        Assert.False(fix.Changed);
    }

    [Fact]
    public async Task Fix_WhenAwkwardMarkup_EditsOnlyTheAttributeBytes()
    {
        var js = Sri(PlayerJs);
        const string html = "<!-- keep --><SCRIPT\r\n  SRC=//unpkg.com/@lottiefiles/lottie-player/dist/lottie-player.js\r\n  INTEGRITY=\"sha384-broken\"\r\n  CrossOrigin=use-credentials\r\n></SCRIPT>\t<p class=x>é</p>";
        var fix = await Fix(html);
        Assert.Equal(FixOutcome.Fixed, Assert.Single(fix.Tags).Outcome);
        Assert.Equal(html.Replace("lottie-player/dist", "lottie-player@2.0.4/dist", StringComparison.Ordinal).Replace("sha384-broken", js, StringComparison.Ordinal), fix.NewText);
    }

    [Fact]
    public async Task Fix_WhenIntegrityAlreadyMatches_KeepsItAndOnlyAddsCrossOrigin()
    {
        var html = $"<script src=\"https://unpkg.com/@lottiefiles/lottie-player@2.0.4/dist/lottie-player.js\" integrity=\"{Sri(PlayerJs)}\"></script>";
        var fix = await Fix(html);
        Assert.Equal(html.Replace("\"></script>", "\" crossorigin=\"anonymous\"></script>", StringComparison.Ordinal), fix.NewText);
    }

    [Fact]
    public async Task Fix_WhenRazorScopedPackage_KeepsRazorEscaping()
    {
        const string html = "<script src=\"https://unpkg.com/@@lottiefiles/lottie-player@latest/dist/lottie-player.js\"></script>";
        var fix = await Fix(html, "_Layout.cshtml");
        Assert.StartsWith("<script src=\"https://unpkg.com/@@lottiefiles/lottie-player@2.0.4/dist/lottie-player.js\" integrity=", fix.NewText, StringComparison.Ordinal);
    }
}
