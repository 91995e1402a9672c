using System.Text;

namespace Vouch.Sri.Tests;

public sealed class CdnUrlTests
{
    [Theory]
    [InlineData("https://unpkg.com/react", CdnKind.Unpkg, "react", null, VersionSpecKind.None, null)]
    [InlineData("https://unpkg.com/react@latest/umd/react.js", CdnKind.Unpkg, "react", "latest", VersionSpecKind.Tag, "umd/react.js")]
    [InlineData("https://unpkg.com/react@18", CdnKind.Unpkg, "react", "18", VersionSpecKind.BareMajor, null)]
    [InlineData("https://unpkg.com/react@18.2/x.js", CdnKind.Unpkg, "react", "18.2", VersionSpecKind.Range, "x.js")]
    [InlineData("https://unpkg.com/react@%5E18.2.0/x.js", CdnKind.Unpkg, "react", "^18.2.0", VersionSpecKind.Range, "x.js")]
    [InlineData("https://unpkg.com/react@18.2.0/x.js?module", CdnKind.Unpkg, "react", "18.2.0", VersionSpecKind.Exact, "x.js")]
    [InlineData("https://unpkg.com/@scope/pkg@1.0.0-beta.1/dist/a.js", CdnKind.Unpkg, "@scope/pkg", "1.0.0-beta.1", VersionSpecKind.Exact, "dist/a.js")]
    [InlineData("https://unpkg.com/@scope/pkg", CdnKind.Unpkg, "@scope/pkg", null, VersionSpecKind.None, null)]
    [InlineData("https://cdn.jsdelivr.net/npm/vue@~3.4.0/dist/vue.js", CdnKind.JsDelivrNpm, "vue", "~3.4.0", VersionSpecKind.Range, "dist/vue.js")]
    [InlineData("https://fastly.jsdelivr.net/npm/vue@next", CdnKind.JsDelivrNpm, "vue", "next", VersionSpecKind.Tag, null)]
    [InlineData("https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js", CdnKind.JsDelivrNpm, "alpinejs", "3.x.x", VersionSpecKind.Range, "dist/cdn.min.js")]
    [InlineData("https://esm.sh/v135/preact@10.19.2/hooks", CdnKind.EsmSh, "preact", "10.19.2", VersionSpecKind.Exact, "hooks")]
    [InlineData("https://cdn.jsdelivr.net/gh/user/repo@v1.2.3/a.js", CdnKind.JsDelivrGitHub, "user/repo", "v1.2.3", VersionSpecKind.Exact, "a.js")]
    [InlineData("https://cdn.jsdelivr.net/gh/user/repo/a.js", CdnKind.JsDelivrGitHub, "user/repo", null, VersionSpecKind.None, "a.js")]
    [InlineData("https://cdnjs.cloudflare.com/ajax/libs/lodash.js/4.17.21/lodash.min.js", CdnKind.Cdnjs, "lodash.js", "4.17.21", VersionSpecKind.Exact, "lodash.min.js")]
    [InlineData("https://example.com/react@latest/x.js", CdnKind.Other, null, null, VersionSpecKind.None, null)]
    public void Classify_WhenCdnUrl_ExtractsPackageSpecAndFile(string url, CdnKind kind, string? package, string? spec, VersionSpecKind specKind, string? file)
    {
        var r = CdnUrl.Classify(url);
        Assert.Equal(kind, r.Kind);
        Assert.Equal(package, r.Package);
        Assert.Equal(spec, r.Spec);
        Assert.Equal(specKind, r.SpecKind);
        Assert.Equal(file, r.FilePath);
    }

    [Theory]
    [InlineData("https://polyfill.io/v3/polyfill.min.js")]
    [InlineData("https://cdn.polyfill.io/v3/polyfill.min.js?features=es6")]
    [InlineData("https://polyfill-fastly.io/v3/polyfill.min.js")]
    [InlineData("https://cdnjs.cloudflare.com/polyfill/v3/polyfill.min.js")]
    [InlineData("https://fonts.googleapis.com/css2?family=Inter")]
    [InlineData("https://cdn.skypack.dev/react")]
    public void Classify_WhenServiceGeneratesPerBrowser_IsPerBrowser(string url) => Assert.Equal(CdnKind.PerBrowser, CdnUrl.Classify(url).Kind);

