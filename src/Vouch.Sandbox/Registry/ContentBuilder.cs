using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Sandbox.Sigstore;
using Vouch.Common.Json;

namespace Vouch.Sandbox.Registry;

/// <summary>The registry's keys and its Sigstore instance: what signs dist.signatures and attestations.</summary>
internal sealed class RegistrySigning : IDisposable
{
    public RegistrySigning(SigstoreInstance sigstore)
    {
        Sigstore = sigstore;
        using var generated = SigningKey.Generate();
        RegistryKey = generated.WithKeyId(generated.NpmKeyId);
        using var rogue = SigningKey.Generate();
        RogueKey = rogue.WithKeyId(rogue.NpmKeyId);
    }

    public SigstoreInstance Sigstore { get; }

    /// <summary>The key `/-/npm/v1/keys` serves; signs dist.signatures and publish attestations.</summary>
    public SigningKey RegistryKey { get; }

    /// <summary>A key nobody lists, for the `*-unknown-key` / `*-key` tamper switches.</summary>
    public SigningKey RogueKey { get; }

    public string KeysJson() => new JsonObject
    {
        ["keys"] = new JsonArray(new JsonObject
        {
            ["expires"] = null,
            ["keyid"] = RegistryKey.NpmKeyId,
            ["keytype"] = "ecdsa-sha2-nistp256",
            ["scheme"] = "ecdsa-sha2-nistp256",
            ["key"] = Convert.ToBase64String(RegistryKey.SubjectPublicKeyInfo),
        }),
    }.ToJsonString();

    public (string KeyId, string Sig) SignRegistry(string name, string version, string integrity, SigningKey? key = null)
    {
        var k = key ?? RegistryKey;
        var sig = k.Pair.Sign(Encoding.UTF8.GetBytes($"{name}@{version}:{integrity}"));
        return (k.NpmKeyId, Convert.ToBase64String(sig));
    }

    public void Dispose()
    {
        RegistryKey.Dispose();
        RogueKey.Dispose();
    }
}

/// <summary>
/// Turns a scenario into served content: manifests, deterministic tarballs, registry signatures,
/// and for CI-built versions a Fulcio-signed SLSA provenance bundle plus a registry-signed publish
/// attestation, both logged at the version's publish time. Tarballs are built in parallel; the
/// transparency log is appended in publish-time order, so log indices grow with time as in Rekor.
/// </summary>
internal static class ContentBuilder
{
    public const string TrustedPublisherName = "GitHub Actions";
    public const string TrustedPublisherEmail = "npm-oidc-no-reply@github.com";

    public static void Build(Scenario scenario, DateTimeOffset now, RegistrySigning signing, RegistryStore store, Uri baseUrl)
    {
        var items = scenario.Packages.SelectMany(p => p.Versions.Select(v => (Package: p, Version: v))).ToList();
        var built = new BuiltVersion[items.Count];
        Parallel.For(0, items.Count, i => built[i] = Prepare(items[i].Package, items[i].Version, now, signing));

        foreach (var b in built.Where(b => b.Version.HasProvenance).OrderBy(b => b.PublishTime).ThenBy(b => b.Package.Name, StringComparer.Ordinal))
        {
            store.Attestations[RegistryStore.AttestationKeyOf(b.Package.Name, b.Version.Version)] = Attest(b, signing, baseUrl);
        }

        foreach (var package in scenario.Packages)
        {
            store.Packages[package.Name] = new PackageRecord(package.Name, package.Description, RepositoryUrl(package.Repository), package.Maintainers);
        }

        foreach (var b in built)
        {
            var record = store.Packages[b.Package.Name];
            record.TryAdd(b.Record, b.Package.DistTags);
            store.Tarballs[b.Record.TarballPath] = b.ServedTarball;
            if (b.Version.Tamper.Contains(TamperKind.AttestationMissing))
            {
                store.Attestations.TryRemove(RegistryStore.AttestationKeyOf(b.Package.Name, b.Version.Version), out _);
            }
        }

        Parallel.ForEach(store.Packages.Values, p => p.Render(baseUrl));
        foreach (var name in store.Packages.Keys.Order(StringComparer.Ordinal))
        {
            store.RecordChange(name);
        }
    }

    /// <summary>`git+https://github.com/owner/name.git` for GitHub shorthands; other URLs as given.</summary>
    public static string? RepositoryUrl(string? repository) =>
        ScenarioParser.GitHubRepository(repository) is { } repo ? $"git+https://github.com/{repo}.git" : repository;

    private sealed record BuiltVersion(ScenarioPackage Package, ScenarioVersion Version, DateTimeOffset PublishTime, TarballFile Tarball, byte[] ServedTarball, VersionRecord Record);

