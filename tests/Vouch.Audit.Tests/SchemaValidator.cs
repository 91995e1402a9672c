using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Vouch.Audit.Tests;

/// <summary>
/// A JSON Schema validator for the keywords the official SARIF 2.1.0 and CycloneDX 1.6 schemas use
/// (type, properties, required, additionalProperties, items, additionalItems, enum, const, $ref across
/// documents, allOf/anyOf/oneOf, if/then/else, pattern, min/max length, items, value). The JsonSchema.Net
/// package cannot be restored here (its JsonPointer.Net dependency is missing from the package mirror),
/// so the tests carry this one; <see cref="SchemaValidatorTests"/> shows each keyword rejecting a bad value.
/// `format` is an annotation (draft 2019-09 and later; optional in draft-07) and is not asserted.
/// </summary>
internal sealed class SchemaValidator
{
    private readonly Dictionary<string, JsonNode> _documents = new(StringComparer.Ordinal);

    /// <summary>Adds a schema document under the URI that references resolve to.</summary>
    public SchemaValidator Add(string uri, string json)
    {
        _documents[uri] = JsonNode.Parse(json)!;
        return this;
    }

    /// <summary>Every violation (JSON pointer of the instance: what is wrong); empty when valid.</summary>
    public List<string> Validate(string rootUri, JsonNode? instance)
    {
        var errors = new List<string>();
        Check(_documents[rootUri], rootUri, instance, "", errors, 0);
        return errors;
    }

    private void Check(JsonNode? schema, string docUri, JsonNode? value, string at, List<string> errors, int depth)
    {
        if (depth > 200)
        {
            throw new InvalidOperationException("schema recursion too deep");
        }

        if (schema is JsonValue b && b.TryGetValue<bool>(out var allowed))
        {
            if (!allowed)
            {
                errors.Add($"{at}: not allowed here");
            }

            return;
        }

        if (schema is not JsonObject s)
        {
            return;
        }

        if (s["$ref"] is JsonValue r)
        {
            var (target, targetDoc) = Resolve((string)r!, docUri);
            Check(target, targetDoc, value, at, errors, depth + 1);
        }

        if (s["type"] is { } type)
        {
            var types = type is JsonArray ta ? ta.Select(t => (string)t!).ToList() : [(string)type!];
            if (!types.Any(t => IsType(value, t)))
            {
                errors.Add($"{at}: expected {string.Join("|", types)}, got {Kind(value)}");
                return;
            }
        }

        if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
        {
            errors.Add($"{at}: {value?.ToJsonString()} is not one of the allowed values");
        }

        if (s.ContainsKey("const") && !JsonNode.DeepEquals(s["const"], value))
        {
            errors.Add($"{at}: must be {s["const"]?.ToJsonString()}");
        }

        foreach (var sub in s["allOf"] as JsonArray ?? [])
        {
            Check(sub, docUri, value, at, errors, depth + 1);
        }

        if (s["anyOf"] is JsonArray anyOf && !anyOf.Any(sub => Passes(sub, docUri, value, at, depth)))
        {
            errors.Add($"{at}: matches none of anyOf");
        }

        if (s["oneOf"] is JsonArray oneOf)
        {
            var n = oneOf.Count(sub => Passes(sub, docUri, value, at, depth));
            if (n != 1)
            {
                errors.Add($"{at}: matches {n} of oneOf, expected exactly 1");
            }
        }

        if (s["not"] is { } not && Passes(not, docUri, value, at, depth))
        {
            errors.Add($"{at}: matches a schema it must not");
        }

        if (s["if"] is { } condition)
        {
            var branch = Passes(condition, docUri, value, at, depth) ? s["then"] : s["else"];
            if (branch is not null)
            {
                Check(branch, docUri, value, at, errors, depth + 1);
            }
        }

        switch (value)
        {
            case JsonObject o:
                CheckObject(s, docUri, o, at, errors, depth);
                break;
            case JsonArray a:
                CheckArray(s, docUri, a, at, errors, depth);
                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                var length = new System.Globalization.StringInfo(text).LengthInTextElements;
                if (s["minLength"] is { } minLength && length < (int)minLength)
                {
                    errors.Add($"{at}: shorter than {minLength}");
                }

                if (s["maxLength"] is { } maxLength && length > (int)maxLength)
                {
                    errors.Add($"{at}: longer than {maxLength}");
                }

                if (s["pattern"] is { } pattern && !Regex.IsMatch(text, (string)pattern!))
                {
                    errors.Add($"{at}: '{text}' does not match {pattern}");
                }

                break;
            case JsonValue v when IsType(v, "number"):
                var number = v.GetValue<double>();
                if (s["minimum"] is { } min && number < (double)min)
                {
                    errors.Add($"{at}: below {min}");
                }

                if (s["maximum"] is { } max && number > (double)max)
                {
                    errors.Add($"{at}: above {max}");
                }

                break;
        }
    }