    [Fact]
    public void WithVersionAndFile_WhenPinning_KeepsHostPrefixAndQuery()
    {
        var r = CdnUrl.Classify("https://cdn.jsdelivr.net/npm/@scope/pkg@^1/dist/x.js?v=1#h");
        Assert.Equal("https://cdn.jsdelivr.net/npm/@scope/pkg@1.4.2/dist/x.js?v=1#h", r.WithVersionAndFile("1.4.2", "dist/x.js"));
    }
}

public sealed class IntegrityTests
{
    [Fact]
    public void Compute_WhenW3cExample_MatchesTheRecommendation()
    {
        // The example of the W3C Subresource Integrity recommendation.
        Assert.Equal("sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO", SriIntegrity.Compute("alert('Hello, world.');"u8));
    }

    [Fact]
    public void Matches_WhenContentTampered_IsFalse()
    {
        var integrity = SriIntegrity.Parse("sha256-bogusbogusbogusbogusbogusbogusbogusbogusbog= " + SriIntegrity.Compute("alert('Hello, world.');"u8));
        Assert.True(integrity.Matches("alert('Hello, world.');"u8));
        Assert.False(integrity.Matches("alert('Hello, world!');"u8));
    }

    [Theory]
    [InlineData("sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO", true, false)]
    [InlineData("sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t-eX6xO?ct=application/javascript", true, false)]
    [InlineData("sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6x", false, false)]
    [InlineData("SHA384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO", false, false)]
    [InlineData("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=", false, true)]
    [InlineData("md5-1B2M2Y8AsgTpgAmY7PhCfg==", false, true)]
    [InlineData("sha512-@@@", false, false)]
    [InlineData("H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO", false, false)]
    public void Parse_WhenToken_ClassifiesAsBrowsersDo(string token, bool usable, bool weak)
    {
        var t = SriIntegrity.Parse(token).Tokens.Single();
        Assert.Equal(usable, t.IsUsable);
        Assert.Equal(weak, t.IsWeak);
        Assert.Equal(usable, t.Problem is null);
    }
}

public sealed class StartTagLexerTests
{
    [Fact]
    public void Read_WhenMixedQuotingAndNewlines_ReturnsSpansOfTheSource()
    {
        const string html = "x<SCRIPT async\n SRC = 'a b' data-x=\"q\" type=module/>";
        var tag = StartTagLexer.Read(html, 1)!;
        Assert.Equal(["async", "src", "data-x", "type"], tag.Attributes.Select(a => a.Name));
        var src = tag.Find("src")!;
        Assert.Equal("a b", html[src.ValueStart..src.ValueEnd]);
        Assert.Equal('\'', src.Quote);
        Assert.Equal("module/", html[tag.Find("type")!.ValueStart..tag.Find("type")!.ValueEnd]);
        Assert.Equal(html.Length, tag.End);
        Assert.Equal(html.Length - 1, tag.InsertAt);
    }

    [Fact]
    public void Read_WhenSelfClosingAfterQuotedValue_InsertsBeforeSlash()
    {
        const string html = "<link rel=stylesheet href=\"x.css\" />";
        var tag = StartTagLexer.Read(html, 0)!;
        Assert.Equal("<link rel=stylesheet href=\"x.css\"", html[..tag.InsertAt]);
    }

    [Fact]
    public void Read_WhenUnterminatedQuote_ReturnsNull() => Assert.Null(StartTagLexer.Read("<script src=\"x.js>", 0));
}

public sealed class TarballTests
{
    [Fact]
    public void ReadFile_WhenPackageTarball_StripsFirstComponentAndLaterEntryWins()
    {
        var tgz = TestTarballs.Create(("package/a.js", "one"), ("package/dir/b.js", "two"), ("package/a.js", "three"));
        var t = new PackageTarball(tgz);
        Assert.Equal(["a.js", "dir/b.js"], t.Paths.Order(StringComparer.Ordinal));
        Assert.Equal("three", Encoding.UTF8.GetString(t.ReadFile("a.js")!));
        Assert.Equal("two", Encoding.UTF8.GetString(t.ReadFile("./dir//b.js")!));
        Assert.Null(t.ReadFile("../package/a.js"));
        Assert.Null(t.ReadFile("missing.js"));
    }

    [Fact]
    public void ReadFile_WhenNotGzip_ThrowsInvalidData() =>
        Assert.Throws<InvalidDataException>(() => new PackageTarball("not a tarball"u8.ToArray()).ReadFile("a.js"));
}