    private static BuiltVersion Prepare(ScenarioPackage package, ScenarioVersion version, DateTimeOffset now, RegistrySigning signing)
    {
        var publishTime = SigstoreInstance.TruncateToSeconds(version.Published.Resolve(now));
        var manifest = Manifest(package, version);
        var files = new List<(string, string)>
        {
            ("package.json", manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"),
            ("index.js", $"'use strict';\n\nmodule.exports = {{ name: {JsonSerializer.Serialize(package.Name)}, version: {JsonSerializer.Serialize(version.Version)} }};\n"),
        };
        files.AddRange(version.Files.Where(f => f.Key != "index.js").Select(f => (f.Key, f.Value)));
        if (version.Files.TryGetValue("index.js", out var index))
        {
            files[1] = ("index.js", index);
        }

        var tarball = Tarball.Create(files, publishTime);
        var served = tarball.Bytes;
        if (version.Tamper.Contains(TamperKind.TarballBytes))
        {
            // A swapped tarball, as a compromised registry or mirror would serve: valid gzip, other content.
            served = Tarball.Create([.. files, ("injected.js", "// not what the publisher uploaded\n")], publishTime).Bytes;
        }

        var signatures = new List<(string, string)>();
        if (!version.Tamper.Contains(TamperKind.SignatureMissing))
        {
            var integrity = version.Tamper.Contains(TamperKind.Signature)
                ? "sha512-" + Convert.ToBase64String(SHA512.HashData(Encoding.UTF8.GetBytes("another tarball")))
                : tarball.Integrity;
            signatures.Add(signing.SignRegistry(package.Name, version.Version, integrity, version.Tamper.Contains(TamperKind.SignatureUnknownKey) ? signing.RogueKey : null));
        }

        var record = new VersionRecord
        {
            Name = package.Name,
            Version = SemVersion.Parse(version.Version),
            Manifest = manifest,
            Tarball = tarball,
            Signatures = signatures,
            AttestationsPredicateType = version.HasProvenance ? InTotoStatements.SlsaProvenanceV1 : null,
            PublishTime = publishTime,
            NpmUser = NpmUser(version),
            Deprecated = version.Deprecated,
        };
        return new BuiltVersion(package, version, publishTime, tarball, served, record);
    }

    private static JsonObject Manifest(ScenarioPackage package, ScenarioVersion version)
    {
        var manifest = new JsonObject
        {
            ["name"] = package.Name,
            ["version"] = version.Version,
            ["description"] = package.Description ?? $"{package.Name} (vouch sandbox)",
            ["main"] = "index.js",
            ["license"] = "MIT",
        };
        if (RepositoryUrl(package.Repository) is { } repo)
        {
            manifest["repository"] = new JsonObject { ["type"] = "git", ["url"] = repo };
        }

        if (version.Dependencies.Count > 0)
        {
            manifest["dependencies"] = StringObject(version.Dependencies);
        }

        if (version.Scripts.Count > 0)
        {
            manifest["scripts"] = StringObject(version.Scripts);
        }

        if (version.Source is { } source)
        {
            manifest["gitHead"] = source.Commit;
        }

        return manifest;
    }

    public static JsonObject NpmUser(ScenarioVersion version) => version.Publisher == PublisherKind.TrustedPublisher
        ? new JsonObject
        {
            ["name"] = TrustedPublisherName,
            ["email"] = TrustedPublisherEmail,
            ["trustedPublisher"] = new JsonObject
            {
                ["id"] = "github",
                ["oidcConfigId"] = "oidc:sandbox-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(version.Source?.Repository ?? "")).AsSpan(0, 8)),
            },
        }
        : new JsonObject { ["name"] = version.PublishedBy, ["email"] = $"{version.PublishedBy}@users.sandbox.test" };

    private static byte[] Attest(BuiltVersion b, RegistrySigning signing, Uri baseUrl)
    {
        var name = b.Package.Name;
        var v = b.Version.Version;
        var source = b.Version.Source!;
        var identity = new GitHubWorkflowIdentity(source.Repository, source.Ref, source.Commit, source.Workflow)
        {
            Trigger = source.Trigger,
            RunnerEnvironment = source.RunnerEnvironment,
        };
        var tamper = b.Version.Tamper;
        var subjectDigest = tamper.Contains(TamperKind.ProvenanceSubject) ? SHA512.HashData(Encoding.UTF8.GetBytes("another tarball")) : b.Tarball.Sha512;
        var statement = InTotoStatements.NpmProvenanceV1(name, v, subjectDigest, identity);
        var certificateIdentity = tamper.Contains(TamperKind.ProvenanceIdentity)
            ? identity with { Repository = $"{identity.Owner}-attacker/{identity.Repository.Split('/')[1]}" }
            : identity;
        var provenance = signing.Sigstore.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), new SigningRequest
        {
            Identity = certificateIdentity,
            SigningTime = b.PublishTime,
            DsseEntryKind = DsseEntryKind.Intoto,
            SignWithOtherKey = tamper.Contains(TamperKind.ProvenanceSignature),
        });

        var attestations = new JsonArray(new JsonObject
        {
            ["predicateType"] = InTotoStatements.SlsaProvenanceV1,
            ["bundle"] = JsonInput.ParseNode(provenance.Json, 64),
        });

        if (!tamper.Contains(TamperKind.PublishAttestationMissing))
        {
            var publishStatement = InTotoStatements.NpmPublishAttestation(name, v, b.Tarball.Sha512, baseUrl.AbsoluteUri.TrimEnd('/'));
            var key = tamper.Contains(TamperKind.PublishAttestationKey) ? signing.RogueKey : signing.RegistryKey;
            var publish = signing.Sigstore.SignDsseWithKey(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(publishStatement), key, new SigningRequest
            {
                SigningTime = b.PublishTime,
                DsseEntryKind = DsseEntryKind.Intoto,
                BundleVersion = BundleVersion.V02,
            });
            attestations.Add(new JsonObject
            {
                ["predicateType"] = InTotoStatements.NpmPublishV01,
                ["bundle"] = JsonInput.ParseNode(publish.Json, 64),
            });
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["attestations"] = attestations });
    }

    private static JsonObject StringObject(IReadOnlyDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map)
        {
            o[k] = v;
        }

        return o;
    }
}
