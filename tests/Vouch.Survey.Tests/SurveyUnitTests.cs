using Vouch.Npm;

namespace Vouch.Survey.Tests;

public sealed class SurveyInputTests
{
    [Fact]
    public void FromFile_WhenLinesAreBad_ListsEveryBadLineInOneError()
    {
        var path = Temp("# top 3\nleft-pad 1\n@scope/ok,2\nBad Name\nlodash x\nleft-pad 4\na b c\n\n");
        var e = Assert.Throws<SurveyInputException>(() => SurveyInput.FromFile(path));
        Assert.Equal(SurveyCodes.InputInvalid, e.Code);
        Assert.Equal(4, e.Errors.Count);
        Assert.Contains(e.Errors, x => x.Contains(":4:", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.Contains(":5:", StringComparison.Ordinal) && x.Contains("rank", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.Contains("listed twice", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.Contains(":7:", StringComparison.Ordinal));
    }

    [Fact]
    public void Targets_WhenTheFileHasRanksAndComments_StreamsNamesInOrderWithRanks()
    {
        var path = Temp("# list\nleft-pad 10\n\n@scope/pkg,2\nlodash\n");
        var input = SurveyInput.FromFile(path);
        Assert.Equal(3, input.Count);
        Assert.Equal([new SurveyTarget(0, "left-pad", 10), new SurveyTarget(1, "@scope/pkg", 2), new SurveyTarget(2, "lodash", null)], input.Targets().ToList());
        Assert.Equal([new SurveyTarget(2, "lodash", null)], input.Targets(2).ToList());
        Assert.Equal(input.Fingerprint, SurveyInput.FromNames(["left-pad", "@scope/pkg", "lodash"]).Fingerprint);
    }

    [Fact]
    public void FromNames_WhenANameIsATraversalOrUrl_IsRefused()
    {
        foreach (var bad in new[] { "../etc/passwd", "http://evil/x", "@scope/../x", "" })
        {
            var e = Assert.Throws<SurveyInputException>(() => SurveyInput.FromNames([bad]));
            Assert.Equal(SurveyCodes.InputInvalid, e.Code);
        }
    }

    private static string Temp(string content)
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, content);
        return path;
    }
}

public sealed class SurveyFormatTests
{
    [Fact]
    public void Csv_WhenAFieldStartsLikeAFormula_PrefixesAnApostropheButNeverOnTheName()
    {
        var row = new SurveyRow { Index = 0, Name = "@scope/pkg", Status = RowStatus.Ok, PublishedBy = "=HYPERLINK(\"http://x\")", PublisherEvidence = "a,b" };
        var csv = SurveyFormats.Csv(row);
        Assert.StartsWith("0,,@scope/pkg,ok,", csv, StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"http://x\"\")\"", csv, StringComparison.Ordinal);
        Assert.Contains("\"a,b\"", csv, StringComparison.Ordinal);
        Assert.Equal(SurveyFormats.CsvColumns.Count, SurveyFormats.CsvHeader.Split(',').Length);
    }

    [Theory]
    [InlineData("release-bot", true)]
    [InlineData("org-release-bot", true)]
    [InlineData("renovate[bot]", true)]
    [InlineData("npm-ci", true)]
    [InlineData("sindresorhus", false)]
    [InlineData("robot-arm-fan", false)]
    [InlineData("talbot", true)] // a false positive docs/survey.md owns up to
    public void IsAutomationAccount_WhenGivenAccountNames_FollowsTheDocumentedHeuristic(string name, bool automation) =>
        Assert.Equal(automation, PackageSurveyor.IsAutomationAccount(name, null));

    [Fact]
    public void Publisher_WhenNoProvenanceAndAPersonalAccount_IsPersonWithTheAccountAsEvidence()
    {
        var v = new PackageVersion { Name = "x", Version = SemVersion.Parse("1.0.0"), Dist = new Dist { Tarball = new Uri("http://127.0.0.1/x.tgz") }, NpmUser = new NpmUser { Name = "alice", TrustedPublisher = new TrustedPublisher { Id = "github" } } };
        var (publisher, evidence, provider) = PackageSurveyor.Publisher(v, verified: null);
        Assert.Equal(PublisherKinds.Person, publisher);
        Assert.Contains("alice", evidence, StringComparison.Ordinal);
        Assert.Null(provider);
    }

