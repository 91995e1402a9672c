namespace Vouch.Policy.Tests;

/// <summary>Issue 19: <c>mode: report</c> on a rule, parsed and merged through extends.</summary>
public sealed class DryRunModeTests
{
    [Fact]
    public void Parse_WhenRuleHasModeReport_MarksRuleReportOnly()
    {
        var policy = PolicyLoader.Parse("version: 1\nrules:\n  install-scripts: { severity: error, mode: report }\n  trust-downgrade: { severity: error, mode: enforce }\n", "p.yml");
        Assert.Contains("install-scripts", policy.Rules.ReportOnly);
        Assert.DoesNotContain("trust-downgrade", policy.Rules.ReportOnly);
    }

    [Theory]
    [InlineData("version: 1\nrules:\n  install-scripts: { severity: error, mode: dry }\n", "enforce or report")]
    [InlineData("version: 1\nrules:\n  malware: { severity: error, mode: report }\n", "malware")]
    [InlineData("version: 1\nrules:\n  install-scripts: { severity: error, mode: [report] }\n", "mode")]
    public void Parse_WhenModeIsInvalid_Fails(string yaml, string expected)
    {
        var e = Assert.Throws<PolicyFormatException>(() => PolicyLoader.Parse(yaml, "p.yml"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlay_WhenChildRedefinesRuleWithoutMode_EnforcesIt()
    {
        var parent = PolicyLoader.Parse("version: 1\nrules:\n  install-scripts: { severity: error, mode: report }\n  deprecated: { severity: error, mode: report }\n", "parent.yml");
        var child = PolicyLoader.Parse("version: 1\nrules:\n  install-scripts: error\n", "child.yml");
        var merged = parent.Rules.Overlay(child.Rules);
        Assert.DoesNotContain("install-scripts", merged.ReportOnly);
        Assert.Contains("deprecated", merged.ReportOnly);
    }
}
