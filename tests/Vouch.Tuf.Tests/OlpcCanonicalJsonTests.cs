using System.Text;
using System.Text.Json;
using Vouch.Tuf.Json;
using Vouch.Tuf.Metadata;

namespace Vouch.Tuf.Tests;

public sealed class OlpcCanonicalJsonTests
{
    [Theory]
    [InlineData("{ \"b\": 1, \"a\": [true, false, null] }", "{\"a\":[true,false,null],\"b\":1}")]
    [InlineData("{\"z\":{\"y\":-0,\"x\":-12}}", "{\"z\":{\"x\":-12,\"y\":0}}")]
    [InlineData("[\"quote \\\" backslash \\\\ slash \\/\"]", "[\"quote \\\" backslash \\\\ slash /\"]")]
    [InlineData("\"line\\nfeed\\ttab\"", "\"line\nfeed\ttab\"")]
    [InlineData("\"\\u00e9\"", "\"é\"")]
    [InlineData("{}", "{}")]
    public void Encode_WhenGivenJson_WritesOlpcCanonicalForm(string input, string expected)
    {
        using var document = JsonDocument.Parse(input);

        var encoded = OlpcCanonicalJson.Encode(document.RootElement);

        Assert.Equal(expected, Encoding.UTF8.GetString(encoded));
    }

    [Fact]
    public void Encode_WhenKeysMixSurrogatePairsAndHighBmp_SortsByCodePoint()
    {
        // UTF-16 ordinal order would put U+1F600 (a surrogate pair) before U+E000; code point order does not.
        using var document = JsonDocument.Parse("{\"\\ud83d\\ude00\":1,\"\\ue000\":2}");

        var encoded = Encoding.UTF8.GetString(OlpcCanonicalJson.Encode(document.RootElement));

        Assert.Equal("{\"\ue000\":2,\"\U0001F600\":1}", encoded);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("1.0")]
    public void Encode_WhenNumberIsNotAnInteger_FailsMalformed(string number)
    {
        using var document = JsonDocument.Parse($"{{\"n\":{number}}}");

        var error = Assert.Throws<TufException>(() => OlpcCanonicalJson.Encode(document.RootElement));

        Assert.Equal(TufErrorCodes.Malformed, error.Code);
    }

    [Fact]
    public void Parse_WhenSignedHasDuplicateProperty_FailsMalformed()
    {
        var json = """{"signatures":[],"signed":{"_type":"timestamp","_type":"root"}}""";

        var error = Assert.Throws<TufException>(() => TimestampMetadata.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(TufErrorCodes.Malformed, error.Code);
    }

    [Theory]
    [InlineData("""{"signatures":[],"signed":{"_type":"timestamp","spec_version":"2.0.0","version":1,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}}""", "spec_version")]
    [InlineData("""{"signatures":[],"signed":{"_type":"timestamp","spec_version":"1.0.31","version":0,"expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}}""", "version")]
    [InlineData("""{"signatures":[],"signed":{"_type":"timestamp","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00+01:00","meta":{"snapshot.json":{"version":1}}}}""", "expires")]
    [InlineData("""{"signatures":[],"signed":{"_type":"timestamp","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","meta":{}}}""", "snapshot.json")]
    [InlineData("""{"signatures":[],"signed":{"_type":"timestamp","spec_version":"1.0.31","version":"1","expires":"2030-01-01T00:00:00Z","meta":{"snapshot.json":{"version":1}}}}""", "version")]
    public void Parse_WhenTimestampFieldIsInvalid_FailsMalformedNamingTheField(string json, string field)
    {
        var error = Assert.Throws<TufException>(() => TimestampMetadata.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(TufErrorCodes.Malformed, error.Code);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenRoleThresholdIsZero_FailsMalformed()
    {
        var json = """
            {"signatures":[],"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z",
             "consistent_snapshot":true,"keys":{},
             "roles":{"root":{"keyids":[],"threshold":0},"timestamp":{"keyids":[],"threshold":1},
                      "snapshot":{"keyids":[],"threshold":1},"targets":{"keyids":[],"threshold":1}}}}
            """;

        var error = Assert.Throws<TufException>(() => RootMetadata.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("threshold", error.Message, StringComparison.Ordinal);
    }
}
