using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Vouch.Audit.Tests;

/// <summary>
/// The official SARIF 2.1.0 and CycloneDX 1.6 schemas, evaluated by JsonSchema.Net 8.0.5 (the last
/// version without a fee for companies). Schemas are registered under the URIs their <c>$ref</c>s use,
/// so CycloneDX's references to the SPDX and JSF schemas resolve offline.
/// <see cref="SchemaValidatorTests"/> shows each keyword Vouch relies on rejecting a bad value.
/// `format` is an annotation (draft 2019-09 and later; optional in draft-07) and is not asserted.
/// </summary>
internal sealed class SchemaValidator
{
    private readonly BuildOptions _build = new() { SchemaRegistry = new SchemaRegistry() };
    private readonly Dictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    /// <summary>Adds a schema document under the URI that references resolve to.</summary>
    public SchemaValidator Add(string uri, string json)
    {
        _schemas[uri] = JsonSchema.FromText(json, _build, new Uri(uri));
        return this;
    }

    /// <summary>Every violation (JSON pointer of the instance: what is wrong); empty when valid.</summary>
    public List<string> Validate(string rootUri, JsonNode? instance)
    {
        using var doc = JsonDocument.Parse(instance?.ToJsonString() ?? "null");
        var results = _schemas[rootUri].Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
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
