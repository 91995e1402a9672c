using System.Globalization;

namespace Vouch.Advisories.Tests;

public sealed class Cvss4Tests
{
    // Expected scores are those of FIRST's reference calculator (first.org/cvss/calculator/4.0, whose code is
    // github.com/FIRSTdotorg/cvss-v4-calculator): the first two are the specification's all-high examples;
    // the 2.3 and 8.7 vectors are GitHub's for GHSA-cm22-4g7w-348p and GHSA-qwcr-r2fm-qrc7 (../shared/fixtures/osv);
    // the BTE one (threat, environmental and supplemental metrics) exercises every modified-metric rule.
    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:L", 2.3)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", 8.7)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9)]
    [InlineData("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0)]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 9.1)]
    [InlineData("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/MPR:N/MVI:H/MVA:N/MSI:H/MSA:N/S:N/V:C/U:Amber", 4.7)]
    public void TryScore_WhenSpecificationExample_MatchesFirstCalculator(string vector, double expected)
    {
        Assert.True(Cvss4.TryScore(vector, out var score, out var error), error);
        Assert.Equal(expected, score);
    }

    [Fact]
    public void TryScore_WhenFirstCalculatorSample_MatchesEveryScore()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "cvss4-first-calculator.txt")).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(1500, lines.Count);
        var wrong = new List<string>();
        foreach (var line in lines)
        {
            var (vector, expected) = (line[..line.IndexOf(' ', StringComparison.Ordinal)], double.Parse(line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture));
            if (!Cvss4.TryScore(vector, out var score, out var error) || score != expected)
            {
                wrong.Add($"{vector}: expected {expected}, got {score} {error}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(20)));
    }

    /// <summary>
    /// The full differential run (every base vector and 20,000 BTE vectors) against FIRST's calculator: set
    /// VOUCH_CVSS4_ORACLE to files of "VECTOR SCORE" lines produced by running the calculator's JavaScript.
    /// </summary>
    [Fact]
    public void TryScore_WhenOracleFilesGiven_MatchesEveryScore()
    {
        var files = Environment.GetEnvironmentVariable("VOUCH_CVSS4_ORACLE");
        if (string.IsNullOrEmpty(files))
        {
            return;
        }

        var count = 0;
        var wrong = new List<string>();
        foreach (var line in files.Split(Path.PathSeparator).SelectMany(File.ReadLines))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var expected = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            count++;
            if (!Cvss4.TryScore(line[..space], out var score, out _) || score != expected)
            {
                wrong.Add($"{line}: got {score}");
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {count} differ:\n" + string.Join("\n", wrong.Take(20)));
    }

    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H", "missing base metric SA")]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:S", "SA cannot be 'S'")]
    [InlineData("CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "AV is out of the specification's order")]
    [InlineData("CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "AV appears twice")]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/ZZ:X", "unknown metric 'ZZ'")]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/", "unknown metric ''")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "does not start with CVSS:4.0/")]
    [InlineData("cvss:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "does not start with CVSS:4.0/")]
    [InlineData("CVSS:4.0/AV:n/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "AV cannot be 'n'")]
    public void TryScore_WhenVectorTampered_RefusesWithReason(string vector, string reason)
    {
        Assert.False(Cvss4.TryScore(vector, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void SeverityOf_WhenOnlyCvss4Vector_ScoresItWithSourceCvssV4()
    {
        var record = TestRecords.Parse(TestRecords.Record("GHSA-aaaa-bbbb-cccc", "x", "\"versions\":[\"1.0.0\"]",
            extra: ",\"severity\":[{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:L\"}]"));

        var severity = AdvisorySeverity.Of(record);

        Assert.Equal((SeverityLevel.Low, 2.3, SeveritySource.CvssV4), (severity.Level, severity.Score!.Value, severity.Source));
        Assert.Empty(severity.Problems);
    }

    [Fact]
    public void SeverityOf_WhenBothVectors_PrefersCvss3()
    {
        var severity = AdvisorySeverity.Of(TestRecords.ParseFixture("GHSA-qwcr-r2fm-qrc7"));

        Assert.Equal((SeveritySource.CvssV3, 7.5), (severity.Source, severity.Score!.Value));
    }

    [Fact]
    public void SeverityOf_WhenCvss4VectorMalformed_FallsBackAndReportsCode()
    {
        var record = TestRecords.Parse(TestRecords.Record("GHSA-aaaa-bbbb-cccc", "x", "\"versions\":[\"1.0.0\"]",
            extra: ",\"severity\":[{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:Q\"}],\"database_specific\":{\"severity\":\"LOW\"}"));

        var severity = AdvisorySeverity.Of(record);

        Assert.Equal(SeveritySource.Database, severity.Source);
        Assert.Equal(SeverityLevel.Low, severity.Level);
        Assert.Contains(severity.Problems, p => p.StartsWith(AdvisoryCodes.CvssVectorMalformed + ": CVSS_V4", StringComparison.Ordinal) && p.Contains("SA cannot be 'Q'", StringComparison.Ordinal));
    }
}
