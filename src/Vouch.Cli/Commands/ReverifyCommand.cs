using System.CommandLine;
using System.Text.Json.Nodes;
using Vouch.Gate.Approvals;
using Vouch.Npm;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch approve reverify NAME[@VERSION]`: an admin tells the gate to forget what it stored about
/// verifying a version (or every version of a package) and to verify again, e.g. after new trust
/// material or a registry incident. The gate writes a `reverify` audit row.
/// </summary>
internal static class ReverifyCommand
{
    public static Command Create(Option<string?> gate, Option<string?> token, Option<bool> json, TextWriter stdout, TextWriter stderr)
    {
        var spec = new Argument<string>("SPEC") { Description = "name@version (an exact version), or a package name for all its versions." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept in the audit log)." };
        var command = new Command("reverify", "Forget stored verification evidence and verify again (admin token).") { spec, reason };
        command.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(spec)!;
            var at = text.LastIndexOf('@');
            var (name, version) = at > 0 ? (text[..at], text[(at + 1)..]) : (text, (string?)null);
            if (!PackageName.Validate(name).ValidForOldPackages || (version is not null && ApprovalInput.CheckVersion(version) is not null))
            {
                throw new UsageException($"'{text}' is not a package name or name@version with an exact version");
            }

            var body = new JsonObject { ["name"] = name, ["reason"] = parse.GetValue(reason) };
            if (version is not null)
            {
                body["version"] = version;
            }

            var (exit, answer) = await ApproveCommand.SendAsync(parse, gate, token, HttpMethod.Post, "-/vouch/v1/reverify", body, stderr, ct).ConfigureAwait(false);
            if (answer is null)
            {
                return exit;
            }

            var state = answer["state"]?.GetValue<string>();
            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(answer.ToJsonString(CliJson.Options)).ConfigureAwait(false);
            }
            else
            {
                var removed = answer["removed"]?.GetValue<int>() ?? 0;
                await stdout.WriteLineAsync(state switch
                {
                    "complete" => $"{name}@{version}: verified again: {((bool?)answer["passed"] == true ? "passed" : "failed")} ({removed} stored record(s) replaced)",
                    "incomplete" => $"{name}@{version}: verification could not complete, the gate retries after {answer["retryAt"]}: {answer["error"]}",
                    _ => $"{name}: {removed} stored record(s) forgotten; each version is verified again when next requested",
                }).ConfigureAwait(false);
            }

            return state switch
            {
                "incomplete" => ExitCodes.NetworkFailed,
                "complete" when (bool?)answer["passed"] != true => ExitCodes.CheckFailed,
                _ => ExitCodes.Ok,
            };
        });
        return command;
    }
}
