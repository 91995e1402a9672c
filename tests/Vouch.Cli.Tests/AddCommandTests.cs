using System.Text.Json.Nodes;
using Vouch.Cli.Run;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>`vouch add`: the question (with a fake console), the package manager from the lockfile, and npm adding exactly the checked version from the sandbox.</summary>
public sealed class AddCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-add-").FullName;

    private sealed class FakeConsole(bool interactive, params string?[] answers) : IPromptConsole
    {
        private readonly Queue<string?> _answers = new(answers);

        public bool IsInteractive => interactive;

        public int Asked { get; private set; }

        public string? ReadLine()
        {
            Asked++;
            return _answers.Count > 0 ? _answers.Dequeue() : null;
        }
    }

    [Theory]
    [InlineData("y", "Install")]
    [InlineData("YES", "Install")]
    [InlineData(" y ", "Install")]
    [InlineData("n", "Declined")]
    [InlineData("", "Declined")]
    [InlineData("yeah", "Declined")]
    [InlineData(null, "Declined")]
    public void Decide_WhenAskedOnATerminal_OnlyYesInstalls(string? answer, string expected)
    {
        var console = new FakeConsole(true, answer);
        var output = new StringWriter();

        Assert.Equal(Enum.Parse<AddDecision>(expected), AddPlan.Decide(checkFailed: false, yes: false, console, output));
        Assert.Equal(1, console.Asked);
        Assert.Equal("Install these versions? [y/N] ", output.ToString());
    }

    [Fact]
    public void Decide_WhenNoTerminalAndNoYes_RefusesWithoutAsking()
    {
        var console = new FakeConsole(false, "y");

        Assert.Equal(AddDecision.NoTerminal, AddPlan.Decide(false, false, console, new StringWriter()));
        Assert.Equal(0, console.Asked);
    }

    [Fact]
    public void Decide_WhenYesAndCheckPassed_InstallsWithoutAsking()
    {
        var console = new FakeConsole(true, "n");

        Assert.Equal(AddDecision.Install, AddPlan.Decide(false, true, console, new StringWriter()));
        Assert.Equal(0, console.Asked);
    }

    [Fact]
    public void Decide_WhenCheckFailed_YesDoesNotInstallButAPersonMay()
    {
        Assert.Equal(AddDecision.RefusedFailedCheck, AddPlan.Decide(true, true, new FakeConsole(false), new StringWriter()));

        var output = new StringWriter();
        Assert.Equal(AddDecision.Install, AddPlan.Decide(true, true, new FakeConsole(true, "y"), output));
        Assert.StartsWith("The check FAILED.", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("package-lock.json", "Npm")]
    [InlineData("pnpm-lock.yaml", "Pnpm")]
    [InlineData("yarn.lock", "Yarn")]
    [InlineData("bun.lock", "Bun")]
    public void Detect_WhenOneLockfile_NamesItsPackageManager(string lockfile, string expected)
    {
        File.WriteAllText(Path.Combine(_dir, lockfile), "");

        Assert.Equal(Enum.Parse<ClientKind>(expected), AddPlan.Detect(_dir).Kind);
    }

    [Fact]
    public void Detect_WhenTwoLockfiles_IsAnError()
    {
        File.WriteAllText(Path.Combine(_dir, "yarn.lock"), "");
        File.WriteAllText(Path.Combine(_dir, "package-lock.json"), "{}");

        var (kind, error) = AddPlan.Detect(_dir);

        Assert.Null(kind);
        Assert.Contains("--package-manager", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_WhenNoLockfile_UsesPackageManagerFieldElseNpm()
    {
        Assert.Equal(ClientKind.Npm, AddPlan.Detect(_dir).Kind);
        File.WriteAllText(Path.Combine(_dir, "package.json"), "{\"packageManager\":\"pnpm@9.1.0\"}");
        Assert.Equal(ClientKind.Pnpm, AddPlan.Detect(_dir).Kind);
    }

    [Fact]
    public void Command_WhenEachManager_AddsExactVersionsSavedExactly()
    {
        Assert.Equal(["npm", "install", "--save-exact", "a@1.2.3"], AddPlan.Command(ClientKind.Npm, ["a@1.2.3"], dev: false));
        Assert.Equal(["pnpm", "add", "--save-exact", "--save-dev", "a@1.2.3"], AddPlan.Command(ClientKind.Pnpm, ["a@1.2.3"], dev: true));
        Assert.Equal(["yarn", "add", "--exact", "a@1.2.3"], AddPlan.Command(ClientKind.Yarn, ["a@1.2.3"], dev: false));
        Assert.Equal(["bun", "add", "--exact", "--dev", "a@1.2.3"], AddPlan.Command(ClientKind.Bun, ["a@1.2.3"], dev: true));
    }

    [Fact]
    public async Task Add_WhenCheckPassesAndYes_NpmInstallsExactlyTheCheckedVersion()
    {
        await using var registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        File.WriteAllText(Path.Combine(_dir, "package.json"), "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"private\":true}");
        File.WriteAllText(Path.Combine(_dir, ".npmrc"), $"cache={Path.Combine(_dir, ".npm-cache")}\naudit=false\nfund=false\nignore-scripts=true\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await VouchCli.RunAsync(
            ["add", "lottie-web@^5", "--yes", "--project", _dir, "--registry", registry.Url.AbsoluteUri, "--trusted-root", registry.TrustedRootPath,
             "--registry-keys", registry.RegistryKeysPath, "--cache-dir", Path.Combine(_dir, ".vouch-cache")],
            stdout, stderr);

        Assert.True(exit == 0, stdout + "\n" + stderr);
        Assert.Contains("vouch add: npm install --save-exact lottie-web@5.12.2", stdout.ToString(), StringComparison.Ordinal);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "package.json")))!;
        Assert.Equal("5.12.2", (string)manifest["dependencies"]!["lottie-web"]!);
        Assert.Equal("5.12.2", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "node_modules", "lottie-web", "package.json")))!["version"]!);
    }

    [Fact]
    public async Task Add_WhenCheckFailsAndYes_InstallsNothing()
    {
        await using var registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        File.WriteAllText(Path.Combine(_dir, "package.json"), "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"private\":true}");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await VouchCli.RunAsync(
            ["add", "@lottiefiles/lottie-player@2.0.5", "--yes", "--project", _dir, "--registry", registry.Url.AbsoluteUri, "--trusted-root", registry.TrustedRootPath,
             "--registry-keys", registry.RegistryKeysPath, "--cache-dir", Path.Combine(_dir, ".vouch-cache")],
            stdout, stderr);

        Assert.True(exit == 1, stdout + "\n" + stderr);
        Assert.Contains("result: FAILED", stdout.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "node_modules")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
