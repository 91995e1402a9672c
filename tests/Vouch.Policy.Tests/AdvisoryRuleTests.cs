using Vouch.Advisories;
using Vouch.Npm;
using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

/// <summary>The `advisories` and `malware` policy rules over an injected advisory database (a fake holding typed matches).</summary>
public sealed class AdvisoryRuleTests
{
    private static readonly DateTimeOffset Now = Day("2025-06-01");

    private sealed class FakeDatabase(params AdvisoryMatch[] matches) : IAdvisoryDatabase
    {
        public SnapshotInfo Snapshot { get; } = new() { Digest = "sha256:" + new string('a', 64), RecordCount = matches.Length, WithdrawnCount = 0, MalwareCount = matches.Count(m => m.IsMalware) };

        public IReadOnlyList<AdvisoryMatch> Lookup(string package, SemVersion version) =>
            matches.Where(m => m.Package == package && m.Version.ToString() == version.ToString()).ToList();

        public IReadOnlyList<IReadOnlyList<AdvisoryMatch>> LookupMany(IReadOnlyList<PackageRef> packages) =>
            packages.Select(p => Lookup(p.Name, p.Version)).ToList();
    }

    private static AdvisoryMatch Match(string id, SeverityLevel level, bool malware = false, string package = "left-pad", string version = "1.0.0") => new()
    {
        Id = id,
        Ids = [id],
        Aliases = id.StartsWith("GHSA", StringComparison.Ordinal) ? ["CVE-2025-0001"] : [],
        IsMalware = malware,
        Severity = new AdvisorySeverity(level, null, SeveritySource.None, null),
        Summary = "test advisory",
        Modified = Day("2025-01-01"),
        Package = package,
        Version = SemVersion.ParseOrNull(version)!,
        FixedIn = malware ? null : SemVersion.ParseOrNull("1.0.1"),
    };

    private static PolicySubject Subject(string name = "left-pad", string version = "1.0.0")
    {
        var p = new PackumentBuilder(name).Version(version, Day("2024-01-01")).Build();
        return new PolicySubject { Report = Reports.For(p, version), Packument = p };
    }

    private static PolicyVerdict Run(string yaml, IAdvisoryDatabase? db, PolicySubject? subject = null) =>
        new PolicyEvaluator(Parse(yaml), new FixedTime(Now), db).Evaluate(subject ?? Subject());

    private static IReadOnlyList<string> Codes(PolicyVerdict v) => v.Findings.Select(f => f.Code).ToList();

    private const string Advisories = "version: 1\nrules:\n  advisories:\n    severity: error\n    threshold: high\n";

    [Fact]
    public void Malware_WhenRecordListsVersion_FailsEvenWithoutPolicyOrAllowEntry()
    {
        var db = new FakeDatabase(Match("MAL-2025-1", SeverityLevel.Critical, malware: true));
        var plain = Run("version: 1\n", db);
        Assert.Equal([AdvisoryCodes.Malware], Codes(plain));
        Assert.False(plain.Allowed);

        // An allow entry for every rule does not lift known malware.
        var allowed = Run("version: 1\nallow:\n  - package: left-pad\n    reason: trusted\n    expires: 2099-01-01\n", db);
        Assert.Equal([AdvisoryCodes.Malware], Codes(allowed));
        Assert.False(allowed.Allowed);
        Assert.Empty(Codes(Run("version: 1\n", db, Subject(version: "1.0.1") with { })));
    }

    [Fact]
    public void Advisories_WhenSeverityAtOrAboveThreshold_Fails()
    {
        var high = new FakeDatabase(Match("GHSA-aaaa-bbbb-cccc", SeverityLevel.High));
        var v = Run(Advisories, high);
        Assert.Equal([AdvisoryCodes.Vulnerable], Codes(v));
        Assert.False(v.Allowed);
        Assert.Contains("1.0.1", v.Findings[0].Fix, StringComparison.Ordinal);

        // Below the threshold: reported in the evidence, not a finding.
        Assert.Empty(Codes(Run(Advisories, new FakeDatabase(Match("GHSA-aaaa-bbbb-cccc", SeverityLevel.Medium)))));
        Assert.Equal([AdvisoryCodes.Vulnerable], Codes(Run(Advisories.Replace("high", "medium", StringComparison.Ordinal), new FakeDatabase(Match("GHSA-aaaa-bbbb-cccc", SeverityLevel.Medium)))));
    }

