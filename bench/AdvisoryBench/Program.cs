using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Vouch.Advisories;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;

// Advisory database benchmarks (docs/performance.md, "Advisory database"). Each step runs in its own
// process so the import's peak working set is the import's alone:
//   AdvisoryBench generate DIR [RECORDS] [PACKAGES]   writes DIR/osv.zip and DIR/package-lock.json
//   AdvisoryBench import DIR                           imports DIR/osv.zip into DIR/bench.db (fresh)
//   AdvisoryBench match DIR [ROUNDS]                   matches DIR/package-lock.json against DIR/bench.db
// The generated data is synthetic, seeded (fixed), and shaped like OSV's npm export: mostly MAL records
// for distinct throw-away names, and GHSA-style records with ranges, CVSS v3 vectors and CVE aliases
// concentrated on the names a lockfile uses.
var inv = CultureInfo.InvariantCulture;
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: AdvisoryBench generate|import|match DIR [...]");
    return 2;
}

var dir = Path.GetFullPath(args[1]);
Directory.CreateDirectory(dir);
var zipPath = Path.Combine(dir, "osv.zip");
var lockPath = Path.Combine(dir, "package-lock.json");
var dbPath = Path.Combine(dir, "bench.db");

switch (args[0])
{
    case "generate":
    {
        var records = args.Length > 2 ? int.Parse(args[2], inv) : 200_000;
        var packages = args.Length > 3 ? int.Parse(args[3], inv) : 2_000;
        var random = new Random(20261206);
        var vulnerable = records / 20; // 5% vulnerability records, the rest malware, as in OSV's npm export
        using (var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create))
        {
            for (var i = 0; i < records; i++)
            {
                string id, json;
                if (i < vulnerable)
                {
                    id = $"GHSA-bench-{i:D7}";
                    var name = $"lib-{random.Next(packages)}";
                    var major = random.Next(1, 6);
                    var fixedMinor = random.Next(1, 20);
                    json = $$"""{"schema_version":"1.4.0","id":"{{id}}","modified":"2025-{{1 + (i % 12):D2}}-01T00:00:00Z","published":"2024-01-01T00:00:00Z","aliases":["CVE-2025-{{i}}"],"summary":"Synthetic advisory {{i}}","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:{{(i % 2 == 0 ? "H" : "N")}}/A:N"}],"affected":[{"package":{"ecosystem":"npm","name":"{{name}}"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"{{major}}.0.0"},{"fixed":"{{major}}.{{fixedMinor}}.0"}]}]}],"database_specific":{"severity":"HIGH"} }""";
                }
                else
                {
                    id = $"MAL-bench-{i:D7}";
                    var name = i % 50 == 0 ? $"lib-{random.Next(packages)}" : $"squat-{i}";
                    json = i % 3 == 0
                        ? $$"""{"schema_version":"1.5.0","id":"{{id}}","modified":"2025-06-01T00:00:00Z","summary":"Malicious code in {{name}} (npm)","affected":[{"package":{"ecosystem":"npm","name":"{{name}}"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"""
                        : $$"""{"schema_version":"1.5.0","id":"{{id}}","modified":"2025-06-01T00:00:00Z","summary":"Malicious code in {{name}} (npm)","affected":[{"package":{"ecosystem":"npm","name":"{{name}}"},"versions":["9.9.{{i % 10}}"]}]}""";
                }

                var entry = zip.CreateEntry(id + ".json", CompressionLevel.Fastest);
                using var s = entry.Open();
                s.Write(Encoding.UTF8.GetBytes(json));
            }
        }

        var sb = new StringBuilder("{\"name\":\"bench\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,\"packages\":{\"\":{\"name\":\"bench\",\"version\":\"1.0.0\"}");
        for (var p = 0; p < packages; p++)
        {
            var v = $"{random.Next(1, 6)}.{random.Next(0, 25)}.{random.Next(0, 5)}";
            sb.Append(inv, $",\"node_modules/lib-{p}\":{{\"version\":\"{v}\",\"resolved\":\"https://registry.npmjs.org/lib-{p}/-/lib-{p}-{v}.tgz\",\"integrity\":\"sha512-AAAA\"}}");
        }

        sb.Append("}}");
        File.WriteAllText(lockPath, sb.ToString());
        Console.WriteLine($"generated {records} records ({new FileInfo(zipPath).Length / 1024 / 1024} MiB zip) and a {packages}-package lockfile in {dir}");
        return 0;
    }

    case "import":
    {
        foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" })
        {
            File.Delete(f);
        }

        using var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        using var store = AdvisoryStore.Open(dbPath, create: true);
        var result = store.Import(OsvSource.Read(zipPath));
        sw.Stop();
        self.Refresh();
        // CPU time is reported beside wall time: on a shared machine the wall clock mostly measures the neighbours.
        Console.WriteLine($"import: {result.Added} records in {sw.Elapsed.TotalSeconds:F1} s wall, {(self.TotalProcessorTime - cpu0).TotalSeconds:F1} s CPU, peak working set {self.PeakWorkingSet64 / 1024 / 1024} MiB, rejected {result.RejectedCount}, database {new FileInfo(dbPath).Length / 1024 / 1024} MiB");
        return 0;
    }

    case "match":
    {
        var rounds = args.Length > 2 ? int.Parse(args[2], inv) : 20;
        var parse = Stopwatch.StartNew();
        var lockfile = LockfileReader.Read(lockPath);
        var packages = lockfile.Packages.Select(p => new PackageRef(p.Name, SemVersion.Parse(p.Version))).ToList();
        parse.Stop();
        using var store = AdvisoryStore.Open(dbPath, create: false);
        var times = new List<double>();
        var cpuTimes = new List<double>();
        using var self = Process.GetCurrentProcess();
        var matched = 0;
        for (var r = 0; r < rounds + 3; r++)
        {
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            matched = 0;
            foreach (var matches in store.LookupMany(packages))
            {
                matched += matches.Count;
            }

            sw.Stop();
            self.Refresh();
            if (r >= 3)
            {
                times.Add(sw.Elapsed.TotalMilliseconds);
                cpuTimes.Add((self.TotalProcessorTime - cpu0).TotalMilliseconds);
            }
        }

        times.Sort();
        cpuTimes.Sort();
        Console.WriteLine($"match: {packages.Count} packages against {store.Snapshot.RecordCount} records: CPU median {cpuTimes[cpuTimes.Count / 2]:F0} ms; wall median {times[times.Count / 2]:F1} ms, min {times[0]:F1} ms, max {times[^1]:F1} ms over {rounds} rounds (3 warm-up); {matched} matches; lockfile parse {parse.Elapsed.TotalMilliseconds:F0} ms");
        return 0;
    }

    default:
        Console.Error.WriteLine($"unknown step '{args[0]}'");
        return 2;
}
