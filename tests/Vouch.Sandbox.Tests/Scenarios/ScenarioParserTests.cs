namespace Vouch.Sandbox.Tests.Scenarios;

public sealed class ScenarioParserTests
{
    private const string Minimal = """
        name: t
        packages:
          - name: a
            repository: octo/a
            versions:
              - version: 1.0.0
                publisher: trusted-publisher
                published: -30d
        """;

    [Theory]
    [InlineData("lottie-player", 2, 8)]
    [InlineData("source-hijack", 1, 3)]
    [InlineData("typosquat", 2, 3)]
    [InlineData("diligence", 6, 11)]
    public void Builtin_WhenShipped_ParsesAndValidates(string name, int packages, int versions)
    {
        var scenario = Scenario.Builtin(name);

        Assert.Equal(name, scenario.Name);
        Assert.Equal(packages, scenario.Packages.Count);
        Assert.Equal(versions, scenario.VersionCount);
        Assert.NotEmpty(scenario.ProjectDependencies);
    }

    [Fact]
    public void Builtin_WhenRepositoryFileExists_EmbeddedCopyIsIdentical()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        foreach (var name in Scenario.BuiltinNames)
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dir!.FullName, "scenarios", name + ".yml")), Scenario.BuiltinText(name));
        }
    }

    [Fact]
    public void Builtin_WhenUnknown_Throws()
    {
        var e = Assert.Throws<ScenarioException>(() => Scenario.Builtin("nope"));
        Assert.Contains("lottie-player", e.Message);
    }

    [Fact]
    public void Parse_WhenMinimal_FillsCiDefaults()
    {
        var version = Scenario.Parse(Minimal, "t.yml").Packages[0].Versions[0];

        Assert.Equal(PublisherKind.TrustedPublisher, version.Publisher);
        Assert.Equal("octo/a", version.Source!.Repository);
        Assert.Equal("refs/tags/v1.0.0", version.Source.Ref);
        Assert.Equal(".github/workflows/release.yml", version.Source.Workflow);
        Assert.Equal(40, version.Source.Commit.Length);
        Assert.Equal(TimeSpan.FromDays(-30), version.Published.Offset);
    }

    [Theory]
    [InlineData("        tamper: [signatur]\n", "t.yml:9:18: unknown tamper switch 'signatur'")]
    [InlineData("        colour: red\n", "t.yml:9:9: unknown key 'colour' in a version")]
    [InlineData("        published: yesterday\n", "published must be")]
    [InlineData("        dependencies: { missing: ^1.0.0 }\n", "depends on missing, which the scenario does not define")]
    [InlineData("        dependencies: { a: 'not a range!!' }\n", "is not a semver range")]
    public void Parse_WhenVersionFieldBad_ReportsLocationAndReason(string extra, string expected)
    {
        var yaml = Minimal.Replace("        published: -30d", "        published: -30d\n" + extra.TrimEnd('\n'), StringComparison.Ordinal)
            .Replace("        published: -30d\n        published: yesterday", "        published: yesterday", StringComparison.Ordinal);

        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml, "t.yml"));

        Assert.Contains(e.Errors, x => x.Contains(expected, StringComparison.Ordinal));
        Assert.Matches(@"^t\.yml:\d+:\d+: ", e.Errors[0]);
    }

    [Fact]
    public void Parse_WhenAttestationTamperOnTokenVersion_Rejected()
    {
        var yaml = Minimal.Replace("publisher: trusted-publisher", "publisher: token\n        tamper: [provenance-subject]", StringComparison.Ordinal);

        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml, "t.yml"));

        Assert.Contains("needs attestations", e.Message);
    }

    [Fact]
    public void Parse_WhenCiVersionHasNoRepository_Rejected()
    {
        var yaml = Minimal.Replace("    repository: octo/a\n", "", StringComparison.Ordinal);

        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml, "t.yml"));

        Assert.Contains("needs source.repository", e.Message);
    }

    [Fact]
    public void Parse_WhenInvalidYaml_ReportsLocation()
    {
        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse("name: [unclosed\n", "bad.yml"));

        Assert.StartsWith("bad.yml:", e.Message);
        Assert.Contains("not valid YAML", e.Message);
    }

    [Fact]
    public void Parse_WhenDistTagNamesUnknownVersion_Rejected()
    {
        var yaml = Minimal.Replace("    versions:", "    dist-tags: { latest: 9.9.9 }\n    versions:", StringComparison.Ordinal);

        var e = Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml, "t.yml"));

        Assert.Contains("points at 9.9.9", e.Message);
    }

    [Theory]
    [InlineData("-30d", -30 * 86400)]
    [InlineData("-90m", -90 * 60)]
    [InlineData("-1w", -7 * 86400)]
    [InlineData("now", 0)]
    public void ScenarioTime_WhenRelative_ParsesOffset(string text, int seconds)
    {
        Assert.True(ScenarioTime.TryParse(text, out var t));
        Assert.Null(t.Absolute);
        Assert.Equal(TimeSpan.FromSeconds(seconds), t.Offset);
    }

    [Theory]
    [InlineData("+3d")]
    [InlineData("-3x")]
    [InlineData("soon")]
    public void ScenarioTime_WhenNotPastOrAbsolute_Rejected(string text) => Assert.False(ScenarioTime.TryParse(text, out _));
}
