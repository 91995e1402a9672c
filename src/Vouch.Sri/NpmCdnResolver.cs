using System.Text.Json;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Common.Json;

namespace Vouch.Sri;

/// <summary>A policy's answer for one verified version (the CLI adapts Vouch.Policy to this).</summary>
public sealed record SriPolicyDecision(bool Allowed, IReadOnlyList<string> Reasons)
{
    public static readonly SriPolicyDecision Allow = new(true, []);
}

public enum ResolutionStatus
{
    Resolved,

    /// <summary>Refused: verification, policy, a missing or generated file. <see cref="NpmFileResolution.Code"/> says which.</summary>
    Refused,

    /// <summary>The registry or network failed: the answer is unknown (exit 3).</summary>
    NetworkError,
}

/// <summary>The exact version and file an npm CDN URL stands for, verified, with the file's bytes from the tarball.</summary>
public sealed record NpmFileResolution
{
    public required ResolutionStatus Status { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }

    public string? Package { get; init; }

    public string? Version { get; init; }

    /// <summary>The explicit file path inside the package.</summary>
    public string? FilePath { get; init; }

    public byte[]? Content { get; init; }

    /// <summary>Why the file path differs from what the URL said (the CDN's default file, an added extension).</summary>
    public string? PathNote { get; init; }

    public PackageReport? Report { get; init; }

    public static NpmFileResolution Refused(string code, string message, PackageReport? report = null) =>
        new() { Status = ResolutionStatus.Refused, Code = code, Message = message, Report = report };
}

/// <summary>
/// Resolves an npm CDN URL to the version its spec picks today (dist-tag, max satisfying), verifies
/// that version (integrity, registry signature, publish attestation, provenance: a version that fails
/// is never pinned), applies the policy, and reads the file out of the verified tarball: the bytes
/// the CDN serves for the pinned URL.
/// </summary>
public sealed class NpmCdnResolver
{
    private readonly RegistryClient _client;
    private readonly PackageVerifier _verifier;
    private readonly Func<PackageReport, Packument, SriPolicyDecision>? _policy;
    private readonly Dictionary<string, Task<RegistryResult<Packument>>> _packuments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<VerifiedPackage>> _verified = new(StringComparer.Ordinal);
    private RegistryKeys? _keys;

    public NpmCdnResolver(RegistryClient client, PackageVerifier verifier, Func<PackageReport, Packument, SriPolicyDecision>? policy = null)
    {
        _client = client;
        _verifier = verifier;
        _policy = policy;
    }

    public async Task<NpmFileResolution> ResolveAsync(CdnReference cdn, CancellationToken cancellationToken = default)
    {
        if (cdn.Generated)
        {
            return NpmFileResolution.Refused(SriCodes.FixGeneratedFile, $"{cdn.Service ?? "the CDN"} builds this response instead of serving a file of the tarball: no hash can be vouched for; self-host the file or use a plain file URL");
        }

        if (!cdn.IsNpm || cdn.Package is null)
        {
            return NpmFileResolution.Refused(SriCodes.FixNotNpm, cdn.Kind == CdnKind.Other
                ? "not an npm CDN URL: there is no npm tarball to take the hash from; add integrity yourself (vouch sri hash FILE) after checking the file"
                : $"a {cdn.Kind} URL is not a file of an npm tarball; there is nothing Vouch can vouch for");
        }

        var specText = cdn.Spec ?? VersionPickerTag;
        if (!PackageSpec.TryParse($"{cdn.Package}@{specText}", out var spec, out var specError))
        {
            return NpmFileResolution.Refused(SriCodes.FixPackageNotFound, $"'{cdn.Package}@{specText}' is not a package spec: {specError}");
        }

        var packument = await PackumentAsync(spec.Name).ConfigureAwait(false);
        if (!packument.IsOk)
        {
            return packument.Status is RegistryStatus.NotFound
                ? NpmFileResolution.Refused(SriCodes.FixPackageNotFound, $"{spec.Name} is not in the registry ({packument.Url})")
                : new NpmFileResolution { Status = ResolutionStatus.NetworkError, Code = SriCodes.FixNetworkError, Message = $"{packument.Url}: {packument.Error ?? packument.Status.ToString()}" };
        }

        var pick = packument.Value!.Pick(spec);
        if (!pick.IsFound)
        {
            return NpmFileResolution.Refused(SriCodes.FixPackageNotFound, pick.Problem ?? $"no version of {spec.Name} matches {specText}");
        }

        var version = pick.Version!.Version.ToString();
        var key = $"{spec.Name}@{version}";
        if (!_verified.TryGetValue(key, out var verifiedTask))
        {
            verifiedTask = VerifyAsync(packument.Value, pick.Version, cancellationToken);
            _verified[key] = verifiedTask;
        }

        var verified = await verifiedTask.ConfigureAwait(false);
        if (verified.Failure is { } failure)
        {
            return failure;
        }

        return FindFile(cdn, verified, spec.Name, version);

        Task<RegistryResult<Packument>> PackumentAsync(string name)
        {
            if (!_packuments.TryGetValue(name, out var task))
            {
                task = _client.GetPackumentAsync(name, PackumentFormat.Full, cancellationToken);
                _packuments[name] = task;
            }

            return task;
        }
    }

