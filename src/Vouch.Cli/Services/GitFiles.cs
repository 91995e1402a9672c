using System.Diagnostics;

namespace Vouch.Cli.Services;

/// <summary>Reads a file as it is at a git ref, with `git show` run in the file's own repository.</summary>
internal static class GitFiles
{
    /// <summary>The content of <paramref name="path"/> at <paramref name="gitRef"/>; a usage error (naming `option`) when git cannot show it.</summary>
    public static string ShowAt(string path, string gitRef, string option)
    {
        // A ref starting with '-' would be read by git as an option.
        if (gitRef.StartsWith('-'))
        {
            throw new UsageException($"{option}: '{gitRef}' is not a git ref");
        }

        var start = new ProcessStartInfo("git") { WorkingDirectory = Path.GetDirectoryName(path)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("show");
        start.ArgumentList.Add($"{gitRef}:./{Path.GetFileName(path)}");
        try
        {
            using var git = Process.Start(start)!;
            var stdoutTask = git.StandardOutput.ReadToEndAsync();
            var err = git.StandardError.ReadToEnd();
            var content = stdoutTask.GetAwaiter().GetResult();
            git.WaitForExit();
            if (git.ExitCode != 0)
            {
                throw new UsageException($"{option}: git cannot show {Path.GetFileName(path)} at {gitRef}: {err.Trim().Split('\n')[0]}");
            }

            return content;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"{option}: cannot run git: {e.Message}");
        }
    }
}
