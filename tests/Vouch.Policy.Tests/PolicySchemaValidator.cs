using System.Text.Json;
using Json.Schema;

namespace Vouch.Policy.Tests;

/// <summary>docs/policy.schema.json (draft 2020-12) evaluated by JsonSchema.Net 8.0.5.</summary>
internal sealed class PolicySchemaValidator(JsonElement root)
{
    private readonly JsonSchema _schema = JsonSchema.Build(root, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri("https://vouch.invalid/policy.schema.json"));

    /// <summary>Every violation (instance pointer: keyword: message); empty when valid.</summary>
    public List<string> Validate(JsonElement instance)
    {
        var results = _schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        var errors = (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"))
            .ToList();
        return errors.Count > 0 ? errors : [$"{results.InstanceLocation}: not valid"];
    }
}
