namespace Vouch.Cli.Tests;

/// <summary>`vouch` run in-process through <see cref="VouchCli.RunAsync"/> (the binary's own code path), both streams captured.</summary>
internal static class InProcessCli
{
    public static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        using var o = new StringWriter();
        using var e = new StringWriter();
        var exit = await VouchCli.RunAsync(args, o, e);
        return (exit, o.ToString(), e.ToString());
    }
}
