using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;

namespace Vouch.Survey;

/// <summary>One package to survey: its name, its position in the input, and the rank the list gave it.</summary>
public sealed record SurveyTarget(int Index, string Name, int? Rank);

/// <summary>A package list that cannot be used; <see cref="Errors"/> lists every bad line (up to a cap).</summary>
public sealed class SurveyInputException(string code, IReadOnlyList<string> errors)
    : Exception(errors.Count == 1 ? errors[0] : $"{errors[0]} (and {errors.Count - 1} more)")
{
    public string Code { get; } = code;

    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// The population of a survey, from a list file (`NAME[ RANK]` or `NAME,RANK` a line, `#` comments),
/// a lockfile, or names. The whole input is validated before anything is fetched (every bad line in
/// one error); a list file is then read again as the survey goes, so the population is never held.
/// </summary>
public sealed class SurveyInput
{
    private readonly string? _file;
    private readonly IReadOnlyList<SurveyTarget>? _targets;

    private SurveyInput(string? file, IReadOnlyList<SurveyTarget>? targets, int count, string fingerprint, string description)
    {
        _file = file;
        _targets = targets;
        Count = count;
        Fingerprint = fingerprint;
        Description = description;
    }

    public int Count { get; }

    /// <summary>SHA-256 over the names in order: a checkpoint is only resumed for the same population.</summary>
    public string Fingerprint { get; }

    public string Description { get; }

    /// <summary>Names given on the command line (input order; no ranks).</summary>
    public static SurveyInput FromNames(IEnumerable<string> names, string description = "arguments")
    {
        var lines = names.Select((n, i) => (Line: i + 1, Text: n)).ToList();
        var targets = Validate(lines, description, allowRank: false);
        return new SurveyInput(null, targets, targets.Count, Hash(targets), description);
    }

    /// <summary>Every registry package a lockfile installs, by name (sorted, each name once).</summary>
    public static SurveyInput FromLockfile(Lockfile lockfile, string path)
    {
        var names = lockfile.Packages
            .Where(p => p.Source == LockfileSourceKind.Registry)
            .Select(p => p.Name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return FromNames(names, path);
    }

    /// <summary>Validates a list file in one streaming pass; <see cref="Targets"/> reads it again.</summary>
    public static SurveyInput FromFile(string path)
    {
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var count = 0;
        foreach (var (line, text) in Lines(path))
        {
            if (Parse(text, line, path, allowRank: true, out var name, out _) is { } error)
            {
                AddError(errors, error);
                continue;
            }

            if (name is null)
            {
                continue;
            }

            if (!seen.Add(name))
            {
                AddError(errors, $"{path}:{line}: {name} is listed twice");
                continue;
            }

            if (++count > Limits.MaxPackages)
            {
                AddError(errors, $"{path}: more than {Limits.MaxPackages} packages");
                break;
            }

            hash.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
        }

        if (errors.Count > 0)
        {
            throw new SurveyInputException(SurveyCodes.InputInvalid, errors);
        }

        if (count == 0)
        {
            throw new SurveyInputException(SurveyCodes.InputInvalid, [$"{path}: no package names"]);
        }

        return new SurveyInput(path, null, count, Convert.ToHexStringLower(hash.GetHashAndReset()), path);
    }

    /// <summary>The targets in input order, starting at <paramref name="skip"/> (a resumed run).</summary>
    public IEnumerable<SurveyTarget> Targets(int skip = 0)
    {
        if (_targets is not null)
        {
            foreach (var t in _targets.Skip(skip))
            {
                yield return t;
            }

            yield break;
        }

        var index = 0;
        foreach (var (line, text) in Lines(_file!))
        {
            // The list was validated before the run; a line that no longer parses means it changed since.
            if (Parse(text, line, _file!, allowRank: true, out var name, out var rank) is { } error)
            {
                throw new SurveyInputException(SurveyCodes.InputInvalid, [$"{_file} changed while the survey ran: {error}"]);
            }

            if (name is null)
            {
                continue;
            }

            if (index >= skip)
            {
                yield return new SurveyTarget(index, name, rank);
            }

            index++;
        }
    }

    private static List<SurveyTarget> Validate(IEnumerable<(int Line, string Text)> lines, string source, bool allowRank)
    {
        var errors = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var targets = new List<SurveyTarget>();
        foreach (var (line, text) in lines)
        {
            if (Parse(text, line, source, allowRank, out var name, out var rank) is { } error)
            {
                AddError(errors, error);
            }
            else if (name is not null && seen.Add(name))
            {
                targets.Add(new SurveyTarget(targets.Count, name, rank));
            }
        }

        if (errors.Count > 0)
        {
            throw new SurveyInputException(SurveyCodes.InputInvalid, errors);
        }

        if (targets.Count == 0)
        {
            throw new SurveyInputException(SurveyCodes.InputInvalid, [$"{source}: no package names"]);
        }

        return targets;
    }

    private static string? Parse(string text, int line, string source, bool allowRank, out string? name, out int? rank)
    {
        name = null;
        rank = null;
        var t = text.Trim();
        if (t.Length == 0 || t.StartsWith('#'))
        {
            return null;
        }

        var parts = t.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length > 2 || (parts.Length == 2 && !allowRank))
        {
            return $"{source}:{line}: expected NAME or NAME RANK, got '{Shorten(t)}'";
        }

        if (parts.Length == 2)
        {
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var r) || r < 1)
            {
                return $"{source}:{line}: the rank '{Shorten(parts[1])}' is not a positive whole number";
            }

            rank = r;
        }

        var validation = PackageName.Validate(parts[0]);
        if (!validation.ValidForOldPackages)
        {
            return $"{source}:{line}: '{Shorten(parts[0])}' is not an npm package name ({validation.Errors[0]})";
        }

        name = parts[0];
        return null;
    }

    private static IEnumerable<(int Line, string Text)> Lines(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var n = 0;
        while (reader.ReadLine() is { } text)
        {
            n++;
            if (text.Length > Limits.MaxLineLength)
            {
                throw new SurveyInputException(SurveyCodes.InputInvalid, [$"{path}:{n}: the line is longer than {Limits.MaxLineLength} characters"]);
            }

            yield return (n, text);
        }
    }

    private static void AddError(List<string> errors, string error)
    {
        if (errors.Count < Limits.MaxListedErrors)
        {
            errors.Add(error);
        }
    }

    private static string Hash(IEnumerable<SurveyTarget> targets)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in targets)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(t.Name + "\n"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
