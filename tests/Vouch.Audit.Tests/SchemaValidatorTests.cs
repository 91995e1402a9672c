using System.Text.Json.Nodes;

namespace Vouch.Audit.Tests;

/// <summary>Each keyword the report schemas rely on accepts a good value and rejects a bad one through <see cref="SchemaValidator"/>.</summary>
public sealed class SchemaValidatorTests
{
    private const string Schema = """
        {
          "$schema": "http://json-schema.org/draft-07/schema#",
          "definitions": {
            "hex": { "type": "string", "pattern": "^[0-9a-f]+$", "minLength": 2, "maxLength": 4 },
            "level": { "enum": ["error", "warning"] }
          },
          "type": "object",
          "required": ["kind"],
          "additionalProperties": false,
          "properties": {
            "kind": { "const": "k" },
            "hex": { "$ref": "#/definitions/hex" },
            "level": { "$ref": "#/definitions/level" },
            "count": { "type": "integer", "minimum": 1, "maximum": 3 },
            "list": { "type": "array", "minItems": 1, "uniqueItems": true, "items": { "type": "string" } },
            "either": { "oneOf": [ { "type": "string" }, { "type": "integer" } ] },
            "any": { "anyOf": [ { "type": "boolean" }, { "type": "null" } ] },
            "other": { "$ref": "other.json#/definitions/x" },
            "cond": { "if": { "properties": { "a": { "const": 1 } } }, "then": { "required": ["b"] } }
          }
        }
        """;

    private static List<string> Validate(string json) =>
        new SchemaValidator()
            .Add("http://example.test/s.json", Schema)
            .Add("http://example.test/other.json", """{ "$schema": "http://json-schema.org/draft-07/schema#", "definitions": { "x": { "type": "boolean" } } }""")
            .Validate("http://example.test/s.json", JsonNode.Parse(json));

    [Fact]
    public void Validate_WhenInstanceConforms_HasNoErrors() =>
        Assert.Empty(Validate("""{ "kind": "k", "hex": "0a", "level": "error", "count": 2, "list": ["a", "b"], "either": 3, "any": null, "other": true, "cond": { "a": 1, "b": 0 } }"""));

    [Theory]
    [InlineData("""{ }""")]
    [InlineData("""{ "kind": "x" }""")]
    [InlineData("""{ "kind": "k", "extra": 1 }""")]
    [InlineData("""{ "kind": "k", "hex": "zz" }""")]
    [InlineData("""{ "kind": "k", "hex": "a" }""")]
    [InlineData("""{ "kind": "k", "hex": "abcde" }""")]
    [InlineData("""{ "kind": "k", "level": "fatal" }""")]
    [InlineData("""{ "kind": "k", "count": 1.5 }""")]
    [InlineData("""{ "kind": "k", "count": 0 }""")]
    [InlineData("""{ "kind": "k", "count": 4 }""")]
    [InlineData("""{ "kind": "k", "list": [] }""")]
    [InlineData("""{ "kind": "k", "list": ["a", "a"] }""")]
    [InlineData("""{ "kind": "k", "list": [1] }""")]
    [InlineData("""{ "kind": "k", "either": true }""")]
    [InlineData("""{ "kind": "k", "any": "s" }""")]
    [InlineData("""{ "kind": "k", "other": "s" }""")]
    [InlineData("""{ "kind": "k", "cond": { "a": 1 } }""")]
    [InlineData("""[]""")]
    public void Validate_WhenInstanceBreaksAKeyword_ReportsIt(string json) => Assert.NotEmpty(Validate(json));
}
