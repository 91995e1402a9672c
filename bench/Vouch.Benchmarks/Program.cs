using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Vouch.Sigstore.Verification;

namespace Vouch.Benchmarks;

/// <summary>
/// BenchmarkDotNet entry point (any BenchmarkDotNet arguments, e.g. `--filter '*Stage*'`; all
/// benchmarks when none), plus `--quick` for the comparison script: one thread, parse + verify the
/// npm bundles in a loop for a fixed time, and print bundles per second on one line.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            return Quick(args);
        }

        // Wide enough for "@sigstore/protobuf-specs@0.2.1" in the Package column.
        var config = DefaultConfig.Instance.WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args, config);
        return 0;
    }

    /// <summary>
    /// `--quick [--seconds T] [--warmup W] [--set provenance|publish|all]`: prints
    /// `vouch <bundles/s> bundles/s (<n> verifications in <t> s, <k> bundles, <set>, 1 thread)`.
    /// </summary>
    private static int Quick(string[] args)
    {
        var seconds = Option(args, "--seconds", 10.0);
        var warmup = Option(args, "--warmup", 2.0);
        var set = OptionText(args, "--set", "provenance");
        var cases = set switch
        {
            "provenance" => NpmFixtures.Provenance(),
            "publish" => NpmFixtures.Publish(),
            "all" => NpmFixtures.All(),
            _ => null,
        };
        if (cases is null || seconds <= 0 || warmup < 0)
        {
            Console.Error.WriteLine("usage: --quick [--seconds T] [--warmup W] [--set provenance|publish|all]");
            return 2;
        }

        var verifier = new SigstoreVerifier(NpmFixtures.TrustedRoot);
        NpmFixtures.AssertAllVerify(verifier, cases);
        Run(verifier, cases, warmup);
        var (count, elapsed) = Run(verifier, cases, seconds);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"vouch {count / elapsed:F1} bundles/s ({count} verifications in {elapsed:F2} s, {cases.Count} bundles, {set}, 1 thread)"));
        return 0;
    }

    /// <summary>Parses and verifies the cases round-robin until <paramref name="seconds"/> have passed; every result must be valid.</summary>
    private static (long Count, double Seconds) Run(SigstoreVerifier verifier, IReadOnlyList<NpmCase> cases, double seconds)
    {
        var limit = Stopwatch.Frequency * seconds;
        var start = Stopwatch.GetTimestamp();
        long count = 0;
        long now;
        do
        {
            foreach (var c in cases)
            {
                var result = verifier.Verify(c.BundleJson, c.Artifact, c.Signer);
                if (!result.IsValid)
                {
                    throw new InvalidOperationException($"{c} failed during the run: {result}");
                }
            }

            count += cases.Count;
            now = Stopwatch.GetTimestamp();
        }
        while (now - start < limit);

        return (count, (now - start) / (double)Stopwatch.Frequency);
    }

    private static double Option(string[] args, string name, double fallback) =>
        OptionText(args, name, null) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name, string? fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
