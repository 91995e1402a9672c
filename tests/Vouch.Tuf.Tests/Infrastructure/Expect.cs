using System.Text;
using System.Text.Json.Nodes;

namespace Vouch.Tuf.Tests.Infrastructure;

internal static class Expect
{
    public static T Success<T>(TufResult<T> result)
    {
        Assert.True(result.IsSuccess, $"expected success, got {result.Error}");
        return result.Value!;
    }

    public static TufError Failure<T>(TufResult<T> result, string code)
    {
        Assert.False(result.IsSuccess, $"expected {code}, got success");
        Assert.True(code == result.Error!.Code, $"expected {code}, got {result.Error}");
        return result.Error;
    }

    /// <summary>Edits the unsigned part of a served document (signatures), leaving the signed bytes intact.</summary>
    public static byte[] EditSignatures(byte[] document, Action<JsonArray> edit)
    {
        var json = JsonNode.Parse(document)!.AsObject();
        edit(json["signatures"]!.AsArray());
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
