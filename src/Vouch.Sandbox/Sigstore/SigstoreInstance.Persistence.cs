using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Common.Json;

namespace Vouch.Sandbox.Sigstore;

public sealed partial class SigstoreInstance
{
    private const string FormatName = "vouch-sandbox-sigstore/1";
    private const string InstanceFile = "instance.json";

    /// <summary>
    /// Writes keys (PKCS#8 PEM, owner-only on Unix), certificates, settings, the log entries so far,
    /// and a copy of the trusted root to <paramref name="directory"/>, so that <see cref="Load"/> brings
    /// back the same trust root and the same logs. Overwrites an earlier save.
    /// </summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        WriteSecret(directory, "fulcio-root.key.pem", _fulcio.RootKey);
        WriteSecret(directory, "fulcio-intermediate.key.pem", _fulcio.IntermediateKey);
        WriteSecret(directory, "ctlog.key.pem", _ctLog.Key);
        WriteSecret(directory, "rekor.key.pem", _rekor.Key);
        WriteSecret(directory, "tsa-root.key.pem", _tsa.RootKey);
        WriteSecret(directory, "tsa.key.pem", _tsa.SigningKey);
        WriteCertificate(directory, "fulcio-root.crt.pem", _fulcio.Root);
        WriteCertificate(directory, "fulcio-intermediate.crt.pem", _fulcio.Intermediate);
        WriteCertificate(directory, "tsa-root.crt.pem", _tsa.Root);
        WriteCertificate(directory, "tsa.crt.pem", _tsa.SigningCertificate);
        WriteEntries(directory, "rekor.entries.jsonl", _rekor);
        if (_rekorV2 is not null)
        {
            WriteSecret(directory, "rekor-v2.key.pem", _rekorV2.Key);
            WriteEntries(directory, "rekor-v2.entries.jsonl", _rekorV2);
        }

        File.WriteAllText(Path.Combine(directory, "trusted_root.json"), TrustedRootJson());

        // Written last: a directory without it is an interrupted save, and Load refuses it.
        var settings = new JsonObject
        {
            ["format"] = FormatName,
            ["organization"] = Options.Organization,
            ["fulcioUrl"] = Options.FulcioUrl,
            ["rekorUrl"] = Options.RekorUrl,
            ["rekorV2Url"] = Options.RekorV2Url,
            ["ctLogUrl"] = Options.CtLogUrl,
            ["tsaUrl"] = Options.TsaUrl,
            ["enableRekorV2"] = Options.EnableRekorV2,
            ["validFrom"] = Options.ValidFrom!.Value.ToUnixTimeSeconds(),
            ["rekorTreeId"] = Options.RekorTreeId!.Value,
        };
        if (Options.ValidUntil is { } until)
        {
            settings["validUntil"] = until.ToUnixTimeSeconds();
        }

