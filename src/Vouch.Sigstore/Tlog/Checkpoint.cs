using System.Globalization;
using System.Text;
using Vouch.Sigstore.Json;

namespace Vouch.Sigstore.Tlog;

/// <summary>A signature line of a C2SP signed note: `— name base64(keyhint‖signature)`.</summary>
public sealed record NoteSignature(string Name, uint KeyHint, byte[] Signature);

/// <summary>
/// A transparency log checkpoint (C2SP tlog-checkpoint inside a C2SP signed note): origin, tree size,
/// root hash, optional extension lines, then one or more signature lines (log and witnesses).
/// </summary>
public sealed class Checkpoint
{
    private Checkpoint(string origin, long size, byte[] rootHash, byte[] signedText, IReadOnlyList<NoteSignature> signatures)
    {
        Origin = origin;
        TreeSize = size;
        RootHash = rootHash;
        SignedText = signedText;
        Signatures = signatures;
    }

    public string Origin { get; }

    public long TreeSize { get; }

    public byte[] RootHash { get; }

    /// <summary>The note body, each line ending in a newline: the bytes the signatures cover.</summary>
    public byte[] SignedText { get; }

    public IReadOnlyList<NoteSignature> Signatures { get; }

    public static Checkpoint Parse(string envelope)
    {
        var problems = new List<string>();
        if (envelope.Length > Limits.MaxCheckpointBytes)
        {
            throw new SigstoreFormatException("checkpoint", ["checkpoint is too large"], SigstoreCodes.TlogCheckpoint);
        }

        var split = envelope.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new SigstoreFormatException("checkpoint", ["no blank line separates the note from its signatures"], SigstoreCodes.TlogCheckpoint);
        }

        var text = envelope[..(split + 1)];
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new SigstoreFormatException("checkpoint", ["a checkpoint needs an origin, a tree size and a root hash"], SigstoreCodes.TlogCheckpoint);
        }

        var origin = lines[0];
        if (origin.Length == 0)
        {
            problems.Add("origin is empty");
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || (lines[1].Length > 1 && lines[1][0] == '0'))
        {
            problems.Add($"tree size '{lines[1]}' is not a decimal number");
        }

        var root = JsonFields.DecodeBase64(lines[2]);
        if (root is null || root.Length != 32 || lines[2].Contains('-') || lines[2].Contains('_'))
        {
            problems.Add($"root hash '{lines[2]}' is not a base64 SHA-256 hash");
        }

        var signatures = new List<NoteSignature>();
        var sigLines = envelope[(split + 2)..].Split('\n');
        foreach (var line in sigLines)
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal))
            {
                problems.Add("a signature line does not start with an em dash");
                continue;
            }

            var rest = line[2..];
            var space = rest.LastIndexOf(' ');
            if (space <= 0)
            {
                problems.Add("a signature line has no key name");
                continue;
            }

            var blob = JsonFields.DecodeBase64(rest[(space + 1)..]);
            if (blob is null || blob.Length < 5)
            {
                problems.Add("a signature line is not valid base64");
                continue;
            }

            var hint = (uint)(blob[0] << 24 | blob[1] << 16 | blob[2] << 8 | blob[3]);
            signatures.Add(new NoteSignature(rest[..space], hint, blob[4..]));
            if (signatures.Count > Limits.MaxCheckpointSignatures)
            {
                problems.Add("too many signature lines");
                break;
            }
        }

        if (signatures.Count == 0)
        {
            problems.Add("the note carries no signature");
        }

        if (problems.Count > 0)
        {
            throw new SigstoreFormatException("checkpoint", problems, SigstoreCodes.TlogCheckpoint);
        }

        return new Checkpoint(origin, size, root!, Encoding.UTF8.GetBytes(text), signatures);
    }
}
