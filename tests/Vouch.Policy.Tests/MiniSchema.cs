using System.Text.Json;
using System.Text.RegularExpressions;

namespace Vouch.Policy.Tests;

/// <summary>
/// A JSON Schema (2020-12) validator for the keywords docs/policy.schema.json uses: type, const,
/// enum, required, properties, additionalProperties, items, minItems, minLength, maxLength,
/// pattern, local $ref, oneOf, anyOf, not and boolean schemas. JsonSchema.Net does not restore
/// from the package mirror (its JsonPointer.Net dependency is missing), so the tests carry this.
/// Unknown keywords fail loudly so the schema cannot silently outgrow the validator.
/// </summary>
internal sealed class MiniSchema(JsonElement root)
{
    private static readonly HashSet<string> Annotations = ["$schema", "$id", "title", "description", "default", "$defs"];

    public List<string> Validate(JsonElement instance)
    {
        var errors = new List<string>();
        Check(root, instance, "$", errors);
        return errors;
    }

    private void Check(JsonElement schema, JsonElement value, string at, List<string> errors)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{at}: nothing is allowed here");
            return;
        }

        foreach (var k in schema.EnumerateObject())
        {
            var s = k.Value;
            switch (k.Name)
            {
                case var a when Annotations.Contains(a):
                    break;
                case "$ref":
                    Check(Resolve(s.GetString()!), value, at, errors);
                    break;
                case "type":
                    if (!TypeMatches(s.GetString()!, value))
                    {
                        errors.Add($"{at}: expected {s.GetString()}");
                    }

                    break;
                case "const":
                    if (!JsonElement.DeepEquals(s, value))
                    {
                        errors.Add($"{at}: expected {s}");
                    }

                    break;
                case "enum":
                    if (!s.EnumerateArray().Any(e => JsonElement.DeepEquals(e, value)))
                    {
                        errors.Add($"{at}: expected one of {s}");
                    }

                    break;
                case "required":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var r in s.EnumerateArray().Select(r => r.GetString()!).Where(r => !value.TryGetProperty(r, out _)))
                        {
                            errors.Add($"{at}: missing {r}");
                        }
                    }

                    break;
                case "properties":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var p in s.EnumerateObject())
                        {
                            if (value.TryGetProperty(p.Name, out var v))
                            {
                                Check(p.Value, v, $"{at}.{p.Name}", errors);
                            }
                        }
                    }

                    break;
                case "additionalProperties":
                    if (value.ValueKind == JsonValueKind.Object)
                    {
                        var known = schema.TryGetProperty("properties", out var props) ? props.EnumerateObject().Select(p => p.Name).ToHashSet() : [];
                        foreach (var p in value.EnumerateObject().Where(p => !known.Contains(p.Name)))
                        {
                            Check(s, p.Value, $"{at}.{p.Name}", errors);
                        }
                    }

                    break;
                case "items":
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        var i = 0;
                        foreach (var item in value.EnumerateArray())
                        {
                            Check(s, item, $"{at}[{i++}]", errors);
                        }
                    }

                    break;
                case "minItems":
                    if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() < s.GetInt32())
                    {
                        errors.Add($"{at}: fewer than {s} items");
                    }

                    break;
                case "minLength":
                    if (value.ValueKind == JsonValueKind.String && value.GetString()!.Length < s.GetInt32())
                    {
                        errors.Add($"{at}: shorter than {s}");
                    }

                    break;
                case "maxLength":
                    if (value.ValueKind == JsonValueKind.String && value.GetString()!.Length > s.GetInt32())
                    {
                        errors.Add($"{at}: longer than {s}");
                    }

                    break;
                case "pattern":
                    if (value.ValueKind == JsonValueKind.String && !Regex.IsMatch(value.GetString()!, s.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(5)))
                    {
                        errors.Add($"{at}: does not match {s}");
                    }

                    break;
                case "oneOf":
                    var passing = s.EnumerateArray().Count(sub => Passes(sub, value, at));
                    if (passing != 1)
                    {
                        errors.Add($"{at}: matches {passing} of oneOf");
                    }

                    break;
                case "anyOf":
                    if (!s.EnumerateArray().Any(sub => Passes(sub, value, at)))
                    {
                        errors.Add($"{at}: matches none of anyOf");
                    }

                    break;
                case "not":
                    if (Passes(s, value, at))
                    {
                        errors.Add($"{at}: matches a forbidden schema");
                    }

                    break;
                default:
                    throw new InvalidOperationException($"MiniSchema does not implement the keyword {k.Name}");
            }
        }
    }

    private bool Passes(JsonElement schema, JsonElement value, string at)
    {
        var errors = new List<string>();
        Check(schema, value, at, errors);
        return errors.Count == 0;
    }

    private JsonElement Resolve(string reference)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"only local references: {reference}");
        }

        var node = root;
        foreach (var part in reference[2..].Split('/'))
        {
            node = node.GetProperty(part);
        }

        return node;
    }

    private static bool TypeMatches(string type, JsonElement v) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
        "number" => v.ValueKind == JsonValueKind.Number,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => throw new InvalidOperationException($"unknown type {type}"),
    };
}
