using System.Text;
using System.Text.Json;
using Vouch.Sandbox;

namespace Vouch.Survey.Tests;

/// <summary>End to end on a sandbox population with real signed evidence: numbers, tampering, resume, order.</summary>
public sealed class SurveyRunnerTests(SurveySandbox sandbox) : IClassFixture<SurveySandbox>
{
    private static readonly SurveyPopulation P = SurveySandbox.Population;

    [Fact]
    public async Task RunAsync_WhenSurveyingTheGeneratedPopulation_FindsExactlyItsNumbersFromRegistryDataAlone()
    {
        var dir = sandbox.TempDirectory();
        var (surveyor, client) = sandbox.Surveyor();
        using var _ = client;
        var result = await new SurveyRunner(surveyor).RunAsync(SurveyInput.FromFile(sandbox.ListPath), sandbox.Options(dir), CancellationToken.None);

        Assert.Null(result.StoppedAt);
        var s = result.Summary;
        Assert.Equal(P.Packages, s.Surveyed);
        Assert.Equal(P.GitHubRepositories, s.WithGitHubRepository);
        Assert.Equal(P.PublishingFromCi, s.PublishingFromCi);
        Assert.Equal(P.WithProvenance, s.WithProvenance);
        Assert.Equal(P.WithDowngrades, s.PackagesWithDowngrades);
        Assert.Equal(P.TamperedProvenance, s.ProvenanceAdvertisedNotVerified);
        Assert.Equal(P.TrustedPublishers, s.Tiers.GetValueOrDefault("trusted-publisher"));
        Assert.Equal(P.Unsigned, s.Tiers.GetValueOrDefault("none"));
        Assert.Empty(s.NotSurveyed);

        var rows = Rows(Path.Combine(dir, "survey.jsonl"));
        Assert.Equal(P.Packages, rows.Count);
        Assert.Equal(Enumerable.Range(0, P.Packages), rows.Select(r => r.GetProperty("index").GetInt32()));
        Assert.Equal(P.Packages + 1, File.ReadAllLines(Path.Combine(dir, "survey.csv")).Length);
        Assert.False(File.Exists(Path.Combine(dir, "survey.jsonl.partial")));

        // The repaired downgrades: provenance now, a token release on the line earlier, found retroactively.
        var repaired = rows.Where(r => r.GetProperty("tier").GetString() is "provenance" or "trusted-publisher" && r.GetProperty("downgrades").GetArrayLength() > 0).ToList();
        Assert.Equal(P.RepairedDowngrades, repaired.Count);
        Assert.All(repaired, r => Assert.Equal("1.0.1", r.GetProperty("downgrades")[0].GetProperty("version").GetString()));
        Assert.All(repaired, r => Assert.Equal("1.0.0", r.GetProperty("firstProvenanceVersion").GetString()));

        // Provenance rows: CI on verified evidence, repository bound to the provenance.
        var provenance = rows.Where(r => r.GetProperty("tier").GetString() is "provenance" or "trusted-publisher").ToList();
        Assert.All(provenance, r => Assert.Equal("github-actions", r.GetProperty("ciProvider").GetString()));
        Assert.All(provenance, r => Assert.True(r.GetProperty("repositoryMatchesProvenance").GetBoolean()));
    }

    [Fact]
    public async Task SurveyAsync_WhenAdvertisedProvenanceDoesNotVerify_DoesNotCountItAsProvenance()
    {
        var (surveyor, client) = sandbox.Surveyor();
        using var _ = client;
        var tampered = sandbox.Registry.Scenario.Packages.Where(p => p.Versions.Any(v => v.Tamper.Contains(TamperKind.ProvenanceSubject))).ToList();
        Assert.Equal(P.TamperedProvenance, tampered.Count);
        foreach (var package in tampered)
        {
            var row = await surveyor.SurveyAsync(new SurveyTarget(0, package.Name, null), CancellationToken.None);
            Assert.Equal(EvidenceTier.PublishAttestation, row.LatestTier);
            Assert.False(row.HasProvenance);
            Assert.Null(row.FirstProvenanceVersion);
            Assert.Null(row.ProvenanceRepository);
            Assert.Contains("VOUCH_PROVENANCE_SUBJECT_MISMATCH", row.Versions[0].Problems);
            Assert.True(row.Versions[0].ProvenanceAdvertised);
        }
    }

