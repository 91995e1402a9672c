using System.Text;
using System.Text.Json.Nodes;
using static Vouch.Advisories.Tests.TestRecords;

namespace Vouch.Advisories.Tests;

/// <summary>Tampered copies of real records: each change must be refused with the field named.</summary>
public sealed class OsvParserTests
{
    private static OsvParseResult Tampered(string id, Action<JsonObject> tamper)
    {
        var node = JsonNode.Parse(Fixture(id))!.AsObject();
        tamper(node);
        return OsvParser.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()));
    }

    [Fact]
    public void Parse_WhenIdMissing_ReportsIt()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n => n.Remove("id"));
        Assert.False(r.IsOk);
        Assert.Contains("$.id: missing", r.Errors);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("GHSA x")]
    [InlineData("")]
    public void Parse_WhenIdHasPathCharacters_Refuses(string bad)
    {
        var r = Tampered("MAL-2025-15245", n => n["id"] = bad);
        Assert.False(r.IsOk);
        Assert.Contains(r.Errors, e => e.StartsWith("$.id", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenModifiedIsNotRfc3339_Refuses()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n => n["modified"] = "yesterday");
        Assert.Contains(r.Errors, e => e.StartsWith("$.modified", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenEventVersionIsNotSemver_RefusesNamingThePath()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n => n["affected"]![0]!["ranges"]![0]!["events"]![1]!["fixed"] = "7.5");
        Assert.False(r.IsOk);
        Assert.Contains("$.affected[0].ranges[0].events[1].fixed: '7.5' is not a semantic version", r.Errors);
    }

    [Fact]
    public void Parse_WhenEventHasTwoKinds_Refuses()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n => n["affected"]![0]!["ranges"]![0]!["events"]![1]!["introduced"] = "7.1.0");
        Assert.Contains(r.Errors, e => e.Contains("exactly one", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenRangeHasNoIntroduced_Refuses()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n => n["affected"]![0]!["ranges"]![0]!["events"]!.AsArray().RemoveAt(0));
        Assert.Contains(r.Errors, e => e.Contains("no introduced event", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenUnknownEventKind_Refuses()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n =>
        {
            var ev = n["affected"]![0]!["ranges"]![0]!["events"]![1]!.AsObject();
            ev.Remove("fixed");
            ev["fixd"] = "7.5.2";
        });
        Assert.Contains(r.Errors, e => e.Contains("unknown event", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenDuplicateKeys_Refuses()
    {
        var json = Encoding.UTF8.GetString(Fixture("MAL-2025-15245")).Replace("\"id\":", "\"id\": \"MAL-2099-1\", \"id\":", StringComparison.Ordinal);
        Assert.False(OsvParser.Parse(Encoding.UTF8.GetBytes(json)).IsOk);
    }

    [Fact]
    public void Parse_WhenTrailingGarbage_Refuses()
    {
        var bytes = Fixture("MAL-2025-15245").Concat("{}"u8.ToArray()).ToArray();
        Assert.False(OsvParser.Parse(bytes).IsOk);
    }

    [Fact]
    public void Parse_WhenOverSizeCap_RefusesWithoutParsing()
    {
        var r = OsvParser.Parse(new byte[AdvisoryLimits.MaxRecordBytes + 1]);
        Assert.Contains(r.Errors, e => e.Contains("cap", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenNestedTooDeep_Refuses()
    {
        var deep = new string('[', 200) + new string(']', 200);
        var json = $$"""{"id":"X-1","modified":"2024-01-01T00:00:00Z","database_specific":{{deep}}}""";
        Assert.False(OsvParser.Parse(Encoding.UTF8.GetBytes(json)).IsOk);
    }

    [Fact]
    public void Parse_WhenOnlyOtherEcosystems_HasNoAffectedEntries()
    {
        var r = Tampered("GHSA-c2qf-rxjj-qqgw", n =>
        {
            foreach (var a in n["affected"]!.AsArray())
            {
                a!["package"]!["ecosystem"] = "PyPI";
            }
        });
        Assert.True(r.IsOk);
        Assert.Empty(r.Record!.Affected);
    }

    [Fact]
    public void Parse_WhenFixedIsEmptyString_ReadsAnOpenRangeWithWarning()
    {
        var r = Parse(Record("GHSA-old-1", "flatmap-stream", "\"ranges\":[" + Range("ECOSYSTEM", """{"introduced":"0"}""", """{"fixed":""}""") + "]"));
        Assert.True(Affects(r, "flatmap-stream", "0.1.1"));
        Assert.Contains(r.Warnings, w => w.Contains("empty version", StringComparison.Ordinal));
    }

    [Fact]
    public void IsMalware_WhenAnAliasIsMal_IsTrue()
    {
        var r = Parse(Record("GHSA-aaaa-bbbb-cccc", "x", "\"versions\":[\"1.0.0\"]", extra: ",\"aliases\":[\"MAL-2025-1\"]"));
        Assert.True(r.IsMalware);
    }
}

public sealed class Cvss3Tests
{
    [Theory]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)]
    [InlineData("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.3)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1)]
    [InlineData("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L", 5.0)]
    [InlineData("CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:H/I:N/A:N", 4.4)]
    [InlineData("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0)]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 9.8)]
    public void TryScore_WhenValidVector_GivesTheBaseScore(string vector, double expected)
    {
        Assert.True(Cvss3.TryScore(vector, out var score));
        Assert.Equal(expected, score);
    }

    [Theory]
    [InlineData("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X")]
    [InlineData("CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1")]
    [InlineData("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")]
    [InlineData("")]
    public void TryScore_WhenVectorIsTamperedOrOtherVersion_Refuses(string vector)
    {
        Assert.False(Cvss3.TryScore(vector, out _));
    }
}