    private const string VersionPickerTag = "latest";

    private sealed record VerifiedPackage(PackageTarball? Tarball, PackageReport? Report, NpmFileResolution? Failure);

    private async Task<VerifiedPackage> VerifyAsync(Packument packument, PackageVersion version, CancellationToken cancellationToken)
    {
        var id = $"{version.Name}@{version.Version}";
        var tarball = await _client.GetTarballAsync(version.Dist.Tarball, cancellationToken).ConfigureAwait(false);
        if (!tarball.IsOk)
        {
            return new(null, null, tarball.Status is RegistryStatus.NotFound
                ? NpmFileResolution.Refused(SriCodes.FixPackageNotFound, $"the tarball of {id} is not served ({tarball.Url})")
                : new NpmFileResolution { Status = ResolutionStatus.NetworkError, Code = SriCodes.FixNetworkError, Message = $"{tarball.Url}: {tarball.Error ?? tarball.Status.ToString()}" });
        }

        _keys ??= await _verifier.KeysAsync(cancellationToken).ConfigureAwait(false);
        var report = await _verifier.VerifyVersionAsync(packument, version, tarball.Value!.Hashes, _keys, cancellationToken).ConfigureAwait(false);
        if (report.NetworkError is { } networkError)
        {
            return new(null, report, new NpmFileResolution { Status = ResolutionStatus.NetworkError, Code = SriCodes.FixNetworkError, Message = $"{id}: {networkError}", Report = report });
        }

        if (!report.Passed)
        {
            var problems = string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}"));
            return new(null, report, NpmFileResolution.Refused(SriCodes.FixVerificationFailed, $"{id} failed verification, so it is not pinned: {problems}", report));
        }

        if (_policy?.Invoke(report, packument) is { Allowed: false } decision)
        {
            return new(null, report, NpmFileResolution.Refused(SriCodes.FixPolicyDenied, $"{id} is refused by the policy: {string.Join("; ", decision.Reasons)}", report));
        }

