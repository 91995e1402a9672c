namespace Vouch.Npm.Lockfiles;

/// <summary>One problem <see cref="LockfileLint"/> found in one entry.</summary>
/// <param name="Code">A <c>VOUCH_LOCK_*</c> code from <see cref="LockfileCodes"/>.</param>
/// <param name="Severity"><c>error</c> (the entry cannot be trusted as written) or <c>warn</c> (it bypasses registry evidence).</param>
public sealed record LockfileFinding(string Code, string Severity, LockfilePackage Package, string Message);

/// <summary>
/// Checks a lockfile's entries before anything is fetched, as lockfile-lint does and more: a
/// registry entry must resolve to an allowed registry over https, name the same package and version
/// in its URL, and carry a sha512 integrity; entries from git, remote tarballs, files and links are
/// flagged because no registry evidence can cover them. Workspaces are the project's own code.
/// </summary>
public static class LockfileLint
{
    public const string Error = "error";
    public const string Warn = "warn";

    // Hosts the clients treat as one registry (yarn classic writes registry.yarnpkg.com).
    private static readonly string[] PublicRegistryHosts = ["registry.npmjs.org", "registry.yarnpkg.com"];

    public static IReadOnlyList<LockfileFinding> Check(Lockfile lockfile, IReadOnlyCollection<Uri> allowedRegistries)
    {
        ArgumentNullException.ThrowIfNull(lockfile);
        ArgumentNullException.ThrowIfNull(allowedRegistries);
        var findings = new List<LockfileFinding>();
        foreach (var p in lockfile.Packages)
        {
            switch (p.Source)
            {
                case LockfileSourceKind.Workspace:
                    break;
                case LockfileSourceKind.Registry:
                    CheckRegistry(p, allowedRegistries, findings);
                    break;
                case LockfileSourceKind.Git:
                    findings.Add(new(LockfileCodes.SourceGit, Warn, p, $"{Id(p)} comes from git ({p.Resolved}): no registry signature or provenance can cover it"));
                    if (p.Resolved is { } git && (git.StartsWith("git://", StringComparison.OrdinalIgnoreCase) || git.StartsWith("git+http://", StringComparison.OrdinalIgnoreCase) || git.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
                    {
                        findings.Add(new(LockfileCodes.InsecureProtocol, Error, p, $"{Id(p)} is fetched over an unencrypted protocol ({git})"));
                    }

                    break;
                case LockfileSourceKind.RemoteTarball:
                    findings.Add(new(LockfileCodes.SourceTarball, Warn, p, $"{Id(p)} is a tarball from a URL ({p.Resolved}), not a registry package"));
                    if (p.Resolved is { } url)
                    {
                        CheckUrl(p, url, allowedRegistries, findings);
                    }

                    CheckIntegrity(p, findings);
                    break;
                case LockfileSourceKind.LocalFile:
                    findings.Add(new(LockfileCodes.SourceFile, Warn, p, $"{Id(p)} comes from a local file or folder ({p.Resolved})"));
                    break;
                case LockfileSourceKind.Link:
                    findings.Add(new(LockfileCodes.SourceLink, Warn, p, $"{Id(p)} is a link to {p.Resolved ?? "a folder"} outside the project's workspaces"));
                    break;
            }
        }

        return findings;
    }

    private static void CheckRegistry(LockfilePackage p, IReadOnlyCollection<Uri> allowed, List<LockfileFinding> findings)
    {
        if (p.Bundled)
        {
            // Shipped inside its parent's tarball: the parent's integrity covers it.
            return;
        }

        if (p.Resolved is { } resolved)
        {
            if (CheckUrl(p, resolved, allowed, findings) is { } uri && LockfileText.RegistryUrlParts(uri) is var (urlName, fileName))
            {
                var baseName = p.Name[(p.Name.IndexOf('/', StringComparison.Ordinal) + 1)..];
                if (!string.Equals(urlName, p.Name, StringComparison.Ordinal) || !fileName.StartsWith(baseName + "-", StringComparison.Ordinal))
                {
                    findings.Add(new(LockfileCodes.NameMismatch, Error, p, $"{Id(p)} resolves to a tarball of another package ({urlName}: {resolved})"));
                }
                else if (!string.Equals(fileName, $"{baseName}-{p.Version}.tgz", StringComparison.Ordinal))
                {
                    findings.Add(new(LockfileCodes.VersionMismatch, Error, p, $"{Id(p)} resolves to another version's tarball ({fileName})"));
                }
            }
        }

        CheckIntegrity(p, findings);
    }

    private static Uri? CheckUrl(LockfilePackage p, string resolved, IReadOnlyCollection<Uri> allowed, List<LockfileFinding> findings)
    {
        if (!Uri.TryCreate(resolved, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            findings.Add(new(LockfileCodes.ResolvedMalformed, Error, p, $"{Id(p)}: resolved \"{resolved}\" is not an http(s) URL"));
            return null;
        }

        var registry = allowed.FirstOrDefault(r => Covers(r, uri));
        if (registry is null)
        {
            findings.Add(new(LockfileCodes.HostNotAllowed, Error, p,
                $"{Id(p)} resolves to {uri.Authority}, which is not a configured registry ({string.Join(", ", allowed.Select(a => a.GetLeftPart(UriPartial.Path)))})"));
        }

        // Plain http is only accepted towards a registry configured with http on this machine
        // (a local sandbox or gate); anywhere else the tarball could be swapped in transit.
        if (uri.Scheme == "http" && !(registry is { Scheme: "http" } && uri.IsLoopback))
        {
            findings.Add(new(LockfileCodes.InsecureProtocol, Error, p, $"{Id(p)} is fetched over http: {resolved}"));
        }

        return uri;
    }

    private static bool Covers(Uri registry, Uri url)
    {
        var sameHost = string.Equals(registry.Host, url.Host, StringComparison.OrdinalIgnoreCase)
            || (PublicRegistryHosts.Contains(registry.Host, StringComparer.OrdinalIgnoreCase) && PublicRegistryHosts.Contains(url.Host, StringComparer.OrdinalIgnoreCase));
        if (!sameHost)
        {
            return false;
        }

        // The scheme is judged separately (http is its own finding); the port must match the registry's
        // for either scheme, or the default port of the other scheme.
        var portOk = registry.Port == url.Port || (registry.IsDefaultPort && url.IsDefaultPort);
        var prefix = registry.AbsolutePath.EndsWith('/') ? registry.AbsolutePath : registry.AbsolutePath + "/";
        return portOk && url.AbsolutePath.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static void CheckIntegrity(LockfilePackage p, List<LockfileFinding> findings)
    {
        if (string.IsNullOrWhiteSpace(p.Integrity))
        {
            if (p.Checksum is null)
            {
                findings.Add(new(LockfileCodes.IntegrityMissing, Error, p, $"{Id(p)} has no integrity: nothing pins the bytes that will be installed"));
            }

            return;
        }

        var integrity = Integrity.Parse(p.Integrity);
        switch (integrity.StrongestAlgorithm)
        {
            case null when p.Integrity.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(t => t.StartsWith("md5-", StringComparison.OrdinalIgnoreCase)):
                findings.Add(new(LockfileCodes.IntegrityWeak, Error, p, $"{Id(p)} is pinned only by md5"));
                break;
            case null:
                findings.Add(new(LockfileCodes.IntegrityMalformed, Error, p, $"{Id(p)}: integrity \"{p.Integrity}\" is not an SRI hash (sha512-<base64>)"));
                break;
            case IntegrityAlgorithm.Sha1:
                findings.Add(new(LockfileCodes.IntegrityWeak, Error, p, $"{Id(p)} is pinned only by sha1, which can be forged; reinstall it to record sha512"));
                break;
            case IntegrityAlgorithm.Sha256 or IntegrityAlgorithm.Sha384:
                findings.Add(new(LockfileCodes.IntegrityNotSha512, Warn, p, $"{Id(p)} is pinned by {Integrity.AlgorithmName(integrity.StrongestAlgorithm.Value)}, not sha512 as the registry publishes"));
                break;
        }
    }

    private static string Id(LockfilePackage p) =>
        $"{(p.Alias is null ? "" : p.Alias + " → ")}{p.Name}{(p.Version.Length == 0 ? "" : "@" + p.Version)} (line {p.Line})";
}