    [Fact]
    public void Advisories_WhenIgnoreEntryExpired_StopsIgnoring()
    {
        var db = new FakeDatabase(Match("GHSA-aaaa-bbbb-cccc", SeverityLevel.Critical));
        const string ignore = "    ignore:\n      - id: CVE-2025-0001\n        reason: not reachable from our code\n        expires: {0}\n";
        var active = Run(Advisories + string.Format(System.Globalization.CultureInfo.InvariantCulture, ignore, "2025-12-31"), db);
        Assert.Empty(Codes(active));
        Assert.True(active.Allowed);

        var expired = Run(Advisories + string.Format(System.Globalization.CultureInfo.InvariantCulture, ignore, "2025-05-01"), db);
        Assert.Equal([AdvisoryCodes.IgnoreExpired, AdvisoryCodes.Vulnerable], Codes(expired).Order(StringComparer.Ordinal));
        Assert.False(expired.Allowed);
    }

    [Fact]
    public void Advisories_WhenVexSaysNotAffected_Suppresses()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-vex-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "vex.json"), """
                { "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "sec", "timestamp": "2025-02-01T00:00:00Z", "version": 1,
                  "statements": [ { "vulnerability": { "name": "CVE-2025-0001" }, "products": [ { "@id": "pkg:npm/left-pad@1.0.0" } ],
                                    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path" } ] }
                """);
            File.WriteAllText(Path.Combine(dir.FullName, "p.yml"), Advisories + "    vex: [vex.json]\n");
            var policy = PolicyLoader.Load(Path.Combine(dir.FullName, "p.yml"));
            var db = new FakeDatabase(Match("GHSA-aaaa-bbbb-cccc", SeverityLevel.Critical));
            Assert.Empty(new PolicyEvaluator(policy, new FixedTime(Now), db).Evaluate(Subject()).Findings);
            // Without the VEX file the same version fails.
            Assert.NotEmpty(Run(Advisories, db).Findings);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Rules_WhenPolicyRequiresThemAndNoDatabase_WarnExplicitly()
    {
        var v = Run(Advisories + "  malware: error\n", null);
        Assert.Equal([PolicyCodes.AdvisoryDatabaseMissing, PolicyCodes.AdvisoryDatabaseMissing], Codes(v));
        Assert.All(v.Findings, f => Assert.Equal(PolicySeverity.Warn, f.Severity));
        // A policy that does not ask for them says nothing when there is no database.
        Assert.Empty(Codes(Run("version: 1\n", null)));
    }

    [Theory]
    [InlineData("version: 1\nrules:\n  malware: warn\n")]
    [InlineData("version: 1\nrules:\n  malware: off\n")]
    [InlineData("version: 1\nallow:\n  - package: x\n    rules: [malware]\n    reason: r\n    expires: 2099-01-01\n")]
    [InlineData("version: 1\nrules:\n  advisories:\n    severity: error\n    ignore:\n      - id: GHSA-aaaa-bbbb-cccc\n        expires: 2099-01-01\n")]
    [InlineData("version: 1\nrules:\n  advisories:\n    severity: error\n    ignore:\n      - id: GHSA-aaaa-bbbb-cccc\n        reason: r\n")]
    [InlineData("version: 1\nrules:\n  advisories:\n    severity: error\n    threshold: severe\n")]
    public void Parse_WhenAdvisorySettingsWeakenOrLackFields_Throws(string yaml)
    {
        Assert.Throws<PolicyFormatException>(() => Parse(yaml));
    }
}