        File.WriteAllText(Path.Combine(directory, InstanceFile), settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Recreates an instance written by <see cref="Save"/>: same keys, certificates, tree ID and log contents.</summary>
    public static SigstoreInstance Load(string directory, TimeProvider? timeProvider = null)
    {
        var settingsPath = Path.Combine(directory, InstanceFile);
        if (!File.Exists(settingsPath))
        {
            throw new FileNotFoundException($"no saved Sigstore instance in {directory}", settingsPath);
        }

        JsonObject settings;
        try
        {
            settings = JsonInput.ParseNode(File.ReadAllText(settingsPath), 64)?.AsObject() ?? throw new InvalidDataException("empty settings");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{settingsPath} is not valid JSON", e);
        }

        if (settings["format"]?.GetValue<string>() != FormatName)
        {
            throw new InvalidDataException($"{settingsPath} is not a {FormatName} file");
        }

        var options = new SigstoreInstanceOptions
        {
            Organization = Text(settings, "organization"),
            FulcioUrl = Text(settings, "fulcioUrl"),
            RekorUrl = Text(settings, "rekorUrl"),
            RekorV2Url = Text(settings, "rekorV2Url"),
            CtLogUrl = Text(settings, "ctLogUrl"),
            TsaUrl = Text(settings, "tsaUrl"),
            EnableRekorV2 = settings["enableRekorV2"]?.GetValue<bool>() ?? false,
            ValidFrom = DateTimeOffset.FromUnixTimeSeconds(Number(settings, "validFrom")),
            ValidUntil = settings["validUntil"] is null ? null : DateTimeOffset.FromUnixTimeSeconds(Number(settings, "validUntil")),
            RekorTreeId = Number(settings, "rekorTreeId"),
        };

        var fulcio = new FulcioCa(
            ReadEcdsa(directory, "fulcio-root.key.pem"),
            ReadCertificate(directory, "fulcio-root.crt.pem"),
            ReadEcdsa(directory, "fulcio-intermediate.key.pem"),
            ReadCertificate(directory, "fulcio-intermediate.crt.pem"));
        var tsa = new TimestampAuthority(
            ReadEcdsa(directory, "tsa-root.key.pem"),
            ReadCertificate(directory, "tsa-root.crt.pem"),
            ReadEcdsa(directory, "tsa.key.pem"),
            ReadCertificate(directory, "tsa.crt.pem"));
        CheckPair(fulcio.Root, fulcio.RootKey, "fulcio-root");
        CheckPair(fulcio.Intermediate, fulcio.IntermediateKey, "fulcio-intermediate");
        CheckPair(tsa.Root, tsa.RootKey, "tsa-root");
        CheckPair(tsa.SigningCertificate, tsa.SigningKey, "tsa");

        Ed25519KeyPair? rekorV2Key = null;
        if (options.EnableRekorV2)
        {
            rekorV2Key = ReadKey(directory, "rekor-v2.key.pem") as Ed25519KeyPair
                ?? throw new InvalidDataException("rekor-v2.key.pem is not an Ed25519 key");
        }

        var instance = new SigstoreInstance(
            options,
            timeProvider ?? TimeProvider.System,
            fulcio,
            ReadEcdsa(directory, "ctlog.key.pem"),
            ReadEcdsa(directory, "rekor.key.pem"),
            rekorV2Key,
            tsa);
        ReplayEntries(directory, "rekor.entries.jsonl", instance._rekor);
        if (instance._rekorV2 is not null)
        {
            ReplayEntries(directory, "rekor-v2.entries.jsonl", instance._rekorV2);
        }

        return instance;
    }

    private static void WriteSecret(string directory, string name, KeyPair key)
    {
        var path = Path.Combine(directory, name);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(key.ExportPkcs8Pem());
        }

        // UnixCreateMode only applies to new files; tighten one left by an earlier save too.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static void WriteCertificate(string directory, string name, X509Certificate2 certificate) =>
        File.WriteAllText(Path.Combine(directory, name), PemEncoding.WriteString("CERTIFICATE", certificate.RawData) + "\n");

    private static void WriteEntries(string directory, string name, TransparencyLog log)
    {
        var builder = new StringBuilder();
        foreach (var entry in log.Entries())
        {
            var line = new JsonObject { ["body"] = Convert.ToBase64String(entry.Body) };
            if (entry.IntegratedTime is { } time)
            {
                line["integratedTime"] = time;
            }

            builder.Append(line.ToJsonString()).Append('\n');
        }

        File.WriteAllText(Path.Combine(directory, name), builder.ToString());
    }

    private static void ReplayEntries(string directory, string name, TransparencyLog log)
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
        {
            return;
        }

        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                var entry = JsonInput.ParseNode(line, 64)!.AsObject();
                long? time = entry["integratedTime"] is null ? null : entry["integratedTime"]!.GetValue<long>();
                log.Append(Convert.FromBase64String(entry["body"]!.GetValue<string>()), time);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a log entry", e);
            }
        }
    }

    private static KeyPair ReadKey(string directory, string name) =>
        KeyPair.FromPkcs8Pem(File.ReadAllText(Path.Combine(directory, name)));

    private static EcdsaKeyPair ReadEcdsa(string directory, string name) =>
        ReadKey(directory, name) as EcdsaKeyPair ?? throw new InvalidDataException($"{name} is not an ECDSA key");

    private static X509Certificate2 ReadCertificate(string directory, string name) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory, name)));

    private static void CheckPair(X509Certificate2 certificate, KeyPair key, string name)
    {
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new InvalidDataException($"{name}: certificate and private key do not match");
        }
    }

    private static string Text(JsonObject settings, string name) =>
        settings[name]?.GetValue<string>() ?? throw new InvalidDataException($"{InstanceFile}: missing {name}");

    private static long Number(JsonObject settings, string name) =>
        settings[name]?.GetValue<long>() ?? throw new InvalidDataException($"{InstanceFile}: missing {name}");
}
