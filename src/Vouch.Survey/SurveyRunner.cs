using System.Text;
using System.Text.Json;
using Vouch.Common;

namespace Vouch.Survey;

/// <summary>What a survey writes and how it runs (`vouch survey` options).</summary>
public sealed record SurveyRunOptions
{
    /// <summary>Identifies the registry in the checkpoint (a checkpoint resumes only against the same one).</summary>
    public required string Registry { get; init; }

    public bool AllVersions { get; init; }

    /// <summary>Packages surveyed at once.</summary>
    public int Concurrency { get; init; } = 8;

    public string? JsonlPath { get; init; }

    public string? CsvPath { get; init; }

    public string? CheckpointPath { get; init; }

    /// <summary>Rows between two checkpoint saves.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Rows finished so far (including a resumed run's earlier rows) of the whole input.</summary>
    public IProgress<(int Done, int Total)>? Progress { get; init; }
}

/// <summary>The outcome of a run: the summary, and the row the run stopped at when the network failed.</summary>
public sealed record SurveyRunResult(SurveySummary Summary, SurveyRow? StoppedAt, bool Resumed);

/// <summary>
/// Runs a survey: a bounded window of packages in flight, rows written in input order as soon as
/// every earlier row is done (so memory holds at most the window, and output is deterministic),
/// outputs grown in `FILE.partial` and renamed into place at the end, and a checkpoint (rows done,
/// output lengths, running summary) saved atomically every few rows. A registry or network failure
/// stops the run before the failed package, so a transient failure is retried on resume rather
/// than recorded as a result.
/// </summary>
public sealed class SurveyRunner
{
    private readonly PackageSurveyor _surveyor;

    public SurveyRunner(PackageSurveyor surveyor) => _surveyor = surveyor;

    public async Task<SurveyRunResult> RunAsync(SurveyInput input, SurveyRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1);
        var checkpoint = options.CheckpointPath is { } cp ? Checkpoint.Load(cp, input, options) : null;
        var summary = checkpoint?.Summary ?? new SurveySummary();
        var start = checkpoint?.Next ?? 0;
        using var jsonl = Output.Open(options.JsonlPath, checkpoint?.JsonlLength);
        using var csv = Output.Open(options.CsvPath, checkpoint?.CsvLength, Encoding.UTF8.GetBytes(SurveyFormats.CsvHeader + "\n"));
        var next = start;
        SurveyRow? stopped = null;
        var window = new Queue<Task<SurveyRow>>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        void Save()
        {
            if (options.CheckpointPath is { } path)
            {
                jsonl?.Flush();
                csv?.Flush();
                Checkpoint.Save(path, input, options, next, jsonl?.Length, csv?.Length, summary);
            }
        }

        bool Commit(SurveyRow row)
        {
            if (stopped is not null)
            {
                return false;
            }

            if (row.Status == RowStatus.NetworkError)
            {
                stopped = row;
                return false;
            }

            jsonl?.Write([.. SurveyFormats.Json(row), (byte)'\n']);
            csv?.Write(Encoding.UTF8.GetBytes(SurveyFormats.Csv(row) + "\n"));
            summary.Add(row);
            next = row.Index + 1;
            options.Progress?.Report((next, input.Count));
            if ((next - start) % options.CheckpointEvery == 0)
            {
                Save();
            }

            return true;
        }

