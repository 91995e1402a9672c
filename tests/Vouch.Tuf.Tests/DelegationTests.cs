using System.Text;
using Vouch.Tuf.Tests.Infrastructure;

namespace Vouch.Tuf.Tests;

public sealed class DelegationTests : IDisposable
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("delegated content\n");

    private readonly TufFixture _f = new();

    private TestRepository Repo => _f.Repository;

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task GetTargetAsync_WhenTargetIsDelegated_ReturnsBytesVerifiedByDelegatedRole()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"], Keys = [TestKey.Ed25519()] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using var client = _f.Client();

        Assert.Equal(Content, Expect.Success(await client.GetTargetAsync("team-a/tool.json")));

        var info = Expect.Success(await client.GetTargetInfoAsync("team-a/tool.json"));
        Assert.Equal("team-a", info.Role);
        Assert.Contains("1.team-a.json", Repo.Handler.Requests);
        Assert.True(File.Exists(Path.Combine(_f.MetadataDirectory, "team-a.json")));
    }

    [Fact]
    public async Task GetTargetAsync_WhenRoleIsReachedThroughSecondDelegator_ChecksThatDelegatorsKeys()
    {
        // tuf-conformance test_cached_role_is_verified_against_current_delegator: "release" is delegated
        // by parent-a (key A) and by parent-b (key B), but signed by key A only. Found through parent-a
        // it is valid; reached through parent-b in the same process it must fail, not reuse A's verdict.
        var keyA = TestKey.Ecdsa();
        var keyB = TestKey.Ecdsa();
        Repo.Delegations.Add(new TestDelegation { Name = "parent-a", Paths = ["team-a/*"] });
        Repo.Delegations.Add(new TestDelegation { Name = "parent-b", Paths = ["team-b/*"] });
        var viaA = new TestDelegation { Name = "release", Delegator = "parent-a", Paths = ["team-a/*"], Keys = [keyA] };
        var viaB = new TestDelegation { Name = "release", Delegator = "parent-b", Paths = ["team-b/*"], Keys = [keyB], Signers = [keyA] };
        foreach (var release in new[] { viaA, viaB })
        {
            release.Targets["team-a/tool.json"] = Content;
            release.Targets["team-b/tool.json"] = Encoding.UTF8.GetBytes("malicious\n");
            Repo.Delegations.Add(release);
        }

        Repo.Publish();
        using (var client = _f.Client())
        {
            Assert.Equal(Content, Expect.Success(await client.GetTargetAsync("team-a/tool.json")));
            Expect.Failure(await client.GetTargetAsync("team-b/tool.json"), TufErrorCodes.Threshold);
        }

        // A later process finds release.json cached on disk: it is checked against parent-b's keys too.
        using var later = _f.Client();
        Expect.Failure(await later.GetTargetAsync("team-b/tool.json"), TufErrorCodes.Threshold);
    }

    [Fact]
    public async Task GetTargetAsync_WhenDelegatedRoleMissesThreshold_FailsThreshold()
    {
        var keys = new List<TestKey> { TestKey.Ecdsa(), TestKey.Ecdsa() };
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"], Keys = keys, Threshold = 2, Signers = [keys[0]] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("team-a/tool.json"), TufErrorCodes.Threshold);
    }

    [Fact]
    public async Task GetTargetAsync_WhenDelegatedRoleIsSignedByTopLevelTargetsKey_FailsThreshold()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"], Signers = Repo.Keys["targets"] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("team-a/tool.json"), TufErrorCodes.Threshold);
    }

    [Fact]
    public async Task GetTargetAsync_WhenPathIsOutsideDelegation_FailsNotFoundWithoutFetchingRole()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"] };
        team.Targets["team-b/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("team-b/tool.json"), TufErrorCodes.NotFound);
        Assert.DoesNotContain("1.team-a.json", Repo.Handler.Requests);
    }

    [Fact]
    public async Task GetTargetAsync_WhenPatternWouldCrossDirectories_FailsNotFound()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"] };
        team.Targets["team-a/nested/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("team-a/nested/tool.json"), TufErrorCodes.NotFound);
    }

    [Fact]
    public async Task GetTargetAsync_WhenTerminatingDelegationLacksTarget_DoesNotSearchLaterRoles()
    {
        Repo.Delegations.Add(new TestDelegation { Name = "first", Paths = ["shared/*"], Terminating = true });
        var second = new TestDelegation { Name = "second", Paths = ["shared/*"] };
        second.Targets["shared/tool.json"] = Content;
        Repo.Delegations.Add(second);
        Repo.Publish();
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("shared/tool.json"), TufErrorCodes.NotFound);
        Assert.Contains("1.first.json", Repo.Handler.Requests);
        Assert.DoesNotContain("1.second.json", Repo.Handler.Requests);
    }

    [Fact]
    public async Task GetTargetAsync_WhenNonTerminatingDelegationLacksTarget_SearchesNextRole()
    {
        Repo.Delegations.Add(new TestDelegation { Name = "first", Paths = ["shared/*"] });
        var second = new TestDelegation { Name = "second", Paths = ["shared/*"] };
        second.Targets["shared/tool.json"] = Content;
        Repo.Delegations.Add(second);
        Repo.Publish();
        using var client = _f.Client();

        var info = Expect.Success(await client.GetTargetInfoAsync("shared/tool.json"));

        Assert.Equal("second", info.Role);
    }

    [Fact]
    public async Task GetTargetAsync_WhenEarlierDelegationListsTarget_PrefersIt()
    {
        var first = new TestDelegation { Name = "first", Paths = ["shared/*"] };
        first.Targets["shared/tool.json"] = Content;
        var second = new TestDelegation { Name = "second", Paths = ["shared/*"] };
        second.Targets["shared/tool.json"] = Encoding.UTF8.GetBytes("other");
        Repo.Delegations.Add(first);
        Repo.Delegations.Add(second);
        Repo.Publish();
        using var client = _f.Client();

        Assert.Equal(Content, Expect.Success(await client.GetTargetAsync("shared/tool.json")));
        Assert.DoesNotContain("1.second.json", Repo.Handler.Requests);
    }

    [Fact]
    public async Task GetTargetAsync_WhenDelegatedVersionDiffersFromSnapshot_FailsVersionMismatch()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.EditSnapshot = signed => signed["meta"]!["team-a.json"]!["version"] = 2;
        Repo.Publish();
        Repo.Files["2.team-a.json"] = Repo.Files["1.team-a.json"];
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("team-a/tool.json"), TufErrorCodes.VersionMismatch);
    }

    [Fact]
    public async Task GetTargetAsync_WhenDelegatedRoleIsExpired_FailsExpired()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        team.Expires = _f.Clock.Now.AddDays(-1);
        Repo.Publish();
        using var client = _f.Client();

        var error = Expect.Failure(await client.GetTargetAsync("team-a/tool.json"), TufErrorCodes.Expired);
        Assert.Contains("team-a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTargetAsync_WhenSearchExceedsMaxDelegations_FailsNotFound()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using var client = _f.Client(new TufLimits { MaxDelegations = 1 });

        Expect.Failure(await client.GetTargetAsync("team-a/tool.json"), TufErrorCodes.NotFound);
        Assert.DoesNotContain("1.team-a.json", Repo.Handler.Requests);
    }

    [Fact]
    public async Task LoadFromCacheAsync_WhenDelegatedRoleWasFetched_ServesDelegatedTargetOffline()
    {
        var team = new TestDelegation { Name = "team-a", Paths = ["team-a/*"] };
        team.Targets["team-a/tool.json"] = Content;
        Repo.Delegations.Add(team);
        Repo.Publish();
        using (var online = _f.Client())
        {
            Expect.Success(await online.GetTargetAsync("team-a/tool.json"));
        }

        Repo.Handler.Requests.Clear();
        using var client = _f.Client();
        Expect.Success(await client.LoadFromCacheAsync());

        Assert.Equal(Content, Expect.Success(await client.GetTargetAsync("team-a/tool.json")));
        Assert.Empty(Repo.Handler.Requests);
    }
}
