using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vouch.Policy.Tests;

/// <summary>The shipped examples parse with Vouch and validate against docs/policy.schema.json.</summary>
public sealed class SchemaTests
{
    private static readonly JsonDocument SchemaDocument = JsonDocument.Parse(File.ReadAllText(Path.Combine(PolicyParserTests.DocsDir(), "policy.schema.json")));
    private static readonly PolicySchemaValidator Schema = new(SchemaDocument.RootElement);

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(PolicyParserTests.DocsDir(), "examples"), "*.vouch.policy.yml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_WhenValidatedAgainstSchema_IsValid(string file)
    {
        var path = Path.Combine(PolicyParserTests.DocsDir(), "examples", file);
        var errors = Validate(File.ReadAllText(path));
        Assert.True(errors.Count == 0, string.Join("; ", errors));
        PolicyLoader.Load(path);
    }

    [Theory]
    [InlineData("version: 1\nallow:\n  - package: x\n    reason: r\n")]
    [InlineData("version: 1\nrules:\n  provenance: fatal\n")]
    [InlineData("version: 1\nrules:\n  provenanse: error\n")]
    [InlineData("version: 1\nextends: https://example.com/p.yml\n")]
    [InlineData("version: 1\ndeny:\n  - package: x\n    rules: [signature]\n    reason: r\n    expires: 2025-01-01\n")]
    [InlineData("version: 1\nrules:\n  source:\n    severity: error\n    allowed:\n      - packages: ['@a/*']\n")]
    [InlineData("version: 1\nrules:\n  reviews:\n    severity: error\n    require:\n      - packages: '*'\n        criteria: safe-to-run\n    trust-depth: 9\n")]
    [InlineData("version: 1\nrules:\n  reviews:\n    severity: error\n    require: []\n")]
    public void Schema_WhenPolicyIsOneVouchRejects_RejectsItToo(string yaml)
    {
        Assert.Throws<PolicyFormatException>(() => PolicyLoader.Parse(yaml, "p.yml"));
        Assert.NotEmpty(Validate(yaml));
    }

    private static List<string> Validate(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var json = ToJson(stream.Documents[0].RootNode);
        using var doc = JsonDocument.Parse(json?.ToJsonString() ?? "null");
        return Schema.Validate(doc.RootElement);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" } => JsonValue.Create(true),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "false" } => JsonValue.Create(false),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: { } v } when long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        YamlScalarNode sc => JsonValue.Create(sc.Value),
        _ => null,
    };
}
