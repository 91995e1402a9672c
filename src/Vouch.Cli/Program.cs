namespace Vouch.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args) => VouchCli.RunAsync(args, Console.Out, Console.Error);
}
