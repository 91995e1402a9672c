using System.Security.Cryptography;

namespace Vouch.Sri;

/// <summary>The hash algorithms the W3C SRI recommendation requires browsers to support.</summary>
public enum SriAlgorithm
{
    Sha256 = 256,
    Sha384 = 384,
    Sha512 = 512,
}

/// <summary>One whitespace-separated token of an integrity attribute, as a browser reads it.</summary>
public sealed record SriToken(string Text, SriAlgorithm? Algorithm, byte[]? Digest, string? Problem)
{
    /// <summary>A token a browser enforces: a supported algorithm and a digest of the right length.</summary>
    public bool IsUsable => Algorithm is not null && Digest is not null;

    /// <summary>Known algorithm names browsers ignore (sha1, md5): not malformed, but no protection.</summary>
    public bool IsWeak { get; init; }
}

/// <summary>
/// An integrity attribute value parsed the way browsers do: unknown or broken tokens are ignored,
/// so a value whose tokens are all ignored protects nothing, although it looks like it does.
/// </summary>
public sealed class SriIntegrity
{
    private SriIntegrity(string raw, IReadOnlyList<SriToken> tokens)
    {
        Raw = raw;
        Tokens = tokens;
    }

    public string Raw { get; }

    public IReadOnlyList<SriToken> Tokens { get; }

    /// <summary>The tokens the browser enforces: those of the strongest usable algorithm.</summary>
    public IReadOnlyList<SriToken> Enforced
    {
        get
        {
            var usable = Tokens.Where(t => t.IsUsable).ToList();
            if (usable.Count == 0)
            {
                return [];
            }

            var strongest = usable.Max(t => t.Algorithm!.Value);
            return usable.Where(t => t.Algorithm == strongest).ToList();
        }
    }

    public static SriIntegrity Parse(string value)
    {
        var tokens = new List<SriToken>();
        foreach (var text in value.Split([' ', '\t', '\n', '\f', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            tokens.Add(ParseToken(text));
        }

        return new SriIntegrity(value, tokens);
    }

    /// <summary>Does any enforced token match these bytes (what the browser decides)?</summary>
    public bool Matches(ReadOnlySpan<byte> content)
    {
        foreach (var token in Enforced)
        {
            var actual = Hash(token.Algorithm!.Value, content);
            if (CryptographicOperations.FixedTimeEquals(actual, token.Digest))
            {
                return true;
            }
        }

        return false;
    }

    public static byte[] Hash(SriAlgorithm algorithm, ReadOnlySpan<byte> content) => algorithm switch
    {
        SriAlgorithm.Sha256 => SHA256.HashData(content),
        SriAlgorithm.Sha384 => SHA384.HashData(content),
        _ => SHA512.HashData(content),
    };

    /// <summary>The SRI string for these bytes: <c>sha384-BASE64</c>.</summary>
    public static string Compute(ReadOnlySpan<byte> content, SriAlgorithm algorithm = SriAlgorithm.Sha384) =>
        $"{Name(algorithm)}-{Convert.ToBase64String(Hash(algorithm, content))}";

    public static string Name(SriAlgorithm algorithm) => algorithm switch
    {
        SriAlgorithm.Sha256 => "sha256",
        SriAlgorithm.Sha384 => "sha384",
        _ => "sha512",
    };

    public static bool TryParseAlgorithm(string? name, out SriAlgorithm algorithm)
    {
        switch (name)
        {
            case "sha256": algorithm = SriAlgorithm.Sha256; return true;
            case "sha384": algorithm = SriAlgorithm.Sha384; return true;
            case "sha512": algorithm = SriAlgorithm.Sha512; return true;
            default: algorithm = default; return false;
        }
    }

    private static SriToken ParseToken(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
        {
            return new SriToken(text, null, null, $"'{Shorten(text)}' is not ALGORITHM-BASE64");
        }

        var algorithmName = text[..dash];
        var rest = text[(dash + 1)..];

        // Options after '?' are reserved by the recommendation and ignored by browsers.
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var digestText = question >= 0 ? rest[..question] : rest;
        if (!TryParseAlgorithm(algorithmName, out var algorithm))
        {
            var lower = algorithmName.ToLowerInvariant();
            if (lower is "sha1" or "sha-1" or "md5" or "sha224" or "sha-256" or "sha-384" or "sha-512" || TryParseAlgorithm(lower, out _))
            {
                var why = TryParseAlgorithm(lower, out _) ? $"algorithm names are lowercase ('{lower}'); browsers ignore '{algorithmName}'" : $"browsers ignore {algorithmName}: only sha256, sha384 and sha512 are enforced";
                return new SriToken(text, null, null, why) { IsWeak = !TryParseAlgorithm(lower, out _) };
            }

            return new SriToken(text, null, null, $"unknown hash algorithm '{Shorten(algorithmName)}'");
        }

        var digest = DecodeBase64(digestText);
        var expected = (int)algorithm / 8;
        if (digest is null)
        {
            return new SriToken(text, null, null, $"the {algorithmName} digest is not base64");
        }

        if (digest.Length != expected)
        {
            return new SriToken(text, null, null, $"the {algorithmName} digest is {digest.Length} bytes, not {expected}");
        }

        return new SriToken(text, algorithm, digest, null);
    }

    /// <summary>Base64 as browsers accept it in integrity metadata: standard or URL-safe alphabet, padding optional.</summary>
    private static byte[]? DecodeBase64(string text)
    {
        if (text.Length == 0 || text.Length > 200)
        {
            return null;
        }

        var normal = text.Replace('-', '+').Replace('_', '/').TrimEnd('=');
        if (normal.Length % 4 == 1)
        {
            return null;
        }

        normal = normal.PadRight(normal.Length + ((4 - (normal.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(normal);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
