using System.Security.Cryptography;
using System.Text;

namespace Vouch.Policy;

/// <summary>
/// Finds and loads <c>vouch.policy.yml</c>, resolving <c>extends:</c> (a file relative to the
/// extending one, or a URL pinned with <c>#sha256=</c>). Child rules replace base rules one rule
/// at a time; allow/deny entries of every document in the chain add up.
/// </summary>
public static class PolicyLoader
{
    public const string FileName = "vouch.policy.yml";
    private const int MaxExtendsDepth = 8;
    private const int MaxWalkDepth = 64;

    /// <summary>The nearest <c>vouch.policy.yml</c> in <paramref name="startDirectory"/> or above; null if none.</summary>
    public static string? Find(string startDirectory)
    {
        var dir = new DirectoryInfo(Path.GetFullPath(startDirectory));
        for (var i = 0; dir is not null && i < MaxWalkDepth; i++, dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Loads a policy file and what it extends; throws <see cref="PolicyFormatException"/>.</summary>
    public static PolicyDocument Load(string path) =>
        LoadAsync(path, null, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Parses policy text; relative <c>extends:</c> resolve against <paramref name="sourceName"/>'s directory.</summary>
    public static PolicyDocument Parse(string yaml, string sourceName) =>
        ResolveAsync(PolicyParser.Parse(yaml, sourceName), sourceName, null, [sourceName], CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Loads a file, or a URL that must be pinned with <c>#sha256=&lt;hex&gt;</c>. Throws
    /// <see cref="PolicyFormatException"/> for a bad policy or pin, <see cref="PolicyFetchException"/>
    /// when the network fails.
    /// </summary>
    public static async Task<PolicyDocument> LoadAsync(string fileOrUrl, HttpMessageHandler? handler, CancellationToken cancellationToken)
    {
        var (text, source) = await ReadAsync(fileOrUrl, fileOrUrl, handler, cancellationToken).ConfigureAwait(false);
        var file = PolicyParser.Parse(text, source);
        return await ResolveAsync(file, source, handler, [source], cancellationToken).ConfigureAwait(false);
    }

    internal static bool IsUrl(string s) =>
        s.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    private static async Task<PolicyDocument> ResolveAsync(PolicyFile file, string location, HttpMessageHandler? handler, List<string> seen, CancellationToken ct)
    {
        if (file.Extends is null)
        {
            return new PolicyDocument(location, [location], file.Rules, file.Allow, file.Deny) { Publish = file.Publish ?? Publish.PublishPolicy.None };
        }

        var at = (Line: (int)file.ExtendsAt.Line, Column: (int)file.ExtendsAt.Column);
        string target;
        if (IsUrl(file.Extends))
        {
            target = file.Extends;
        }
        else if (IsUrl(location))
        {
            throw new PolicyFormatException(location, at.Line, at.Column, "a URL pinned with #sha256=<hex> (a policy loaded from a URL cannot extend a local file)");
        }
        else
        {
            target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(location)) ?? ".", file.Extends));
        }

        if (seen.Contains(target, StringComparer.Ordinal))
        {
            throw new PolicyFormatException(location, at.Line, at.Column, $"a policy that does not extend itself (cycle: {string.Join(" -> ", seen)} -> {target})");
        }

        if (seen.Count >= MaxExtendsDepth)
        {
            throw new PolicyFormatException(location, at.Line, at.Column, $"at most {MaxExtendsDepth} levels of extends:");
        }

        string text, source;
        try
        {
            (text, source) = await ReadAsync(target, location, handler, ct).ConfigureAwait(false);
        }
        catch (PolicyFormatException e) when (e.Line == 0 && e.File == target)
        {
            throw new PolicyFormatException(location, at.Line, at.Column, $"extends: {e.Expected}");
        }

        var parent = PolicyParser.Parse(text, source);
        var resolvedParent = await ResolveAsync(parent, source, handler, [.. seen, target], ct).ConfigureAwait(false);
        return new PolicyDocument(
            location,
            [location, .. resolvedParent.Chain],
            resolvedParent.Rules.Overlay(file.Rules),
            [.. file.Allow, .. resolvedParent.Allow],
            [.. file.Deny, .. resolvedParent.Deny])
        {
            // A document's publish: section replaces the extended one whole (like a rule).
            Publish = file.Publish ?? resolvedParent.Publish,
        };
    }

    private static async Task<(string Text, string Source)> ReadAsync(string fileOrUrl, string referrer, HttpMessageHandler? handler, CancellationToken ct)
    {
        if (IsUrl(fileOrUrl))
        {
            return (await FetchAsync(fileOrUrl, handler, ct).ConfigureAwait(false), fileOrUrl);
        }

        try
        {
            var info = new FileInfo(fileOrUrl);
            if (!info.Exists)
            {
                throw new PolicyFormatException(fileOrUrl, 0, 0, "an existing policy file (not found)");
            }

            if (info.Length > Limits.MaxConfigFileBytes)
            {
                throw new PolicyFormatException(fileOrUrl, 0, 0, $"a policy file of at most {Limits.MaxConfigFileBytes} bytes");
            }

            return (await File.ReadAllTextAsync(fileOrUrl, Encoding.UTF8, ct).ConfigureAwait(false), fileOrUrl);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFormatException(fileOrUrl, 0, 0, $"a readable policy file ({e.Message})");
        }
    }

    private static async Task<string> FetchAsync(string url, HttpMessageHandler? handler, CancellationToken ct)
    {
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        var fragment = hash >= 0 ? url[(hash + 1)..] : "";
        if (!fragment.StartsWith("sha256=", StringComparison.Ordinal) || fragment.Length != 7 + 64 || !fragment[7..].All(Uri.IsHexDigit))
        {
            throw new PolicyFormatException(url, 0, 0, "a URL pinned with #sha256=<64 hex digits> (a policy fetched from the network must be pinned to its content)");
        }

        var expected = fragment[7..].ToLowerInvariant();
        byte[] body;
        try
        {
            using var client = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            client.Timeout = TimeSpan.FromSeconds(60);
            using var response = await client.GetAsync(new Uri(url[..hash]), HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new PolicyFetchException(url, $"HTTP {(int)response.StatusCode}");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > Limits.MaxConfigFileBytes)
                {
                    throw new PolicyFormatException(url, 0, 0, $"a policy of at most {Limits.MaxConfigFileBytes} bytes");
                }

                buffer.Write(chunk, 0, read);
            }

            body = buffer.ToArray();
        }
        catch (HttpRequestException e)
        {
            throw new PolicyFetchException(url, e.Message);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new PolicyFetchException(url, $"timed out ({e.Message})");
        }

        var actual = Convert.ToHexStringLower(SHA256.HashData(body));
        if (actual != expected)
        {
            throw new PolicyFormatException(url, 0, 0, $"content with sha256 {expected} (the server sent {actual}; update the pin only after reviewing the change)");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw new PolicyFormatException(url, 0, 0, "UTF-8 text");
        }
    }
}

/// <summary>A policy URL could not be fetched: the network or server failed (exit 3), not the policy.</summary>
public sealed class PolicyFetchException : Exception
{
    public PolicyFetchException()
        : this("policy", "fetch failed")
    {
    }

    public PolicyFetchException(string message)
        : this("policy", message)
    {
    }

    public PolicyFetchException(string message, Exception innerException)
        : base(message, innerException)
    {
        Url = "policy";
    }

    public PolicyFetchException(string url, string reason)
        : base($"{url}: {reason}")
    {
        Url = url;
    }

    public string Url { get; }
}
