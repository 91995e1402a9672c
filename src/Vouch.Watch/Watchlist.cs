using Vouch.Npm;
using Vouch.Npm.Lockfiles;

namespace Vouch.Watch;

/// <summary>
/// The packages to watch: names given directly, names from files (one a line, <c>#</c> comments,
/// an optional rank or other columns after whitespace or a comma ignored), and every registry package
/// of lockfiles (npm, yarn, pnpm, bun; the existing readers). Deduplicated and sorted, so the order
/// of the sources does not change what is watched. Problems are collected, not thrown, so one error
/// lists every bad entry.
/// </summary>
public static class Watchlist
{
    public static (IReadOnlyList<string> Packages, IReadOnlyList<string> Problems) Build(IEnumerable<string> names, IEnumerable<string> files, IEnumerable<string> lockfiles)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();

        void Add(string name, string where)
        {
            if (!PackageName.Validate(name).ValidForOldPackages)
            {
                problems.Add($"{where}: '{name}' is not a package name");
            }
            else
            {
                set.Add(name);
            }
        }

        foreach (var name in names)
        {
            Add(name, "argument");
        }

        foreach (var file in files)
        {
            var info = new FileInfo(file);
            if (!info.Exists)
            {
                problems.Add($"{file}: no such file");
                continue;
            }

            if (info.Length > Limits.MaxWatchlistFileBytes)
            {
                problems.Add($"{file}: larger than {Limits.MaxWatchlistFileBytes} bytes");
                continue;
            }

            var number = 0;
            foreach (var raw in File.ReadLines(file))
            {
                number++;
                var line = raw.Split('#', 2)[0].Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                // "name", "name 12", "name,12", "12 name" / "12,name" (rank first, as ranked lists are often written).
                var fields = line.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
                static bool Rank(string f) => f.All(char.IsAsciiDigit);
                string? name = fields.Length switch
                {
                    1 => fields[0],
                    2 when Rank(fields[0]) => fields[1],
                    2 when Rank(fields[1]) => fields[0],
                    _ => null,
                };
                if (name is null)
                {
                    problems.Add($"{file}:{number}: expected NAME, NAME RANK or RANK NAME");
                    continue;
                }

                Add(name, $"{file}:{number}");
            }
        }

        foreach (var path in lockfiles)
        {
            try
            {
                var lockfile = LockfileReader.Read(path);
                foreach (var p in lockfile.Distinct().Where(p => p.Source == LockfileSourceKind.Registry))
                {
                    Add(p.Name, lockfile.Path);
                }
            }
            catch (LockfileFormatException e)
            {
                problems.Add($"{path}: {e.Message}");
            }
            catch (IOException e)
            {
                problems.Add($"{path}: {e.Message}");
            }
        }

        if (set.Count > Limits.MaxWatchedPackages)
        {
            problems.Add($"{set.Count} packages named; at most {Limits.MaxWatchedPackages} can be watched");
        }

        return ([.. set], problems);
    }
}
