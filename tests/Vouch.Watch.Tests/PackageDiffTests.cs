using Vouch.Policy;
using Vouch.Provenance;
using static Vouch.Watch.Tests.TestData;

namespace Vouch.Watch.Tests;

public sealed class PackageDiffTests
{
    private static readonly DateTimeOffset Now = new(2024, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly V[] History = [new("2.0.2"), new("2.0.3"), new("2.0.4")];

    private static PackageState BaselineOf(params V[] versions) =>
        PackageDiff.Diff(Name, null, Packument(versions), new Dictionary<string, PackageReport>(), PolicyDocument.Default, Now).Next;

    private static IReadOnlyList<WatchEvent> NewVersion(V next, PackageReport report, PolicyDocument? policy = null, V[]? history = null)
    {
        var before = history ?? History;
        var state = BaselineOf(before);
        var (events, _) = PackageDiff.Diff(Name, state, Packument([.. before, next]), new Dictionary<string, PackageReport> { [next.Version] = report }, policy ?? PolicyDocument.Default, Now);
        return events;
    }

    [Fact]
    public void Diff_WhenFirstSeen_RecordsABaselineWithoutEvents()
    {
        var (events, next) = PackageDiff.Diff(Name, null, Packument(History), new Dictionary<string, PackageReport>(), PolicyDocument.Default, Now);

        Assert.Empty(events);
        Assert.Equal(["2.0.2", "2.0.3", "2.0.4"], next.Versions.Keys.Order());
        Assert.All(next.Versions.Values, f => Assert.False(f.Verified));
        Assert.Contains("GitHub Actions", next.Publishers);
    }

    [Fact]
    public void Diff_WhenLottieLikeVersionAppears_ReportsProvenanceLostTokenPublishInstallScriptAndNewPublisher()
    {
        var attack = new V("2.0.5") { Ci = false, Publisher = "lottie-maintainer", Scripts = new() { ["postinstall"] = "node collect.js" } };

        var events = NewVersion(attack, Report("2.0.5", ci: false));

        Assert.Equal(["install-script-added", "new-publisher", "provenance-lost", "trusted-publisher-replaced"], events.Select(e => e.Kind).Order());
        var lost = events.Single(e => e.Kind == "provenance-lost");
        Assert.Equal(WatchCodes.ProvenanceLost, lost.Code);
        Assert.Equal("2.0.4", lost.PreviousVersion);
        Assert.Equal("error", lost.Severity);
        Assert.Equal("trust-downgrade", lost.Rule);
        Assert.Contains("node collect.js", events.Single(e => e.Kind == "install-script-added").Detail);
        Assert.All(events, e => Assert.Equal(Now, e.ObservedAt));
    }

    [Fact]
    public void Diff_WhenNewVersionIsLikeTheOnesBefore_ReportsNothing()
    {
        var events = NewVersion(new V("2.0.5"), Report("2.0.5", ci: true));

        Assert.Empty(events);
    }

    [Fact]
    public void Diff_WhenSameObservationIsMadeTwice_GivesTheSameIds()
    {
        var attack = new V("2.0.5") { Ci = false, Scripts = new() { ["postinstall"] = "x" } };

        var first = NewVersion(attack, Report("2.0.5", ci: false)).Select(e => e.Id).Order().ToList();
        var second = NewVersion(attack, Report("2.0.5", ci: false)).Select(e => e.Id).Order().ToList();

        Assert.Equal(first, second);
        Assert.Equal(first.Count, first.Distinct().Count());
    }

    [Fact]
    public void Diff_WhenProvenanceNamesAnotherRepositoryAndWorkflow_ReportsBoth()
    {
        var state = BaselineOf(History);
        // The previous version verified by watch, so its workflow is known.
        var verified = new Dictionary<string, PackageReport> { ["2.0.5"] = Report("2.0.5", ci: true) };
        var (_, afterFive) = PackageDiff.Diff(Name, state, Packument([.. History, new V("2.0.5")]), verified, PolicyDocument.Default, Now);

        var moved = new V("2.0.6") { Repository = "https://github.com/evil/player" };
        var (events, _) = PackageDiff.Diff(Name, afterFive, Packument([.. History, new V("2.0.5"), moved]),
            new Dictionary<string, PackageReport> { ["2.0.6"] = Report("2.0.6", ci: true, repository: "https://github.com/evil/player", workflow: ".github/workflows/other.yml") }, PolicyDocument.Default, Now);

        Assert.Equal(["source-changed", "workflow-changed"], events.Select(e => e.Kind).Order());
        Assert.Contains("github.com/evil/player", events.Single(e => e.Kind == "source-changed").Detail);
    }

    [Fact]
    public void Diff_WhenDependencyAndBinAreAdded_ReportsEach()
    {
        var events = NewVersion(new V("2.0.5") { Dependencies = ["lottie-web", "plain-crypto-js"], Bin = ["player"] }, Report("2.0.5", ci: true));

        Assert.Equal(["new-bin", "new-dependency"], events.Select(e => e.Kind).Order());
        Assert.Contains("plain-crypto-js", events.Single(e => e.Kind == "new-dependency").Detail);
        Assert.DoesNotContain("lottie-web", events.Single(e => e.Kind == "new-dependency").Detail);
    }

    [Fact]
    public void Diff_WhenNewMajorHasNoLineHistory_ComparesWithTheHighestLowerVersion()
    {
        var events = NewVersion(new V("3.0.0") { Ci = false }, Report("3.0.0", ci: false));

        var lost = events.Single(e => e.Kind == "provenance-lost");
        Assert.Equal("2.0.4", lost.PreviousVersion);
        Assert.Contains("release line 3.x has no earlier version", lost.Detail);
        Assert.DoesNotContain(events, e => e.Kind is "new-dependency" or "install-script-added");
    }

    [Fact]
    public void Diff_WhenDistTagMovesBackwardsAndAVersionIsDeprecatedAndAnotherUnpublished_ReportsEach()
    {
        var state = BaselineOf([.. History, new V("2.0.5")]);
        var now = Packument([new V("2.0.2"), new V("2.0.3") { Deprecated = "use 2.0.4" }, new V("2.0.4")], new() { ["latest"] = "2.0.4" });

        var (events, next) = PackageDiff.Diff(Name, state, now, new Dictionary<string, PackageReport>(), PolicyDocument.Default, Now);

        Assert.Equal(["deprecated", "dist-tag-backwards", "unpublished"], events.Select(e => e.Kind).Order());
        Assert.Equal("2.0.5", events.Single(e => e.Kind == "dist-tag-backwards").PreviousVersion);
        Assert.Equal("2.0.5", events.Single(e => e.Kind == "unpublished").Version);
        Assert.Equal("warn", events.Single(e => e.Kind == "deprecated").Severity); // the default policy: deprecated: warn
        Assert.DoesNotContain("2.0.5", next.Versions.Keys);
    }

    [Fact]
    public void Diff_WhenPackageIsGone_ReportsOneUnpublishOnce()
    {
        var state = BaselineOf(History);

        var (events, next) = PackageDiff.Diff(Name, state, null, new Dictionary<string, PackageReport>(), PolicyDocument.Default, Now);
        var (again, _) = PackageDiff.Diff(Name, next, null, new Dictionary<string, PackageReport>(), PolicyDocument.Default, Now);

        Assert.Equal("unpublished", Assert.Single(events).Kind);
        Assert.Empty(again);
    }

    [Fact]
    public void Diff_WhenPolicySetsASeverity_UsesIt()
    {
        var policy = PolicyLoader.Parse("version: 1\nrules:\n  install-scripts: error\n  trust-downgrade: warn\n", "test");
        var attack = new V("2.0.5") { Ci = false, Scripts = new() { ["preinstall"] = "x" } };

        var events = NewVersion(attack, Report("2.0.5", ci: false), policy);

        Assert.Equal("error", events.Single(e => e.Kind == "install-script-added").Severity);
        Assert.Equal("install-scripts", events.Single(e => e.Kind == "install-script-added").Rule);
        Assert.Equal("warn", events.Single(e => e.Kind == "provenance-lost").Severity);
    }

    [Fact]
    public void Diff_WhenVerificationFailed_ReportsItAsAnErrorWhateverThePolicy()
    {
        var policy = PolicyLoader.Parse("version: 1\nrules:\n  signature: off\n", "test");
        var broken = Report("2.0.5", ci: true) with { Problems = [new Problem(ProvenanceCodes.IntegrityMismatch, "tarball differs")] };

        var events = NewVersion(new V("2.0.5"), broken, policy);

        var failed = Assert.Single(events);
        Assert.Equal("verification-failed", failed.Kind);
        Assert.Equal("error", failed.Severity);
        Assert.Contains(ProvenanceCodes.IntegrityMismatch, failed.Detail);
    }

    [Fact]
    public void Diff_WhenDeprecationMessageIsHuge_CapsAndFlattensTheDetail()
    {
        var message = "line1\nline2\u0007" + new string('x', 10_000);
        var events = NewVersion(new V("2.0.5") { Deprecated = message }, Report("2.0.5", ci: true));

        var detail = Assert.Single(events).Detail;
        Assert.True(detail.Length <= Limits.MaxDetailChars + 1, $"{detail.Length}");
        Assert.DoesNotContain('\n', detail);
        Assert.DoesNotContain('\u0007', detail);
    }
}
