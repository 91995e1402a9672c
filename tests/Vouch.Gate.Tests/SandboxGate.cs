using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests;

/// <summary>
/// The attacker's view: the gate (default policy) in front of the sandbox replaying the
/// lottie-player incident, with the withheld versions' tarball bytes read straight from the
/// sandbox so a test can look for any of them in what the gate answers.
/// </summary>
public sealed class SandboxGate : IAsyncLifetime
{
    public const string Package = "@lottiefiles/lottie-player";
    private SandboxRegistry? _sandbox;
    private GateHost? _gate;
    private string? _dir;

    public Uri Url => _gate!.Url;

    public Uri SandboxUrl => _sandbox!.Url;

    public IReadOnlyList<string> WithheldVersions { get; private set; } = [];

    /// <summary>Tarball bytes of every withheld version.</summary>
    public IReadOnlyList<byte[]> WithheldTarballs { get; private set; } = [];

    /// <summary>The tarball file names of withheld versions (e.g. lottie-player-2.0.5.tgz).</summary>
    public IReadOnlyList<string> WithheldFiles { get; private set; } = [];

    /// <summary>dist.integrity of every withheld version: its presence means an unfiltered document leaked.</summary>
    public IReadOnlyList<string> WithheldIntegrities { get; private set; } = [];

    private byte[][] _windows = [];

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        _dir = Path.Combine(Path.GetTempPath(), "vouch-sbgate-" + Guid.NewGuid().ToString("n"));
        _gate = await GateHost.StartAsync(
            new GateOptions { Upstream = _sandbox.Url, Listen = "127.0.0.1:0", Database = Path.Combine(_dir, "gate.db"), DataDirectory = _dir, Tokens = GateFixture.Tokens },
            new GateDependencies
            {
                UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                Sigstore = new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.Parse(Encoding.UTF8.GetBytes(_sandbox.TrustedRootJson))),
                TrustedKeys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(_sandbox.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations(),
            });

        using var http = new HttpClient();
        var filtered = JsonNode.Parse(await http.GetStringAsync(new Uri(Url, "@lottiefiles%2flottie-player")))!;
        WithheldVersions = filtered["_vouch"]!["withheld"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        var upstream = JsonNode.Parse(await http.GetStringAsync(new Uri(_sandbox.Url, "@lottiefiles%2flottie-player")))!;
        var tarballs = new List<byte[]>();
        var files = new List<string>();
        var integrities = new List<string>();
        foreach (var v in WithheldVersions)
        {
            var dist = upstream["versions"]![v]!["dist"]!;
            var url = new Uri((string)dist["tarball"]!);
            tarballs.Add(await http.GetByteArrayAsync(url));
            files.Add(url.Segments[^1]);
            integrities.Add((string)dist["integrity"]!);
        }

        WithheldTarballs = tarballs;
        WithheldFiles = files;
        WithheldIntegrities = integrities;

        // Aligned 64-byte windows: any leaked run of 127 or more contiguous bytes contains one.
        _windows = tarballs.SelectMany(t => Enumerable.Range(0, t.Length / 64).Select(i => t.AsSpan(i * 64, 64).ToArray())).ToArray();
    }

    /// <summary>What of a withheld version the bytes contain, or null when nothing.</summary>
    public string? Leak(byte[] answer)
    {
        foreach (var w in _windows)
        {
            if (answer.AsSpan().IndexOf(w) >= 0)
            {
                return "bytes of a withheld tarball";
            }
        }

        // Integrity strings alone are not a leak (the verify API reports them); inside a document with
        // dist fields they mean an unfiltered packument or version document went out.
        var text = Encoding.UTF8.GetString(answer);
        if (!text.Contains("\"dist\"", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var i in WithheldIntegrities)
        {
            if (text.Contains(i, StringComparison.Ordinal))
            {
                return $"the integrity {i} of a withheld version (an unfiltered document)";
            }
        }

        return null;
    }

    public static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    public async Task DisposeAsync()
    {
        if (_gate is not null)
        {
            await _gate.DisposeAsync();
        }

        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
