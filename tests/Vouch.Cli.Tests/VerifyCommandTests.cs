using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Cli;

namespace Vouch.Cli.Tests;

/// <summary>`vouch verify` end to end against the recorded npm data served on 127.0.0.1.</summary>
public sealed class VerifyCommandTests : IAsyncLifetime
{
    private FixtureRegistry _registry = null!;
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("vouch-verify-");

    public async Task InitializeAsync() => _registry = await FixtureRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _cache.Delete(recursive: true);
    }

    private async Task<(int Exit, JsonArray Json, string Err)> VerifyJson(params string[] specs)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["verify", "--json", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", _cache.FullName, .. specs], o, e);
        return (exit, JsonNode.Parse(o.ToString())!.AsArray(), e.ToString());
    }

    private static string Codes(JsonNode report) => string.Join(",", report["problems"]!.AsArray().Select(p => (string)p!["code"]!));

    [Theory]
    [InlineData("sigstore@1.0.0", "https://github.com/sigstore/sigstore-js", "06528997c3c8ab9f864fad9a3658446aca7fd86d", ".github/workflows/publish.yml", "https://slsa.dev/provenance/v0.2")]
    [InlineData("tuf-js@1.0.0", "https://github.com/theupdateframework/tuf-js", null, null, "https://slsa.dev/provenance/v0.2")]
    [InlineData("@sigstore/protobuf-specs@0.2.1", "https://github.com/sigstore/protobuf-specs", "90ce2af553f37d3a76006f6c1f4a2cfbf9e1974e", ".github/workflows/typescript-publish.yml", "https://slsa.dev/provenance/v1")]
    public async Task Verify_WhenPackageHasProvenance_ReportsSourceAndPasses(string spec, string repo, string? commit, string? workflow, string predicateType)
    {
        var (exit, json, err) = await VerifyJson(spec);
        var r = json.Single()!;
        Assert.True(exit == 0, err + json);
        Assert.Equal("verified", (string?)r["integrity"]!["status"]);
        if (spec.StartsWith('@'))
        {
            // signatures.json records no registry signature for this package.
            Assert.Equal("absent", (string?)r["signature"]!["status"]);
        }
        else
        {
            Assert.Equal("verified", (string?)r["signature"]!["status"]);
            Assert.StartsWith("SHA256:jl3b", (string?)r["signature"]!["keyId"], StringComparison.Ordinal);
        }

        Assert.Equal("verified", (string?)r["provenance"]!["status"]);
        Assert.Equal(predicateType, (string?)r["provenance"]!["predicateType"]);
        Assert.Equal(repo, (string?)r["provenance"]!["sourceRepository"]);
        if (commit is not null)
        {
            Assert.Equal(commit, (string?)r["provenance"]!["sourceCommit"]);
            Assert.Equal(workflow, (string?)r["provenance"]!["workflowPath"]);
        }

        Assert.Equal("https://token.actions.githubusercontent.com", (string?)r["provenance"]!["issuer"]);
        Assert.NotNull(r["provenance"]!["logIndex"]);
        Assert.Equal("verified", (string?)r["publishAttestation"]!["status"]);
        Assert.Equal("provenance", (string?)r["publisher"]!["evidenceLevel"]);
        Assert.Equal("transparency-log", (string?)r["publishTimeSource"]);
        Assert.Empty(r["problems"]!.AsArray());
    }

    [Theory]
    [InlineData("kms-demo@1.0.0")]
    [InlineData("node-fetch@1.7.1")]
    [InlineData("async@2.5.0")]
    public async Task Verify_WhenSignedPackageWithoutProvenance_SignatureVerifiesProvenanceAbsent(string spec)
    {
        var (exit, json, err) = await VerifyJson(spec);
        var r = json.Single()!;
        if (spec.StartsWith("kms-demo", StringComparison.Ordinal))
        {
            // No tarball recorded for kms-demo: the registry cannot serve it.
            Assert.Equal("VOUCH_TARBALL_NOT_FOUND", Codes(r));
            Assert.Equal(1, exit);
            return;
        }

        Assert.True(exit == 0, err + json);
        Assert.Equal("verified", (string?)r["signature"]!["status"]);
        Assert.Equal("absent", (string?)r["provenance"]!["status"]);
        Assert.Equal("none", (string?)r["publisher"]!["evidenceLevel"]);
        Assert.Equal("packument", (string?)r["publishTimeSource"]);
    }

    [Fact]
    public async Task Verify_WhenTarballByteFlipped_FailsIntegrity()
    {
        _registry.TarballBytes["sigstore-1.0.0.tgz"][200] ^= 0x01;
        var (exit, json, _) = await VerifyJson("sigstore@1.0.0");
        Assert.Equal(1, exit);
        Assert.Equal("invalid", (string?)json[0]!["integrity"]!["status"]);
        Assert.Contains("VOUCH_INTEGRITY_MISMATCH", Codes(json[0]!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenSignatureOfAnotherVersion_FailsSignature()
    {
        var other = JsonNode.Parse(File.ReadAllText(Vouch.Tests.SharedFixtures.Path("npm", "signatures.json")))!.AsArray().First(r => (string)r!["name"]! == "tuf-js")!;
        _registry.Tamper.Add((name, _, doc) =>
        {
            if (name == "sigstore")
            {
                doc["dist"]!["signatures"] = other["signatures"]!.DeepClone();
            }
        });
        var (exit, json, _) = await VerifyJson("sigstore@1.0.0");
        Assert.Equal(1, exit);
        Assert.Equal("invalid", (string?)json[0]!["signature"]!["status"]);
        Assert.Equal("VOUCH_SIG_INVALID", Codes(json[0]!));
    }

    [Fact]
    public async Task Verify_WhenAttestationOfAnotherPackage_FailsProvenanceAndPublish()
    {
        _registry.Attestations["sigstore@1.0.0"] = _registry.Attestations["tuf-js@1.0.0"];
        var (exit, json, _) = await VerifyJson("sigstore@1.0.0");
        Assert.Equal(1, exit);
        Assert.Equal("invalid", (string?)json[0]!["provenance"]!["status"]);
        Assert.Contains("VOUCH_PROVENANCE_SUBJECT_MISMATCH", Codes(json[0]!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenPredicateRepositoryEdited_FailsProvenance()
    {
        var doc = JsonNode.Parse(_registry.Attestations["sigstore@1.0.0"])!;
        var bundle = doc["attestations"]!.AsArray().First(a => ((string)a!["predicateType"]!).Contains("slsa", StringComparison.Ordinal))!["bundle"]!;
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!));
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(payload.Replace("sigstore/sigstore-js", "attacker/sigstore-js", StringComparison.Ordinal)));
        _registry.Attestations["sigstore@1.0.0"] = doc.ToJsonString();

        var (exit, json, _) = await VerifyJson("sigstore@1.0.0");
        Assert.Equal(1, exit);
        Assert.Contains("VOUCH_PROVENANCE_INVALID", Codes(json[0]!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenPackageJsonClaimsAnotherRepository_FailsSourceBinding()
    {
        _registry.Tamper.Add((name, _, doc) =>
        {
            if (name == "sigstore")
            {
                doc["repository"] = new JsonObject { ["type"] = "git", ["url"] = "git+https://github.com/someone-else/sigstore-js.git" };
            }
        });
        var (exit, json, _) = await VerifyJson("sigstore@1.0.0");
        Assert.Equal(1, exit);
        Assert.Equal("VOUCH_SOURCE_MISMATCH", Codes(json[0]!));
    }

    [Fact]
    public async Task Verify_WhenPublishedAfterKeyExpired_FailsKeyWindow()
    {
        // node-fetch has no publish attestation, so its publish time comes from the packument: after
        // the key's TUF validity window (until 2025-01-29) the signature must not count.
        _registry.PublishTime = "2025-06-01T00:00:00.000Z";
        var (exit, json, _) = await VerifyJson("node-fetch@1.7.1");
        Assert.Equal(1, exit);
        Assert.Equal("invalid", (string?)json[0]!["signature"]!["status"]);
        Assert.Equal("VOUCH_SIG_KEY_NOT_VALID", Codes(json[0]!));
    }

    [Fact]
    public async Task Verify_WhenPackageUnknown_FailsNotFound()
    {
        var (exit, json, _) = await VerifyJson("no-such-package@1.0.0");
        Assert.Equal(1, exit);
        Assert.Equal("VOUCH_PACKAGE_NOT_FOUND", Codes(json[0]!));
    }

    [Fact]
    public async Task Verify_WhenRegistryUnreachable_ExitsThree()
    {
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["verify", "--registry", "http://127.0.0.1:9/", "--cache-dir", _cache.FullName, "sigstore@1.0.0"], new StringWriter(), e);
        Assert.Equal(3, exit);
        Assert.Contains("registry or network failed", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenSpecInvalid_ExitsTwo()
    {
        var exit = await VouchCli.RunAsync(["verify", "--registry", _registry.BaseUrl.ToString(), "Not A Spec!!"], new StringWriter(), new StringWriter());
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Verify_WhenTableOutput_ShowsEvidence()
    {
        var o = new StringWriter();
        var exit = await VouchCli.RunAsync(["verify", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", _cache.FullName, "sigstore@1.0.0"], o, new StringWriter());
        Assert.Equal(0, exit);
        Assert.Contains("sigstore@1.0.0", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("verified", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 of 1 passed", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenTrustedRootFileMissing_ExitsTwo()
    {
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["verify", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", _cache.FullName, "--trusted-root", Path.Combine(_cache.FullName, "nope.json"), "sigstore@1.0.0"], new StringWriter(), e);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: --trusted-root: cannot read", e.ToString());
    }

    [Fact]
    public async Task Verify_WhenTrustedRootIsAnotherSigstoreInstance_PublicProvenanceIsInvalid()
    {
        var root = Path.Combine(_cache.FullName, "other_root.json");
        File.WriteAllText(root, Vouch.Sandbox.Sigstore.SigstoreInstance.Create().TrustedRootJson());
        var o = new StringWriter();
        var exit = await VouchCli.RunAsync(["verify", "--json", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", _cache.FullName, "--trusted-root", root, "sigstore@1.0.0"], o, new StringWriter());
        Assert.Equal(1, exit);
        Assert.Equal("invalid", (string?)JsonNode.Parse(o.ToString())![0]!["provenance"]!["status"]);
    }
}

/// <summary>The same through the built binary, as users and CI run it.</summary>
public sealed class VerifyBinaryTests
{
    [Fact]
    public async Task VouchBinary_WhenVerifyingRecordedPackage_PrintsJsonAndExitsZero()
    {
        await using var registry = await FixtureRegistry.StartAsync();
        var cache = Directory.CreateTempSubdirectory("vouch-bin-");
        var dll = Path.Combine(AppContext.BaseDirectory, "vouch.dll");
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "verify", "--json", "--registry", registry.BaseUrl.ToString(), "--cache-dir", cache.FullName, "sigstore@1.0.0", "@sigstore/protobuf-specs@0.2.1" })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        var json = JsonNode.Parse(await stdout)!.AsArray();
        Assert.Equal(2, json.Count);
        Assert.All(json, r => Assert.Equal("verified", (string?)r!["provenance"]!["status"]));
        Assert.Equal("@sigstore/protobuf-specs", (string?)json[1]!["name"]);
    }
}

/// <summary>`vouch verify --vsa`: a signed verification summary that `vouch verify-vsa` accepts for this tarball only.</summary>
public sealed class VerifyVsaCommandTests : IAsyncLifetime
{
    private FixtureRegistry _registry = null!;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-verify-vsa-");

    public async Task InitializeAsync() => _registry = await FixtureRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string P(string name) => Path.Combine(_dir.FullName, name);

    private (string Key, string Pub) Keys()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        File.WriteAllText(P("vsa.key"), key.ExportECPrivateKeyPem());
        File.WriteAllText(P("vsa.pub"), key.ExportSubjectPublicKeyInfoPem());
        return (P("vsa.key"), P("vsa.pub"));
    }

    private static string Integrity(string name, string version) =>
        (string)JsonNode.Parse(File.ReadAllText(Vouch.Tests.SharedFixtures.Path("npm", "signatures.json")))!.AsArray()
            .Single(r => (string)r!["name"]! == name && (string)r["version"]! == version)!["integrity"]!;

    [Fact]
    public async Task VerifyVsa_WhenVerifyWroteIt_PassesForThatTarballOnly()
    {
        var (key, pub) = Keys();
        var (exit, _, err) = await InProcessCli.Run("verify", "sigstore@1.0.0", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--vsa", P("s.vsa.json"), "--vsa-key", key);
        Assert.True(exit == 0, err);

        var ok = await InProcessCli.Run("verify-vsa", P("s.vsa.json"), "--key", pub, "--sha512", Integrity("sigstore", "1.0.0"), "--package", "sigstore@1.0.0", "--json");
        Assert.True(ok.Exit == 0, ok.Err + ok.Out);
        var json = JsonNode.Parse(ok.Out)!;
        Assert.True((bool)json["passed"]!);
        Assert.Equal("https://github.com/vouch/vouch#cli", (string?)json["verifier"]);

        // The same summary presented for another tarball, or for another package name, does not verify.
        var other = await InProcessCli.Run("verify-vsa", P("s.vsa.json"), "--key", pub, "--sha512", Integrity("tuf-js", "1.0.0"));
        Assert.Equal(1, other.Exit);
        var renamed = await InProcessCli.Run("verify-vsa", P("s.vsa.json"), "--key", pub, "--sha512", Integrity("sigstore", "1.0.0"), "--package", "sigstore@1.0.1");
        Assert.Equal(1, renamed.Exit);
    }

    private static JsonNode Statement(string vsaFile) =>
        JsonNode.Parse(Convert.FromBase64String((string)JsonNode.Parse(File.ReadAllText(vsaFile))!["payload"]!))!;

    [Fact]
    public async Task Verify_WhenVsaWritten_InputAttestationsAreTheVerifiedBundlesByDigest()
    {
        var (key, _) = Keys();
        var (exit, _, err) = await InProcessCli.Run("verify", "sigstore@1.0.0", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--vsa", P("i.vsa.json"), "--vsa-key", key);
        Assert.True(exit == 0, err);

        // The SHA-256 of each bundle's bytes in the recorded attestations document the registry serves.
        using var served = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Vouch.Tests.SharedFixtures.Path("npm", "attestations", "sigstore@1.0.0.json")));
        var expected = served.RootElement.GetProperty("attestations").EnumerateArray()
            .Select(a => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(a.GetProperty("bundle").GetRawText()))))
            .Order(StringComparer.Ordinal).ToList();
        var inputs = Statement(P("i.vsa.json"))["predicate"]!["inputAttestations"]!.AsArray();
        Assert.Equal(expected, inputs.Select(i => (string)i!["digest"]!["sha256"]!).Order(StringComparer.Ordinal));
        Assert.Contains(inputs, i => (string?)i!["name"] == "https://github.com/npm/attestation/tree/main/specs/publish/v0.1");
        Assert.Contains(inputs, i => (string?)i!["name"] == "https://slsa.dev/provenance/v0.2");
    }

    [Fact]
    public async Task Verify_WhenPolicyMappingDiffersFromDefault_VsaStatesThePolicysLevel()
    {
        var (key, pub) = Keys();
        var sha512 = "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(File.ReadAllBytes(Vouch.Tests.SharedFixtures.Path("npm", "tarballs", "sigstore-protobuf-specs-0.2.1.tgz"))));

        // Default mapping: a GitHub-hosted runner is L2, so a summary asked to show L3 does not.
        var (exit, _, err) = await InProcessCli.Run("verify", "@sigstore/protobuf-specs@0.2.1", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--vsa", P("d.vsa.json"), "--vsa-key", key);
        Assert.True(exit == 0, err);
        var byDefault = await InProcessCli.Run("verify-vsa", P("d.vsa.json"), "--key", pub, "--sha512", sha512, "--min-level", "3", "--json");
        Assert.Equal(1, byDefault.Exit);
        Assert.Equal("SLSA_BUILD_LEVEL_2", (string?)JsonNode.Parse(byDefault.Out)!["level"]);

        // The policy lists the publishing workflow as an isolated builder: the VSA carries the policy's L3.
        File.WriteAllText(P("mapping.yml"), "version: 1\nrules:\n  slsa:\n    severity: error\n    minimum:\n      - packages: ['@sigstore/*']\n        level: 3\n    isolated-builders: ['https://github.com/sigstore/protobuf-specs/.github/workflows/typescript-publish.yml@']\n");
        (exit, _, err) = await InProcessCli.Run("verify", "@sigstore/protobuf-specs@0.2.1", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--policy", P("mapping.yml"), "--vsa", P("m.vsa.json"), "--vsa-key", key);
        Assert.True(exit == 0, err);
        var mapped = await InProcessCli.Run("verify-vsa", P("m.vsa.json"), "--key", pub, "--sha512", sha512, "--min-level", "3", "--package", "@sigstore/protobuf-specs@0.2.1", "--json");
        Assert.True(mapped.Exit == 0, mapped.Err + mapped.Out);
        Assert.Equal("SLSA_BUILD_LEVEL_3", (string?)JsonNode.Parse(mapped.Out)!["level"]);

        // `verify --json` shows the same level: L2 under the default mapping, L3 under the policy's.
        var plain = await InProcessCli.Run("verify", "@sigstore/protobuf-specs@0.2.1", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--json");
        Assert.Equal(2, (int)JsonNode.Parse(plain.Out)![0]!["slsa"]!["level"]!);
        var withPolicy = await InProcessCli.Run("verify", "@sigstore/protobuf-specs@0.2.1", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--policy", P("mapping.yml"), "--json");
        Assert.Equal(("SLSA_BUILD_LEVEL_3", 3), ((string?)JsonNode.Parse(withPolicy.Out)![0]!["slsa"]!["name"], (int)JsonNode.Parse(withPolicy.Out)![0]!["slsa"]!["level"]!));
    }

    [Fact]
    public async Task Verify_WhenTarballTampered_IssuesNoVsa()
    {
        var (key, _) = Keys();
        _registry.TarballBytes["sigstore-1.0.0.tgz"][200] ^= 0x01;
        var (exit, output, err) = await InProcessCli.Run("verify", "sigstore@1.0.0", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--vsa", "-", "--vsa-key", key);
        Assert.Equal(1, exit);
        // No digest was verified: no VSA rather than one naming an unverified digest.
        Assert.Equal("", output);
        Assert.Contains("no VSA", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenPolicySlsaMinimumUnmet_FailsWithLevelCodeAndVsaSaysFailed()
    {
        var (key, pub) = Keys();
        File.WriteAllText(P("policy.yml"), "version: 1\nrules:\n  slsa:\n    severity: error\n    minimum:\n      - packages: ['*']\n        level: 3\n");
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["verify", "sigstore@1.0.0", "--json", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--policy", P("policy.yml"), "--vsa", P("f.vsa.json"), "--vsa-key", key], o, e);
        Assert.Equal(1, exit);
        var findings = JsonNode.Parse(o.ToString())!.AsArray()[0]!["policy"]!["findings"]!.AsArray();
        Assert.Contains(findings, f => (string?)f!["code"] == "VOUCH_POLICY_SLSA_LEVEL");

        var check = await InProcessCli.Run("verify-vsa", P("f.vsa.json"), "--key", pub, "--sha512", Integrity("sigstore", "1.0.0"), "--json");
        Assert.Equal(1, check.Exit);
        var json = JsonNode.Parse(check.Out)!;
        Assert.False((bool)json["passed"]!);
        Assert.Empty(json["verifiedLevels"]!.AsArray());
        Assert.NotNull(json["policy"]!["sha256"]);
    }

    [Theory]
    [InlineData("--vsa", "out.json")]
    [InlineData("--vsa-key", "vsa.key")]
    [InlineData("--vsa", "-", "--vsa-key", "vsa.key", "--json")]
    public async Task Verify_WhenVsaOptionsInconsistent_ExitsTwo(params string[] options)
    {
        Keys();
        var args = options.Select(o => o is "-" or "--json" || o.StartsWith("--", StringComparison.Ordinal) ? o : P(o)).ToArray();
        var (exit, _, err) = await InProcessCli.Run(["verify", "sigstore@1.0.0", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), .. args]);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenVsaKeyIsNotAKey_ExitsTwo()
    {
        File.WriteAllText(P("bad.key"), "not a key");
        var (exit, _, err) = await InProcessCli.Run("verify", "sigstore@1.0.0", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", P("cache"), "--vsa", P("o.json"), "--vsa-key", P("bad.key"));
        Assert.Equal(2, exit);
        Assert.Contains("--vsa-key", err, StringComparison.Ordinal);
    }
}