        try
        {
            foreach (var target in input.Targets(start))
            {
                if (window.Count >= options.Concurrency && !Commit(await window.Dequeue().ConfigureAwait(false)))
                {
                    break;
                }

                window.Enqueue(Task.Run(() => _surveyor.SurveyAsync(target, stop.Token), stop.Token));
            }

            while (window.Count > 0)
            {
                Commit(await window.Dequeue().ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException)
        {
            // Interrupted (Ctrl+C): keep what is committed, so the checkpoint resumes from here.
            await Task.WhenAll(window.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
            Save();
            throw;
        }

        if (stopped is not null)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Save();
            if (options.CheckpointPath is null)
            {
                jsonl?.Discard();
                csv?.Discard();
            }

            return new SurveyRunResult(summary, stopped, checkpoint is not null);
        }

        jsonl?.Complete();
        csv?.Complete();
        if (options.CheckpointPath is { } done && File.Exists(done))
        {
            File.Delete(done);
        }

        return new SurveyRunResult(summary, null, checkpoint is not null);
    }

    /// <summary>An output grown in `PATH.partial`; renamed into place when the run completes.</summary>
    private sealed class Output : IDisposable
    {
        private readonly string _path;
        private readonly string _partial;
        private FileStream? _stream;

        private Output(string path, FileStream stream)
        {
            _path = path;
            _partial = path + ".partial";
            _stream = stream;
        }

        public long Length => _stream?.Length ?? 0;

        public static Output? Open(string? path, long? resumeAt, byte[]? header = null)
        {
            if (path is null)
            {
                return null;
            }

            path = Path.GetFullPath(path);
            var partial = path + ".partial";
            if (resumeAt is { } length)
            {
                var existing = new FileInfo(partial);
                if (!existing.Exists || existing.Length < length)
                {
                    throw new SurveyInputException(SurveyCodes.CheckpointMismatch, [$"{partial} is missing or shorter than the checkpoint records ({length} bytes); delete the checkpoint to start again"]);
                }

                var resumed = new FileStream(partial, FileMode.Open, FileAccess.Write, FileShare.Read);
                resumed.SetLength(length);
                resumed.Seek(0, SeekOrigin.End);
                return new Output(path, resumed);
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.Read);
            if (header is not null)
            {
                stream.Write(header);
            }

            return new Output(path, stream);
        }

        public void Write(ReadOnlySpan<byte> bytes) => _stream!.Write(bytes);

        public void Flush() => _stream!.Flush();

        public void Complete()
        {
            _stream!.Dispose();
            _stream = null;
            AtomicFile.Replace(_partial, _path);
        }

        public void Discard()
        {
            _stream?.Dispose();
            _stream = null;
            File.Delete(_partial);
        }

        public void Dispose() => _stream?.Dispose();
    }

    /// <summary>The resume point: rows done, output lengths, the running summary, and what they belong to.</summary>
    private sealed record Checkpoint(int Next, long? JsonlLength, long? CsvLength, SurveySummary Summary)
    {
        private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

        public static Checkpoint? Load(string path, SurveyInput input, SurveyRunOptions options)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var info = new FileInfo(path);
            if (info.Length > Limits.MaxCheckpointBytes)
            {
                throw Mismatch(path, $"larger than {Limits.MaxCheckpointBytes} bytes");
            }

            CheckpointDocument? doc;
            try
            {
                doc = JsonSerializer.Deserialize<CheckpointDocument>(File.ReadAllBytes(path), Json);
            }
            catch (JsonException e)
            {
                throw Mismatch(path, $"not a survey checkpoint ({e.Message})");
            }

            if (doc is null || doc.Schema != 1 || doc.Summary is null)
            {
                throw Mismatch(path, "not a survey checkpoint");
            }

            var expected = Identity(input, options);
            if (doc.Identity != expected)
            {
                throw Mismatch(path, $"written for another survey ({doc.Identity}); this one is {expected}");
            }

            if (doc.Next < 0 || doc.Next > input.Count || doc.Summary.Rows != doc.Next || doc.JsonlLength < 0 || doc.CsvLength < 0)
            {
                throw Mismatch(path, "its row count is inconsistent");
            }

            return new Checkpoint(doc.Next, doc.JsonlLength, doc.CsvLength, doc.Summary);
        }

        public static void Save(string path, SurveyInput input, SurveyRunOptions options, int next, long? jsonl, long? csv, SurveySummary summary)
        {
            var doc = new CheckpointDocument { Schema = 1, Identity = Identity(input, options), Next = next, JsonlLength = jsonl, CsvLength = csv, Summary = summary };
            AtomicFile.Write(Path.GetFullPath(path), JsonSerializer.SerializeToUtf8Bytes(doc, Json));
        }

        // What must be equal for rows to be appendable: the population, the registry, the mode and the outputs.
        private static string Identity(SurveyInput input, SurveyRunOptions o) =>
            $"input sha256:{input.Fingerprint}; registry {o.Registry}; {(o.AllVersions ? "all versions" : "latest")}; jsonl {Full(o.JsonlPath)}; csv {Full(o.CsvPath)}";

        private static string Full(string? path) => path is null ? "-" : Path.GetFullPath(path);

        private static SurveyInputException Mismatch(string path, string why) =>
            new(SurveyCodes.CheckpointMismatch, [$"--checkpoint {path}: {why}"]);
    }

    private sealed class CheckpointDocument
    {
        public int Schema { get; set; }

        public string Identity { get; set; } = "";

        public int Next { get; set; }

        public long? JsonlLength { get; set; }

        public long? CsvLength { get; set; }

        public SurveySummary? Summary { get; set; }
    }
}