    private void CheckObject(JsonObject s, string docUri, JsonObject o, string at, List<string> errors, int depth)
    {
        foreach (var required in s["required"] as JsonArray ?? [])
        {
            if (!o.ContainsKey((string)required!))
            {
                errors.Add($"{at}: required property '{required}' is missing");
            }
        }

        var properties = s["properties"] as JsonObject;
        var patterns = s["patternProperties"] as JsonObject;
        foreach (var (name, child) in o)
        {
            var matched = false;
            if (properties?[name] is { } propertySchema || properties?.ContainsKey(name) == true)
            {
                matched = true;
                Check(properties![name], docUri, child, $"{at}/{name}", errors, depth + 1);
            }

            foreach (var (pattern, patternSchema) in patterns ?? [])
            {
                if (Regex.IsMatch(name, pattern))
                {
                    matched = true;
                    Check(patternSchema, docUri, child, $"{at}/{name}", errors, depth + 1);
                }
            }

            if (!matched && s.ContainsKey("additionalProperties"))
            {
                Check(s["additionalProperties"], docUri, child, $"{at}/{name}", errors, depth + 1);
            }
        }
    }

    private void CheckArray(JsonObject s, string docUri, JsonArray a, string at, List<string> errors, int depth)
    {
        if (s["minItems"] is { } minItems && a.Count < (int)minItems)
        {
            errors.Add($"{at}: fewer than {minItems} items");
        }

        if (s["maxItems"] is { } maxItems && a.Count > (int)maxItems)
        {
            errors.Add($"{at}: more than {maxItems} items");
        }

        if (s["uniqueItems"] is JsonValue u && u.GetValue<bool>())
        {
            for (var i = 0; i < a.Count; i++)
            {
                for (var j = i + 1; j < a.Count; j++)
                {
                    if (JsonNode.DeepEquals(a[i], a[j]))
                    {
                        errors.Add($"{at}: items {i} and {j} are equal");
                    }
                }
            }
        }

        switch (s["items"])
        {
            case JsonArray tuple:
                for (var i = 0; i < a.Count; i++)
                {
                    Check(i < tuple.Count ? tuple[i] : s["additionalItems"], docUri, a[i], $"{at}/{i}", errors, depth + 1);
                }

                break;
            case { } items:
                for (var i = 0; i < a.Count; i++)
                {
                    Check(items, docUri, a[i], $"{at}/{i}", errors, depth + 1);
                }

                break;
        }
    }

    private bool Passes(JsonNode? schema, string docUri, JsonNode? value, string at, int depth)
    {
        var errors = new List<string>();
        Check(schema, docUri, value, at, errors, depth + 1);
        return errors.Count == 0;
    }

    private (JsonNode? Schema, string DocUri) Resolve(string reference, string docUri)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var docPart = hash < 0 ? reference : reference[..hash];
        var pointer = hash < 0 ? "" : reference[(hash + 1)..];
        var uri = docPart.Length == 0 ? docUri : new Uri(new Uri(docUri), docPart).ToString();
        if (!_documents.TryGetValue(uri, out var node))
        {
            throw new InvalidOperationException($"unknown schema document {uri} (from $ref {reference})");
        }

        foreach (var token in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = Uri.UnescapeDataString(token).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node is JsonArray arr ? arr[int.Parse(name, System.Globalization.CultureInfo.InvariantCulture)] : node?[name];
            if (node is null)
            {
                throw new InvalidOperationException($"$ref {reference} points at nothing");
            }
        }

        return (node, uri);
    }

    private static bool IsType(JsonNode? value, string type) => type switch
    {
        "null" => value is null,
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.TryGetValue<string>(out _),
        "boolean" => value is JsonValue v && v.TryGetValue<bool>(out _),
        "integer" => value is JsonValue v && !v.TryGetValue<string>(out _) && !v.TryGetValue<bool>(out _) && v.TryGetValue<double>(out var d) && Math.Floor(d) == d,
        "number" => value is JsonValue v && !v.TryGetValue<string>(out _) && !v.TryGetValue<bool>(out _) && v.TryGetValue<double>(out _),
        _ => throw new InvalidOperationException($"unknown type {type}"),
    };

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind().ToString().ToLowerInvariant(),
    };
}