    [Fact]
    public void Percent_WhenDividingTheStudysNumbers_RoundsToOneDecimal()
    {
        Assert.Equal("12.7%", SurveySummary.Percent(26, 205));
        Assert.Equal("-", SurveySummary.Percent(0, 0));
    }
}

public sealed class SurveyDiffTests
{
    [Fact]
    public void Compare_WhenPackagesGainLoseOrChangeTier_ListsEachOnceSortedByName()
    {
        var a = Snapshot(Row("zeta", "1.0.0", "provenance"), Row("alpha", "1.0.0", "registry-signature"), Row("beta", "2.0.0", "provenance"), Row("gone", "1.0.0", "none"), Row("same", "1.0.0", "provenance"), Row("up", "1.0.0", "provenance"));
        var b = Snapshot(Row("alpha", "1.1.0", "trusted-publisher"), Row("beta", "2.0.1", "registry-signature"), Row("new", "0.1.0", "none"), Row("same", "1.0.1", "provenance"), Row("up", "1.1.0", "trusted-publisher"), Row("zeta", "1.0.0", "provenance"));
        var changes = SurveyDiff.Compare(a, b);
        Assert.Equal(["alpha gained-provenance", "beta lost-provenance", "gone removed", "new added", "up tier-up"], changes.Select(c => $"{c.Name} {c.Kind}"));
        Assert.Equal("gained-provenance 1, lost-provenance 1, removed 1, added 1, tier-up 1".Split(", ").Order(StringComparer.Ordinal), SurveyDiff.Totals(changes).Split(", ").Order(StringComparer.Ordinal));
        Assert.Contains("2.0.0 (provenance) -> 2.0.1 (registry-signature)", SurveyDiff.Text(changes[1]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"name\":\"x\",\"status\":\"ok\",\"tier\":\"provenance\"}")]
    [InlineData("{\"schema\":1,\"name\":\"x\",\"status\":\"ok\",\"tier\":\"platinum\"}")]
    [InlineData("{\"schema\":1,\"name\":\"x\",\"status\":\"ok\"}")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Compare_WhenASnapshotIsTampered_FailsWithSnapshotInvalid(string line)
    {
        var good = Snapshot(Row("x", "1.0.0", "provenance"));
        var bad = Path.GetTempFileName();
        File.WriteAllText(bad, line + "\n");
        var e = Assert.Throws<SurveyInputException>(() => SurveyDiff.Compare(good, bad));
        Assert.Equal(SurveyCodes.SnapshotInvalid, e.Code);
    }

    [Fact]
    public void Compare_WhenASnapshotListsAPackageTwice_FailsWithSnapshotInvalid()
    {
        var twice = Snapshot(Row("x", "1.0.0", "provenance"), Row("x", "1.0.0", "none"));
        var e = Assert.Throws<SurveyInputException>(() => SurveyDiff.Compare(twice, twice));
        Assert.Equal(SurveyCodes.SnapshotInvalid, e.Code);
    }

    internal static SurveyRow Row(string name, string version, string tier) =>
        new() { Index = 0, Name = name, Status = RowStatus.Ok, LatestVersion = version, LatestTier = EvidenceTiers.Parse(tier) };

    internal static string Snapshot(params SurveyRow[] rows)
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, rows.Select(r => System.Text.Encoding.UTF8.GetString(SurveyFormats.Json(r))));
        return path;
    }
}

public sealed class SurveyHtmlTests
{
    [Fact]
    public void Render_WhenRegistryControlledNamesHoldMarkup_EscapesThemAndHasNoScript()
    {
        var summary = new SurveySummary();
        summary.Add(new SurveyRow
        {
            Index = 0, Name = "evil", Status = RowStatus.Ok, LatestVersion = "1.0.1", LatestTier = EvidenceTier.RegistrySignature,
            Versions = [new SurveyedVersion("1.0.1", "1.x", DateTimeOffset.Parse("2025-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), EvidenceTier.RegistrySignature, false, [])],
            Downgrades = [new SurveyDowngrade("1.0.1", "1.x", "VOUCH_POLICY_TRUST_DOWNGRADE", true, DateTimeOffset.Parse("2025-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "m")],
        });
        summary.DowngradeSamples[0] = summary.DowngradeSamples[0] with { Name = "<script>alert(1)</script>", Line = "\"><img src=x onerror=alert(1)>" };
        var html = SurveyHtml.Render(summary, "survey of <b>x</b>");
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(html, "<svg "));
    }
}

public sealed class SurveyInputRaceTests
{
    [Fact]
    public void Targets_WhenTheListChangesAfterValidation_FailsWithInputInvalid()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "left-pad 1\nlodash 2\n");
        var input = SurveyInput.FromFile(path);
        File.WriteAllText(path, "left-pad 1\n../../etc/passwd 2\n");
        var e = Assert.Throws<SurveyInputException>(() => input.Targets().ToList());
        Assert.Equal(SurveyCodes.InputInvalid, e.Code);
        Assert.Contains("changed while the survey ran", e.Message, StringComparison.Ordinal);
    }
}