        return new(new PackageTarball(tarball.Value.Content), report, null);
    }

    private static NpmFileResolution FindFile(CdnReference cdn, VerifiedPackage verified, string name, string version)
    {
        var id = $"{name}@{version}";
        var tarball = verified.Tarball!;
        try
        {
            string? note = null;
            string path;
            if (cdn.FilePath is null || cdn.FilePath.EndsWith('/'))
            {
                if (DefaultFile(cdn, tarball) is not { } chosen)
                {
                    return NpmFileResolution.Refused(SriCodes.FixFileNotInPackage, $"{id} has no default file for {cdn.Kind} (package.json names none that exists)", verified.Report);
                }

                path = chosen.Path;
                note = $"the URL names no file; {cdn.Kind} serves {chosen.Why}: pinned to that explicit path{(cdn.Kind == CdnKind.JsDelivrNpm ? " (jsDelivr serves a minified copy of the default file; the pinned URL serves the file itself)" : "")}";
            }
            else
            {
                var requested = PackageTarball.Normalize(Uri.UnescapeDataString(cdn.FilePath));
                if (requested is null)
                {
                    return NpmFileResolution.Refused(SriCodes.FixFileNotInPackage, $"'{cdn.FilePath}' is not a path inside a package", verified.Report);
                }

                if (tarball.Paths.Contains(requested))
                {
                    path = requested;
                }
                else if (IsGeneratedMinified(requested, tarball.Paths))
                {
                    return NpmFileResolution.Refused(SriCodes.FixGeneratedFile, $"{requested} is not in the tarball of {id}: the CDN minifies {Unminified(requested)} on the fly, so its bytes are not the package's; use the file itself or self-host", verified.Report);
                }
                else if (new[] { requested + ".js", requested + "/index.js" }.FirstOrDefault(tarball.Paths.Contains) is { } completed)
                {
                    path = completed;
                    note = $"the CDN resolves '{requested}' to '{completed}': pinned to the explicit path";
                }
                else
                {
                    return NpmFileResolution.Refused(SriCodes.FixFileNotInPackage, $"{requested} is not in the tarball of {id}", verified.Report);
                }
            }

            var content = tarball.ReadFile(path);
            if (content is null)
            {
                return NpmFileResolution.Refused(SriCodes.FixFileNotInPackage, $"{path} is not in the tarball of {id}", verified.Report);
            }

            return new NpmFileResolution { Status = ResolutionStatus.Resolved, Package = name, Version = version, FilePath = path, Content = content, PathNote = note, Report = verified.Report };
        }
        catch (InvalidDataException e)
        {
            return NpmFileResolution.Refused(SriCodes.FixFileNotInPackage, $"{id}: {e.Message}", verified.Report);
        }
    }

    private static bool IsGeneratedMinified(string path, IReadOnlySet<string> paths) =>
        (path.EndsWith(".min.js", StringComparison.Ordinal) || path.EndsWith(".min.css", StringComparison.Ordinal) || path.EndsWith(".min.mjs", StringComparison.Ordinal))
        && paths.Contains(Unminified(path));

    private static string Unminified(string path)
    {
        var i = path.LastIndexOf(".min.", StringComparison.Ordinal);
        return path[..i] + path[(i + 4)..];
    }

    /// <summary>The file a CDN serves for a URL without a file: package.json's `unpkg`/`jsdelivr`, then `browser` (a string), then `main`, then index.js.</summary>
    private static (string Path, string Why)? DefaultFile(CdnReference cdn, PackageTarball tarball)
    {
        var fields = cdn.Kind == CdnKind.JsDelivrNpm ? new[] { "jsdelivr", "browser", "main" } : ["unpkg", "browser", "main"];
        var manifest = tarball.ReadFile("package.json");
        if (manifest is not null)
        {
            try
            {
                using var doc = JsonInput.Parse(manifest, Limits.MaxJsonDepth);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in fields)
                    {
                        if (doc.RootElement.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String
                            && PackageTarball.Normalize(v.GetString()!) is { } p)
                        {
                            foreach (var candidate in new[] { p, p + ".js", p + "/index.js" })
                            {
                                if (tarball.Paths.Contains(candidate))
                                {
                                    return (candidate, $"package.json \"{field}\" ({candidate})");
                                }
                            }
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // A package.json that does not parse names no default file; index.js may still exist.
            }
        }

        return tarball.Paths.Contains("index.js") ? ("index.js", "index.js (package.json names no file)") : null;
    }
}
