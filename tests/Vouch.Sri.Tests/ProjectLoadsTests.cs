namespace Vouch.Sri.Tests;

public class ProjectLoadsTests
{
    [Fact]
    public void Assembly_WhenLoaded_IsVouchAssembly() => Assert.StartsWith("Vouch.", typeof(ProjectLoadsTests).Assembly.GetName().Name);
}