    [Fact]
    public async Task SurveyAsync_WhenAMiddlemanAddsTrustedPublisherAndAttestationsToAPackument_TierStaysRegistrySignature()
    {
        // A token-published package; the packument is rewritten to claim trusted publishing and attestations.
        var package = sandbox.Registry.Scenario.Packages.First(p => p.Repository is not null && p.Versions.All(v => v.Publisher == PublisherKind.Token && v.Tamper.Count == 0) && p.Maintainers.Count == 1);
        var (surveyor, client) = sandbox.Surveyor(wrap: inner => new TamperingHandler(inner, rewrite: (request, body) =>
            request.RequestUri!.AbsolutePath.Contains("survey-pkg", StringComparison.Ordinal) && body.Contains("\"_npmUser\"", StringComparison.Ordinal)
                ? body.Replace("\"_npmUser\":{", "\"_npmUser\":{\"trustedPublisher\":{\"id\":\"github\",\"oidcConfigId\":\"forged\"},", StringComparison.Ordinal)
                      .Replace("\"dist\":{", $"\"dist\":{{\"attestations\":{{\"url\":\"{sandbox.Registry.Url}-/npm/v1/attestations/forged@1.0.0\",\"provenance\":{{\"predicateType\":\"https://slsa.dev/provenance/v1\"}}}},", StringComparison.Ordinal)
                : null));
        using var _ = client;
        var row = await surveyor.SurveyAsync(new SurveyTarget(0, package.Name, null), CancellationToken.None);

        Assert.Equal(RowStatus.Ok, row.Status);
        Assert.True(row.Versions[0].ProvenanceAdvertised, "the rewrite did not take: the test would prove nothing");
        Assert.Equal(EvidenceTier.RegistrySignature, row.LatestTier);
        Assert.Equal(PublisherKinds.Person, row.Publisher);
        Assert.Null(row.FirstProvenanceVersion);
    }

