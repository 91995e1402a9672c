using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Common.Json;

/// <summary>
/// The one JSON reader (issue 13): every JSON document Vouch reads — registry documents, Sigstore
/// bundles and statements, TUF metadata, OSV records, request bodies, its own caches — is parsed
/// with these options. The same rules everywhere: a depth cap chosen by the layer that knows the
/// format, no comments, no trailing commas, and no duplicate property names (two readers that
/// resolve <c>{"a":1,"a":2}</c> differently would see two different documents under one
/// signature). Typed access on top stays in each layer (Npm's tolerant <c>JsonRead</c>, TUF's
/// strict one, Sigstore's <c>JsonFields</c>), each with its own error codes.
/// </summary>
public static class JsonInput
{
    public static JsonDocumentOptions Options(int maxDepth) => new()
    {
        MaxDepth = maxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        AllowDuplicateProperties = false,
    };

    /// <exception cref="JsonException">Not JSON, too deep, or a property name repeated in one object.</exception>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, int maxDepth) => JsonDocument.Parse(utf8, Options(maxDepth));

    /// <inheritdoc cref="Parse(ReadOnlyMemory{byte}, int)"/>
    public static JsonDocument Parse(string text, int maxDepth) => JsonDocument.Parse(text, Options(maxDepth));

    /// <inheritdoc cref="Parse(ReadOnlyMemory{byte}, int)"/>
    public static JsonNode? ParseNode(ReadOnlySpan<byte> utf8, int maxDepth) => JsonNode.Parse(utf8, documentOptions: Options(maxDepth));

    /// <inheritdoc cref="Parse(ReadOnlyMemory{byte}, int)"/>
    public static JsonNode? ParseNode(string text, int maxDepth) => JsonNode.Parse(text, documentOptions: Options(maxDepth));
}
