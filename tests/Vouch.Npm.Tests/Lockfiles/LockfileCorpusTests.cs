using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Vouch.Npm.Lockfiles;
using Xunit.Abstractions;

namespace Vouch.Npm.Tests.Lockfiles;

/// <summary>
/// Differential test over real lockfiles the clients wrote (Lockfiles/Corpus, sources in its
/// SOURCES.md): every file is read by our readers and by the package manager's own reader
/// (Corpus/client-readers.mjs: arborist, @pnpm/lockfile.fs, @yarnpkg/lockfile, @yarnpkg/parsers,
/// bun's JSONC parser, installed by scripts/install-tools), and the registry packages each pins
/// must be the same set. A file the client reads and we refuse is a failure; so is any exception
/// other than <see cref="LockfileFormatException"/>.
/// </summary>
public sealed class LockfileCorpusTests(ITestOutputHelper output)
{
    // Files the client reads although they are not usable lockfiles, and which we refuse on purpose.
    // Each is a hand-made test fixture of the client, not a file a client wrote on its own.
    private const string NoVersion = "an entry pins no version (arborist test fixture): nothing to verify it against, so the lockfile is refused";
    private const string Arborist = "arborist/workspaces__arborist__test__fixtures__";

    private static readonly Dictionary<string, string> RefusedOnPurpose = new(StringComparer.Ordinal)
    {
        [Arborist + "dep-missing-resolved/package-lock.json.gz"] = NoVersion,
        [Arborist + "external-link-dep/package-lock.json.gz"] = NoVersion,
        [Arborist + "external-link__root/package-lock.json.gz"] = NoVersion,
        [Arborist + "install-types-sw-only/package-lock.json.gz"] = NoVersion,
        [Arborist + "install-types/package-lock.json.gz"] = NoVersion,
        [Arborist + "minimist-git-metadep/package-lock.json.gz"] = NoVersion,
        [Arborist + "pnpm/package-lock.json.gz"] = NoVersion,
        ["pnpm-fixtures/pnpm11__installing__deps-restorer__test__fixtures__peer-variant-missing-resolution/pnpm-lock.yaml.gz"] =
            "a packages entry without resolution (pnpm's test of that defect): nothing says where its bytes come from",
    };

    // Files both read, where the client's reading is the odd one out.
    private static readonly Dictionary<string, string> ClientDiffersOnPurpose = new(StringComparer.Ordinal)
    {
        ["pnpm-fixtures/pnpm11____utils____assert-store__test__fixture__project/pnpm-lock.yaml.gz"] =
            "a 9.0 fixture kept with 5.x-style '/is-positive@3.1.0' keys; pnpm 11 finds no version in that key, we read is-positive@3.1.0",
    };

    [Fact]
    public void Corpus_WhenReadByOursAndByTheClients_SameRegistryPackages()
    {
        var corpus = Path.Combine(Path.GetDirectoryName(LockfileFixtures.Root)!, "Corpus");
        var files = Directory.EnumerateFiles(corpus, "*.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 250, $"the corpus has {files.Count} files");

        var clients = RunClientReaders(corpus).ToDictionary(r => r.File, StringComparer.Ordinal);
        var problems = new List<string>();
        var counts = new SortedDictionary<string, int[]>(StringComparer.Ordinal); // format: files, matched, both refused, packages
        foreach (var gz in files)
        {
            var rel = Path.GetRelativePath(corpus, gz).Replace('\\', '/');
            var name = Path.GetFileNameWithoutExtension(gz);
            string text;
            using (var stream = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
            using (var reader = new StreamReader(stream, new UTF8Encoding(false, true)))
            {
                text = reader.ReadToEnd();
            }

            Assert.True(clients.TryGetValue(rel, out var client), $"{rel}: the client readers gave no answer");
            Lockfile? ours = null;
            LockfileFormatException? refused = null;
            try
            {
                ours = LockfileReader.Parse(text, Path.Combine(Path.GetDirectoryName(gz)!, name));
            }
            catch (LockfileFormatException e)
            {
                refused = e;
            }

            var format = ours is null ? $"{name} (refused)" : $"{ours.Format} {FormatGeneration(ours)}";
            var row = counts.TryGetValue(format, out var r) ? r : counts[format] = new int[4];
            row[0]++;
            if (ours is null)
            {
                if (!client!.Ok)
                {
                    row[2]++;
                    output.WriteLine($"both refuse {rel}: ours {refused!.Code} {refused.Problem}; client: {client.Error}");
                }
                else if (RefusedOnPurpose.TryGetValue(rel, out var why))
                {
                    row[2]++;
                    output.WriteLine($"refused on purpose {rel}: {why}");
                }
                else
                {
                    problems.Add($"{rel}: the client reads it ({client.Packages.Length} registry packages), we refuse it: {refused!.Code} {refused.Message}");
                }

                continue;
            }

            if (!client!.Ok)
            {
                output.WriteLine($"client refuses, we read {rel}: {client.Error}");
                row[2]++;
                continue;
            }

            var mine = ours.Packages.Where(p => p.Source == LockfileSourceKind.Registry && !p.Bundled)
                .Select(p => $"{p.Name}@{p.Version}").ToHashSet(StringComparer.Ordinal);
            var theirs = client.Packages.ToHashSet(StringComparer.Ordinal);
            if (mine.SetEquals(theirs))
            {
                row[1]++;
                row[3] += mine.Count;
            }
            else if (ClientDiffersOnPurpose.TryGetValue(rel, out var why))
            {
                output.WriteLine($"differs on purpose {rel}: {why}");
            }
            else
            {
                var onlyOurs = mine.Except(theirs).Take(5);
                var onlyTheirs = theirs.Except(mine).Take(5);
                problems.Add($"{rel}: registry packages differ (ours {mine.Count}, client {theirs.Count}); only ours: {string.Join(", ", onlyOurs)}; only the client's: {string.Join(", ", onlyTheirs)}");
            }
        }

        output.WriteLine($"{"format",-28} {"files",6} {"same",6} {"refused",8} {"packages",9}");
        foreach (var (format, c) in counts)
        {
            output.WriteLine($"{format,-28} {c[0],6} {c[1],6} {c[2],8} {c[3],9}");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    private static string FormatGeneration(Lockfile lockfile) => lockfile.Format switch
    {
        LockfileFormat.Pnpm or LockfileFormat.YarnBerry or LockfileFormat.Bun => "v" + lockfile.FormatVersion.Split('.', '-')[0],
        _ => "",
    };

    private sealed record ClientResult(string File, bool Ok, string? Error, string[] Packages);

    private static List<ClientResult> RunClientReaders(string corpus)
    {
        var tools = ToolsDir();
        var readers = Path.Combine(tools, "lockfile-readers");
        var bun = Path.Combine(tools, "bun", "node_modules", ".bin", "bun");
        if (!Directory.Exists(Path.Combine(readers, "node_modules")) || !File.Exists(bun))
        {
            Assert.Fail($"the clients' lockfile readers are not installed in {tools} (run scripts/install-tools)");
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[Path.Combine(corpus, "client-readers.mjs"), readers, bun, corpus])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"client-readers.mjs failed: {stderr.Result}");
        return JsonSerializer.Deserialize<List<ClientResult>>(stdout, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    private static string ToolsDir()
    {
        if (Environment.GetEnvironmentVariable("VOUCH_TOOLS_DIR") is { Length: > 0 } env)
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return Path.Combine(dir.FullName, ".tools");
            }
        }

        return ".tools";
    }
}