    [Fact]
    public async Task RunAsync_WhenTheNetworkFailsMidwayAndTheRunResumes_WritesWhatAnUninterruptedRunWrites()
    {
        var straight = sandbox.TempDirectory();
        var (s1, c1) = sandbox.Surveyor();
        using (c1)
        {
            await new SurveyRunner(s1).RunAsync(SurveyInput.FromFile(sandbox.ListPath), sandbox.Options(straight, concurrency: 3), CancellationToken.None);
        }

        var resumed = sandbox.TempDirectory();
        var checkpoint = Path.Combine(resumed, "survey.checkpoint");
        var victim = sandbox.Registry.Scenario.Packages[57].Name;
        var (s2, c2) = sandbox.Surveyor(wrap: inner => new TamperingHandler(inner, fail: r => Uri.UnescapeDataString(r.RequestUri!.AbsolutePath).TrimStart('/') == victim));
        SurveyRunResult first;
        using (c2)
        {
            first = await new SurveyRunner(s2).RunAsync(SurveyInput.FromFile(sandbox.ListPath), sandbox.Options(resumed, concurrency: 3, checkpoint), CancellationToken.None);
        }

        Assert.Equal(victim, first.StoppedAt?.Name);
        Assert.Equal(57, first.Summary.Rows);
        Assert.True(File.Exists(checkpoint));
        Assert.False(File.Exists(Path.Combine(resumed, "survey.jsonl")));

        var (s3, c3) = sandbox.Surveyor();
        SurveyRunResult second;
        using (c3)
        {
            second = await new SurveyRunner(s3).RunAsync(SurveyInput.FromFile(sandbox.ListPath), sandbox.Options(resumed, concurrency: 5, checkpoint), CancellationToken.None);
        }

        Assert.True(second.Resumed);
        Assert.Null(second.StoppedAt);
        Assert.False(File.Exists(checkpoint));
        Assert.Equal(P.Packages, second.Summary.Surveyed);
        Assert.Equal(P.WithProvenance, second.Summary.WithProvenance);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "survey.jsonl")), File.ReadAllBytes(Path.Combine(resumed, "survey.jsonl")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "survey.csv")), File.ReadAllBytes(Path.Combine(resumed, "survey.csv")));
    }

    [Fact]
    public async Task RunAsync_WhenTheCheckpointBelongsToAnotherInput_FailsWithCheckpointMismatch()
    {
        var dir = sandbox.TempDirectory();
        var checkpoint = Path.Combine(dir, "survey.checkpoint");
        var victim = sandbox.Registry.Scenario.Packages[10].Name;
        var (s1, c1) = sandbox.Surveyor(wrap: inner => new TamperingHandler(inner, fail: r => Uri.UnescapeDataString(r.RequestUri!.AbsolutePath).TrimStart('/') == victim));
        using (c1)
        {
            var stopped = await new SurveyRunner(s1).RunAsync(SurveyInput.FromFile(sandbox.ListPath), sandbox.Options(dir, 2, checkpoint), CancellationToken.None);
            Assert.NotNull(stopped.StoppedAt);
        }

        var other = SurveyInput.FromNames(sandbox.Registry.Scenario.Packages.Take(20).Select(p => p.Name));
        var (s2, c2) = sandbox.Surveyor();
        using var _ = c2;
        var e = await Assert.ThrowsAsync<SurveyInputException>(() => new SurveyRunner(s2).RunAsync(other, sandbox.Options(dir, 2, checkpoint), CancellationToken.None));
        Assert.Equal(SurveyCodes.CheckpointMismatch, e.Code);

        // A checkpoint edited to claim more rows than its outputs hold is refused too.
        var text = File.ReadAllText(checkpoint);
        File.WriteAllText(checkpoint, text.Replace("\"Next\":10", "\"Next\":11", StringComparison.Ordinal));
        var edited = await Assert.ThrowsAsync<SurveyInputException>(() => new SurveyRunner(s2).RunAsync(SurveyInput.FromFile(sandbox.ListPath), sandbox.Options(dir, 2, checkpoint), CancellationToken.None));
        Assert.Equal(SurveyCodes.CheckpointMismatch, edited.Code);
    }

    [Fact]
    public async Task RunAsync_WhenConcurrencyDiffers_WritesTheSameBytes()
    {
        var names = SurveyInput.FromNames(sandbox.Registry.Scenario.Packages.Take(40).Select(p => p.Name).Append("survey-pkg-does-not-exist"));
        var outputs = new List<byte[]>();
        foreach (var n in new[] { 1, 7 })
        {
            var dir = sandbox.TempDirectory();
            var (s, c) = sandbox.Surveyor();
            using (c)
            {
                var result = await new SurveyRunner(s).RunAsync(names, sandbox.Options(dir, n), CancellationToken.None);
                Assert.Equal(1, result.Summary.NotSurveyed.GetValueOrDefault(RowStatus.NotFound));
            }

            outputs.Add(File.ReadAllBytes(Path.Combine(dir, "survey.jsonl")));
        }

        Assert.Equal(outputs[0], outputs[1]);
    }

    [Fact]
    public async Task SurveyAsync_WhenAllVersionsAreSurveyed_VerifiesEachAndMarksDowngradesVerified()
    {
        var (surveyor, client) = sandbox.Surveyor(allVersions: true);
        using var _ = client;
        var package = sandbox.Registry.Scenario.Packages.First(p => p.Versions.Count == 3 && p.Versions[1].Publisher == PublisherKind.Token && p.Versions[0].Publisher != PublisherKind.Token);
        var row = await surveyor.SurveyAsync(new SurveyTarget(0, package.Name, null), CancellationToken.None);

        Assert.Equal(3, row.Versions.Count);
        Assert.Equal([EvidenceTier.Provenance, EvidenceTier.RegistrySignature, EvidenceTier.Provenance], row.Versions.Select(v => v.Tier == EvidenceTier.TrustedPublisher ? EvidenceTier.Provenance : v.Tier));
        var downgrade = Assert.Single(row.Downgrades);
        Assert.True(downgrade.Verified);
        Assert.Equal("1.0.1", downgrade.Version);
        Assert.Equal("1.x", downgrade.Line);
    }

    private static List<JsonElement> Rows(string path) =>
        [.. File.ReadLines(path, Encoding.UTF8).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
