using System.Text;

namespace Vouch.Sri.Tests;

public sealed class ScannerTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    private static DocumentScan ScanFixture(string name) => SriScanner.Scan(Fixture(name), SourceText.Decode(File.ReadAllBytes(Fixture(name))));

    private static DocumentScan ScanText(string html, string path = "page.html", SriScanOptions? options = null) => SriScanner.Scan(path, SourceText.FromString(html), options);

    private static List<string> Codes(DocumentScan scan, string? urlContains = null) =>
        [.. scan.Findings.Where(f => urlContains is null || (f.Url ?? "").Contains(urlContains, StringComparison.Ordinal)).Select(f => f.Code).Order(StringComparer.Ordinal)];

    [Fact]
    public void Scan_WhenLottiePlayerAtLatestWithoutIntegrity_ReportsUnpinnedMissingIntegrityAndCrossOriginAtTheUrl()
    {
        var scan = ScanFixture("lottie.html");
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity, SriCodes.UnpinnedCdnUrl], Codes(scan));
        var unpinned = scan.Findings.Single(f => f.Code == SriCodes.UnpinnedCdnUrl);
        Assert.Equal(SriLevel.Error, unpinned.Level);
        Assert.Equal(5, unpinned.Line);
        Assert.Equal(16, unpinned.Column); // the first character of the src value
        Assert.Contains("@lottiefiles/lottie-player", unpinned.Message, StringComparison.Ordinal);
        Assert.Contains("latest", unpinned.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_WhenEverythingPinnedWithIntegrityOrSameOrigin_ReportsNothing()
    {
        var scan = ScanFixture("clean.html");
        Assert.Empty(scan.Findings);
        Assert.Equal(2, scan.Tags.Count(t => t.IsCrossOrigin));
    }

    [Fact]
    public void Scan_WhenCleanPageTamperedOneByOne_EachTamperIsFound()
    {
        var clean = File.ReadAllText(Fixture("clean.html"));
        Assert.Equal([SriCodes.MissingCrossOrigin], Codes(ScanText(clean.Replace(" crossorigin=\"anonymous\">", ">", StringComparison.Ordinal)), "bootstrap"));
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity], Codes(ScanText(clean.Replace(" integrity=\"sha384-QWTK", " data-x=\"", StringComparison.Ordinal).Replace("\" crossorigin=\"anonymous\">\n<script src=\"/js", "\">\n<script src=\"/js", StringComparison.Ordinal)), "bootstrap"));
        Assert.Equal([SriCodes.UnpinnedCdnUrl], Codes(ScanText(clean.Replace("bootstrap@5.3.3", "bootstrap@5", StringComparison.Ordinal)), "bootstrap"));
        Assert.Equal([SriCodes.MalformedIntegrity], Codes(ScanText(clean.Replace("sha384-QWTK", "sha384-QWT", StringComparison.Ordinal)), "bootstrap"));
        Assert.Equal([SriCodes.InsecureUrl], Codes(ScanText(clean.Replace("https://cdnjs", "http://cdnjs", StringComparison.Ordinal)), "cdnjs"));
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity], Codes(ScanText(clean.Replace("src=\"/js/app.js\"", "src=\"https://evil.example/app.js\"", StringComparison.Ordinal)), "evil"));
    }

    [Fact]
    public void Scan_WhenAwkwardMarkup_FindsExactlyTheRealElementsWithSourcePositions()
    {
        var scan = ScanFixture("awkward.html");
        var urls = scan.Tags.Where(t => t.IsCrossOrigin).Select(t => t.Url).ToList();

        // Text inside <title>, <textarea> and comments is not markup; a non-JS script type is not fetched; font preloads carry no SRI.
        Assert.DoesNotContain(urls, u => u!.Contains("not-a-tag", StringComparison.Ordinal) || u.Contains("commented-out", StringComparison.Ordinal)
            || u.Contains("in-textarea", StringComparison.Ordinal) || u.Contains("ignored", StringComparison.Ordinal) || u.Contains("woff2", StringComparison.Ordinal));

        // Uppercase tags and attribute names, unquoted values across CRLF lines.
        var react = scan.Tags.Single(t => t.Url == "https://unpkg.com/react@18/umd/react.production.min.js");
        Assert.Equal(VersionSpecKind.BareMajor, react.Cdn.SpecKind);
        Assert.Equal((4, 8), (react.Line, react.Column));
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity, SriCodes.UnpinnedCdnUrl], Codes(scan, "react@18"));

        // Protocol-relative, single quotes, rel token list in any case, self-closing.
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity, SriCodes.UnpinnedCdnUrl], Codes(scan, "normalize.css@^8"));

        // Duplicate attribute: the first wins, as in the browser.
        Assert.Contains(urls, u => u == "https://unpkg.com/first@1.0.0/a.js");
        Assert.DoesNotContain(urls, u => u!.Contains("second", StringComparison.Ordinal));

        // A script inside a table, a <template> and <noscript> still count.
        Assert.Equal([SriCodes.InsecureUrl, SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity], Codes(scan, "code.jquery.com"));
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity, SriCodes.PerBrowserService, SriCodes.UnpinnedCdnUrl], Codes(scan, "esm.sh"));
        Assert.Equal([SriCodes.PerBrowserService], Codes(scan, "fonts.googleapis.com"));
        Assert.Equal([SriCodes.PerBrowserService], Codes(scan, "polyfill.io"));

        // GitHub refs: a branch is unpinned, a commit is not; sha1 is ignored by browsers, as is a broken digest.
        Assert.Equal([SriCodes.UnpinnedGitHubRef, SriCodes.WeakHash], Codes(scan, "widget@main"));
        Assert.Equal([SriCodes.MalformedIntegrity], Codes(scan, "widget@0123"));
        Assert.Equal(SriLevel.Error, scan.Findings.Single(f => f.Code == SriCodes.WeakHash && f.Url!.Contains("widget@main", StringComparison.Ordinal)).Level);

        // jspm builds with a bare major.
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.MissingIntegrity, SriCodes.UnpinnedCdnUrl], Codes(scan, "lit@3"));

        // sha256 still enforced beside an ignored sha1: the weak token is a warning; integrity without crossorigin is an error.
        var pinned = scan.Findings.Where(f => f.Url!.Contains("pinned@2.0.4", StringComparison.Ordinal)).ToList();
        Assert.Equal([SriCodes.MissingCrossOrigin, SriCodes.WeakHash], pinned.Select(f => f.Code).Order(StringComparer.Ordinal));
        Assert.Equal(SriLevel.Warning, pinned.Single(f => f.Code == SriCodes.WeakHash).Level);
        Assert.Equal(SriLevel.Error, pinned.Single(f => f.Code == SriCodes.MissingCrossOrigin).Level);
    }

    [Fact]
    public void Scan_WhenFileIsNotUtf8_StillScansAndKeepsBytesDecodable()
    {
        var bytes = File.ReadAllBytes(Fixture("latin1.html"));
        var source = SourceText.Decode(bytes);
        Assert.Equal(bytes, source.Encode(source.Text));
        Assert.Contains(SriCodes.UnpinnedCdnUrl, Codes(SriScanner.Scan("latin1.html", source)));
    }

    [Fact]
    public void Scan_WhenBaseHrefPointsAtCdn_RelativeScriptIsCrossOrigin()
    {
        var scan = ScanFixture("base.html");
        var tag = scan.Tags.Single();
        Assert.Equal("https://unpkg.com/vue@3/dist/vue.global.js", tag.Url);
        Assert.Contains(SriCodes.UnpinnedCdnUrl, Codes(scan));
    }

    [Fact]
    public void Scan_WhenSelfOriginGiven_AbsoluteUrlOnOwnOriginIsNotFlagged()
    {
        const string html = "<script src=\"https://www.example.com/app.js\"></script>";
        Assert.NotEmpty(ScanText(html).Findings);
        Assert.Empty(ScanText(html, options: new SriScanOptions { SelfOrigins = ["https://www.example.com"] }).Findings);
    }

    [Theory]
    [InlineData("page.vue", 3, "{{")]
    [InlineData("index.erb", 2, "<%")]
    [InlineData("App.svelte", 2, "{")]
    [InlineData("page.php", 3, "<?")]
    public void Scan_WhenTemplateExpressionInUrl_SkipsItWithNoteAndChecksTheRest(string file, int line, string marker)
    {
        var scan = ScanFixture(file);
        var skipped = scan.Findings.Single(f => f.Code == SriCodes.TemplateUrlSkipped);
        Assert.Equal(SriLevel.Note, skipped.Level);
        Assert.Equal(line, skipped.Line);
        Assert.Contains($"'{marker}'", skipped.Message, StringComparison.Ordinal);
        Assert.Contains(SriCodes.UnpinnedCdnUrl, Codes(scan));
    }

    [Fact]
    public void Scan_WhenRazorLayout_SkipsCodeAndReadsEscapedAt()
    {
        var scan = ScanFixture("layout.cshtml");
        Assert.Equal(2, scan.Findings.Count(f => f.Code == SriCodes.TemplateUrlSkipped));
        var lottie = scan.Tags.Single(t => t.Url is not null && t.Url.Contains("lottie", StringComparison.Ordinal));
        Assert.Equal("@lottiefiles/lottie-player", lottie.Cdn.Package);
        Assert.Equal(VersionSpecKind.Tag, lottie.Cdn.SpecKind);

        // react@18.3.1 is literal in Razor (an `@` inside a word), and pinned.
        var react = scan.Tags.Single(t => t.Url is not null && t.Url.Contains("react", StringComparison.Ordinal));
        Assert.Null(react.TemplateMarker);
        Assert.True(react.Cdn.IsPinned);
    }

    [Fact]
    public void Scan_WhenVueBindsSrc_NothingIsReported()
    {
        Assert.Empty(ScanFixture("component.vue").Findings);
    }

    [Fact]
    public void Collect_WhenDirectory_FindsHtmlAndTemplatesButSkipsNodeModules()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-sri-collect-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "a.html"), "");
            File.WriteAllText(Path.Combine(dir.FullName, "b.txt"), "");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "views"));
            File.WriteAllText(Path.Combine(dir.FullName, "views", "c.njk"), "");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "node_modules", "x"));
            File.WriteAllText(Path.Combine(dir.FullName, "node_modules", "x", "d.html"), "");
            var files = SriFiles.Collect([dir.FullName], out var error)!;
            Assert.Null(error);
            Assert.Equal(["a.html", "c.njk"], files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Null(SriFiles.Collect([Path.Combine(dir.FullName, "missing")], out error));
            Assert.Contains("no such file", error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sarif_WhenFindings_HasVersionRulesAndRegions()
    {
        var scan = ScanFixture("lottie.html");
        var sarif = SarifReport.Build(scan.Findings, "1.0.0", Path.Combine(AppContext.BaseDirectory));
        Assert.Equal("2.1.0", (string?)sarif["version"]);
        var run = sarif["runs"]![0]!;
        Assert.Equal(3, run["tool"]!["driver"]!["rules"]!.AsArray().Count);
        var result = run["results"]!.AsArray().First(r => (string?)r!["ruleId"] == SriCodes.UnpinnedCdnUrl)!;
        Assert.Equal("error", (string?)result["level"]);
        var location = result["locations"]![0]!["physicalLocation"]!;
        Assert.Equal("Fixtures/lottie.html", (string?)location["artifactLocation"]!["uri"]);
        Assert.Equal(5, (int)location["region"]!["startLine"]!);
        Assert.Equal(16, (int)location["region"]!["startColumn"]!);
    }
}
