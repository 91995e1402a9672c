using System.Diagnostics;
using System.Globalization;
using System.Text;
using Vouch.Npm.Lockfiles;
using Vouch.Reviews;
using Vouch.Reviews.Records;

// `review check` over a generated project: PACKAGES locked packages and AUDITS audits (full audits,
// delta chains, violations, exemptions). Usage: ReviewBench [DIR] [PACKAGES] [AUDITS] [ROUNDS].
// With DIR it only writes the project there (for bench/review-bench.sh, which times the CLI).
var dir = args.Length > 0 ? args[0] : Directory.CreateTempSubdirectory("vouch-review-bench-").FullName;
var packages = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
var audits = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
Generate(dir, packages, audits);
if (args.Length > 0 && rounds == 0)
{
    Console.WriteLine(dir);
    return;
}

var times = new List<double>();
ReviewCheckResult? last = null;
for (var i = 0; i < rounds + 2; i++)
{
    var sw = Stopwatch.StartNew();
    var chain = SupplyChain.Load(Path.Combine(dir, "supply-chain"));
    var lockfile = LockfileReader.Read(Path.Combine(dir, "package-lock.json"));
    last = ReviewCheck.Run(chain, lockfile, TimeProvider.System);
    sw.Stop();
    if (i >= 2)
    {
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
}

if (Environment.GetEnvironmentVariable("REVIEW_BENCH_STAGES") == "1")
{
    // Where the time goes, stage by stage (printed, not asserted).
    for (var i = 0; i < 3; i++)
    {
        var sw = Stopwatch.StartNew();
        var text = File.ReadAllText(Path.Combine(dir, "supply-chain", "audits.toml"));
        SupplyChainParser.Parse(text, "audits.toml");
        var parse = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var chain = SupplyChain.Load(Path.Combine(dir, "supply-chain"));
        var load = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var lockfile = LockfileReader.Read(Path.Combine(dir, "package-lock.json"));
        var read = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        ReviewCheck.Run(chain, lockfile, TimeProvider.System);
        Console.WriteLine(FormattableString.Invariant($"  stages: parse audits.toml {parse:F0} ms, load supply-chain/ {load:F0} ms, read lockfile {read:F0} ms, check {sw.Elapsed.TotalMilliseconds:F0} ms"));
    }
}

times.Sort();
Console.WriteLine(FormattableString.Invariant($"review check: {packages} locked packages, {audits} audits, {rounds} rounds after 2 warm-up rounds (in-process: load supply-chain/, read the lockfile, check)"));
Console.WriteLine(FormattableString.Invariant($"  min {times[0]:F1} ms, median {times[times.Count / 2]:F1} ms, max {times[^1]:F1} ms"));
Console.WriteLine(FormattableString.Invariant($"  covered {last!.Coverage.Packages.Count(p => p.Covered)} of {last.Coverage.Packages.Count}"));

static void Generate(string dir, int packages, int audits)
{
    var sc = Path.Combine(dir, "supply-chain");
    Directory.CreateDirectory(sc);
    var lockSb = new StringBuilder("{\"name\":\"bench\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,\"packages\":{\"\":{\"name\":\"bench\",\"version\":\"1.0.0\"}");
    var auditSb = new StringBuilder("[criteria.crypto-reviewed]\ndescription = \"bench\"\nimplies = \"safe-to-deploy\"\n");
    var configSb = new StringBuilder();
    var perPackage = Math.Max(1, audits / packages);
    var written = 0;
    for (var p = 0; p < packages; p++)
    {
        var name = p % 5 == 0 ? $"@scope{p % 50}/pkg-{p}" : $"pkg-{p}";
        var locked = $"1.{perPackage - 1}.0";
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(Encoding.UTF8.GetBytes(name)));
        lockSb.Append(CultureInfo.InvariantCulture, $",\"node_modules/{name}\":{{\"version\":\"{locked}\",\"resolved\":\"https://registry.npmjs.org/{name}/-/x-{locked}.tgz\",\"integrity\":\"sha512-{hash}\"{(p % 7 == 0 ? ",\"dev\":true" : "")}}}");
        var quoted = SupplyChainWriter.Quote(name);
        // A full audit of 1.0.0 and a chain of deltas 1.0.0 -> 1.1.0 -> ... -> the locked version; every 10th chain has a gap.
        for (var k = 0; k < perPackage && written < audits; k++, written++)
        {
            auditSb.Append(CultureInfo.InvariantCulture, $"\n[[audits.{quoted}]]\nwho = \"Reviewer {k} <r{k}@example.com>\"\ncriteria = \"{(p % 11 == 0 ? "crypto-reviewed" : "safe-to-deploy")}\"\n");
            auditSb.Append(k == 0 ? "version = \"1.0.0\"\n" : (p % 10 == 3 && k == perPackage / 2 ? $"delta = \"1.{k - 1}.1 -> 1.{k}.0\"\n" : $"delta = \"1.{k - 1}.0 -> 1.{k}.0\"\n"));
            auditSb.Append("notes = \"Read the diff; no new install scripts, no network or file-system access added.\"\n");
        }

        if (p % 13 == 0)
        {
            configSb.Append(CultureInfo.InvariantCulture, $"\n[[exemptions.{quoted}]]\nversion = \"{locked}\"\ncriteria = \"safe-to-run\"\nreason = \"bench\"\nexpires = 2099-01-01\n");
        }

        if (p % 97 == 0)
        {
            auditSb.Append(CultureInfo.InvariantCulture, $"\n[[audits.{quoted}]]\ncriteria = \"safe-to-run\"\nviolation = \"<0.5.0\"\n");
        }
    }

    File.WriteAllText(Path.Combine(dir, "package-lock.json"), lockSb.Append("}}").ToString());
    File.WriteAllText(Path.Combine(sc, "audits.toml"), auditSb.ToString());
    File.WriteAllText(Path.Combine(sc, "config.toml"), configSb.ToString());
}
