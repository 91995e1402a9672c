using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit.Formats;

/// <summary>
/// A CycloneDX 1.6 SBOM of the lockfile: one component per package with its purl and lockfile
/// hashes, and the provenance evidence Vouch verified (source repository, commit, builder, workflow,
/// signature and evidence level) as `vouch:*` properties and external references.
/// </summary>
public static class AuditCycloneDx
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(AuditReport report, string? relativeTo, string toolVersion, DateTimeOffset now, Guid serial)
    {
        var components = new JsonArray();
        var refs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in report.Entries.Where(e => e.Diff?.Change is not DiffChange.Removed))
        {
            components.Add(Component(e, refs));
        }

        var bom = new JsonObject
        {
            ["$schema"] = "http://cyclonedx.org/schema/bom-1.6.schema.json",
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = "1.6",
            ["serialNumber"] = $"urn:uuid:{serial:D}",
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["tools"] = new JsonObject
                {
                    ["components"] = new JsonArray(new JsonObject { ["type"] = "application", ["name"] = "vouch", ["version"] = toolVersion }),
                },
                ["properties"] = new JsonArray(
                    Property("vouch:lockfile", AuditText.DisplayPath(report.LockfilePath, relativeTo)),
                    Property("vouch:lockfileFormat", AuditText.FormatName(report.Format))),
            },
            ["components"] = components,
        };
        return bom.ToJsonString(Options);
    }

    /// <summary>The package URL of an npm package: `pkg:npm/%40scope/name@version`.</summary>
    public static string Purl(string name, string version)
    {
        var slash = name.StartsWith('@') ? name.IndexOf('/', StringComparison.Ordinal) : -1;
        var path = slash > 0 ? $"{Uri.EscapeDataString(name[..slash])}/{Uri.EscapeDataString(name[(slash + 1)..])}" : Uri.EscapeDataString(name);
        return $"pkg:npm/{path}@{Uri.EscapeDataString(version)}";
    }

    private static JsonObject Component(AuditEntry e, HashSet<string> refs)
    {
        var p = e.Package;
        var slash = p.Name.StartsWith('@') ? p.Name.IndexOf('/', StringComparison.Ordinal) : -1;
        var purl = Purl(p.Name, p.Version);
        var bomRef = purl;
        for (var n = 2; !refs.Add(bomRef); n++)
        {
            bomRef = $"{purl}#{n}";
        }

        var c = new JsonObject { ["type"] = "library", ["bom-ref"] = bomRef };
        if (slash > 0)
        {
            c["group"] = p.Name[..slash];
            c["name"] = p.Name[(slash + 1)..];
        }
        else
        {
            c["name"] = p.Name;
        }

        c["version"] = p.Version;
        c["scope"] = p.Optional ? "optional" : p.Dev ? "excluded" : "required";
        var hashes = new JsonArray();
        foreach (var h in Integrity.Parse(p.Integrity).Hashes)
        {
            hashes.Add(new JsonObject { ["alg"] = Algorithm(h.Algorithm), ["content"] = Convert.ToHexStringLower(h.Digest) });
        }

        if (hashes.Count > 0)
        {
            c["hashes"] = hashes;
        }

        if (p.Source == LockfileSourceKind.Registry)
        {
            c["purl"] = purl;
        }

        var external = new JsonArray();
        if (p.Resolved is { } resolved && Uri.TryCreate(resolved, UriKind.Absolute, out var resolvedUrl) && resolvedUrl.Scheme is "http" or "https")
        {
            external.Add(new JsonObject { ["type"] = "distribution", ["url"] = resolvedUrl.AbsoluteUri });
        }

        var properties = new JsonArray(Property("vouch:status", AuditText.Status(e.Status)));
        if (e.Report is { } r)
        {
            properties.Add(Property("vouch:evidenceLevel", EvidenceLevels.Name(r.EvidenceLevel)));
            if (e.Slsa is { } slsa)
            {
                properties.Add(Property("vouch:slsa:build-level", AuditText.SlsaLevel(slsa)!));
                properties.Add(Property("vouch:slsa:row", slsa.Row));
            }

            properties.Add(Property("vouch:integrity", r.Integrity.Status));
            properties.Add(Property("vouch:signature", r.Signature.Status));
            if (r.Signature.KeyId is { } keyId)
            {
                properties.Add(Property("vouch:signature:keyId", keyId));
            }

            properties.Add(Property("vouch:provenance", PackageVerifier.Status(r.Provenance.Status)));
            properties.Add(Property("vouch:publishAttestation", PackageVerifier.Status(r.PublishAttestation.Status)));
            if (r.Provenance is { Status: EvidenceStatus.Verified, Claims: { } claims })
            {
                AddIf(properties, "vouch:provenance:predicateType", claims.PredicateType);
                AddIf(properties, "vouch:provenance:sourceRepository", claims.SourceRepository);
                AddIf(properties, "vouch:provenance:sourceRef", claims.SourceRef);
                AddIf(properties, "vouch:provenance:sourceCommit", claims.SourceCommit);
                AddIf(properties, "vouch:provenance:workflowPath", claims.WorkflowPath);
                AddIf(properties, "vouch:provenance:builderId", claims.BuilderId);
                AddIf(properties, "vouch:provenance:issuer", r.Provenance.Issuer);
                AddIf(properties, "vouch:provenance:logIndex", r.Provenance.LogIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (Web(claims.SourceRepository) is { } repo)
                {
                    var vcs = new JsonObject { ["type"] = "vcs", ["url"] = repo };
                    if (claims.SourceCommit is { } commit)
                    {
                        vcs["comment"] = $"built from commit {commit}" + (claims.SourceRef is { } sourceRef ? $" ({sourceRef})" : "");
                    }

                    external.Add(vcs);
                }

                if (Web(claims.InvocationUrl) is { } run)
                {
                    external.Add(new JsonObject { ["type"] = "build-system", ["url"] = run, ["comment"] = $"the CI run that built this version ({claims.BuilderId})" });
                }
            }

            AddIf(properties, "vouch:trustedPublisher", r.TrustedPublisher);
        }

        foreach (var f in e.Findings)
        {
            properties.Add(Property("vouch:finding", $"{f.Code}: {f.Message}"));
        }

        if (external.Count > 0)
        {
            c["externalReferences"] = external;
        }

        c["properties"] = properties;
        return c;
    }

    private static string? Web(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? u.AbsoluteUri : null;

    private static void AddIf(JsonArray properties, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            properties.Add(Property(name, value));
        }
    }

    private static JsonObject Property(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static string Algorithm(IntegrityAlgorithm algorithm) => algorithm switch
    {
        IntegrityAlgorithm.Sha1 => "SHA-1",
        IntegrityAlgorithm.Sha256 => "SHA-256",
        IntegrityAlgorithm.Sha384 => "SHA-384",
        _ => "SHA-512",
    };
}
