using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

public sealed class ExceptionTests
{
    private const string Policy = """
        version: 1
        rules:
          provenance:
            severity: error
            packages: ['legacy-*']
        allow:
          - package: legacy-lib
            versions: '^1.0.0'
            rules: [provenance]
            reason: vendor publishes from a laptop; ticket SEC-12
            expires: 2025-03-31
        deny:
          - package: event-stream
            versions: 3.3.6
            reason: flatmap-stream malware
            expires: 2025-01-01
        """;

    private static PolicySubject Subject(string name, string version)
    {
        var p = new PackumentBuilder(name).Version(version, Day("2024-01-01")).Build();
        return new PolicySubject { Report = Reports.For(p, version), Packument = p };
    }

    [Fact]
    public void Allow_WhenUnexpired_ExemptsTheRule()
    {
        var verdict = Evaluate(Policy, Subject("legacy-lib", "1.2.0"), Day("2025-03-31"));
        Assert.True(verdict.Allowed);
        Assert.Empty(verdict.Findings);
    }

    [Fact]
    public void Allow_WhenExpired_StopsExemptingAndSaysSo()
    {
        var verdict = Evaluate(Policy, Subject("legacy-lib", "1.2.0"), Day("2025-04-01"));
        Assert.False(verdict.Allowed);
        Assert.Equal([PolicyCodes.ProvenanceRequired, PolicyCodes.ExceptionExpired], verdict.Findings.Select(f => f.Code));
        Assert.Contains("expired on 2025-03-31", verdict.Findings[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_WhenVersionOutsideRangeOrOtherPackage_DoesNotExempt()
    {
        Assert.False(Evaluate(Policy, Subject("legacy-lib", "2.0.0"), Day("2025-01-01")).Allowed);
        Assert.False(Evaluate(Policy, Subject("legacy-other", "1.0.0"), Day("2025-01-01")).Allowed);
    }

    [Fact]
    public void Allow_WhenEntryNamesOtherRule_DoesNotExempt()
    {
        var yaml = Policy.Replace("rules: [provenance]", "rules: [signature]", StringComparison.Ordinal);
        Assert.False(Evaluate(yaml, Subject("legacy-lib", "1.2.0"), Day("2025-01-01")).Allowed);
    }

    [Fact]
    public void Deny_WhenMatches_RefusesAndKeepsRefusingAfterExpiry()
    {
        var before = Evaluate(Policy, Subject("event-stream", "3.3.6"), Day("2024-12-01"));
        Assert.Equal([PolicyCodes.Denied], before.Findings.Select(f => f.Code));
        Assert.Contains("flatmap-stream", before.Findings[0].Message, StringComparison.Ordinal);

        var after = Evaluate(Policy, Subject("event-stream", "3.3.6"), Day("2025-02-01"));
        Assert.False(after.Allowed);
        Assert.Equal([PolicyCodes.Denied, PolicyCodes.ExceptionExpired], after.Findings.Select(f => f.Code));

        Assert.True(Evaluate(Policy, Subject("event-stream", "3.3.5"), Day("2024-12-01")).Allowed);
    }

    [Fact]
    public void Deny_WhenAllowAlsoMatches_StillRefuses()
    {
        var withAllow = """
            version: 1
            allow:
              - package: event-stream
                reason: override attempt
                expires: 2099-01-01
            deny:
              - package: event-stream
                reason: malware
                expires: 2099-01-01
            """;
        Assert.False(Evaluate(withAllow, Subject("event-stream", "3.3.6"), Day("2024-12-01")).Allowed);
    }
}
