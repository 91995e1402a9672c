using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Vouch.Gate.Decisions;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Tests;

/// <summary>
/// Several gates, one PostgreSQL (issue 12): two gate hosts on separate ports and data directories
/// share a fresh database. Reports Skipped when VOUCH_SKIP_POSTGRES=1. The same with two
/// `vouch serve` processes and kill -9 is in Vouch.Cli.Tests (MultiGateServeTests).
/// </summary>
public class MultiGateTests
{
    private const string Attestations = "-/npm/v1/attestations/sigstore@1.0.0";

    private static async Task<(GateFixture A, GateFixture B, string Database, TestUpstream Upstream)> StartTwoAsync(TimeSpan pollInterval)
    {
        Skip.If(TestPostgres.Skip, "PostgreSQL is skipped (VOUCH_SKIP_POSTGRES=1)");
        var database = await TestPostgres.CreateDatabaseAsync();
        var upstream = await TestUpstream.StartAsync();
        upstream.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z");

        // Started together: both race to migrate the empty database.
        GateOptions Poll(GateOptions o) => o with { ApprovalsPollInterval = pollInterval };
        var both = await Task.WhenAll(
            GateFixture.StartAsync(database: database, upstream: upstream, configure: Poll),
            GateFixture.StartAsync(database: database, upstream: upstream, configure: Poll));
        return (both[0], both[1], database, upstream);
    }

    private static async Task DisposeAsync(GateFixture a, GateFixture b, TestUpstream upstream)
    {
        // The fixtures share one upstream: stop the hosts, then the upstream once.
        foreach (var g in new[] { a, b })
        {
            g.Http.Dispose();
            await g.Host.DisposeAsync();
            try
            {
                Directory.Delete(g.Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        await upstream.DisposeAsync();
    }

    [SkippableFact]
    public async Task Gates_WhenStartedTogether_MigrateOnce()
    {
        var (a, b, database, upstream) = await StartTwoAsync(TimeSpan.FromSeconds(2));
        try
        {
            await using var c = new NpgsqlConnection(database);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", c);

            Assert.Equal(4L, (long)(await cmd.ExecuteScalarAsync())!);
            Assert.Equal([1, 2, 3, 4], a.Host.Store.AppliedMigrations);
            Assert.Equal([1, 2, 3, 4], b.Host.Store.AppliedMigrations);
        }
        finally
        {
            await DisposeAsync(a, b, upstream);
        }
    }

    [SkippableFact]
    public async Task Request_When20ConcurrentRequestsAcrossTwoGates_OnePendingRow()
    {
        var (a, b, _, upstream) = await StartTwoAsync(TimeSpan.FromSeconds(2));
        try
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
                (i % 2 == 0 ? a : b).JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = $"try {i}" }, 201))));

            Assert.Single(answers.Select(x => (long)x["id"]!).Distinct());
            Assert.Single(await a.Host.Store.ListApprovalsAsync("pending"));
        }
        finally
        {
            await DisposeAsync(a, b, upstream);
        }
    }

    [SkippableFact]
    public async Task Grant_WhenMadeOnOneGate_IsHonouredByTheOtherAtOnceWithoutPolling()
    {
        // Polling every 10 minutes: only LISTEN/NOTIFY can carry the grant across in time.
        var (a, b, _, upstream) = await StartTwoAsync(TimeSpan.FromMinutes(10));
        try
        {
            using (var refused = await b.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz"))
            {
                Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            }

            var request = await a.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
            await a.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { });
            var clock = Stopwatch.StartNew();
            HttpStatusCode status;
            do
            {
                await Task.Delay(50);
                using var tarball = await b.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");
                status = tarball.StatusCode;
            }
            while (status != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(5));

            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            await DisposeAsync(a, b, upstream);
        }
    }

    [SkippableFact]
    public async Task Tarball_WhenRequestedFromBothGates_IsVerifiedOnce()
    {
        var (a, b, _, upstream) = await StartTwoAsync(TimeSpan.FromSeconds(2));
        try
        {
            using (var first = await a.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
            {
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            }

            using (var second = await b.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
            {
                Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            }

            Assert.Equal(1, upstream.Hits(Attestations));
            Assert.Single(await b.Host.Store.ListEvidenceAsync());
        }
        finally
        {
            await DisposeAsync(a, b, upstream);
        }
    }

    [SkippableFact]
    public async Task Reverify_WhenRunOnOneGate_DropsTheOtherGatesCachedDecisions()
    {
        // Polling every 10 minutes: only the notification can reach the other gate in time.
        var (a, b, _, upstream) = await StartTwoAsync(TimeSpan.FromMinutes(10));
        try
        {
            using (var served = await b.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }

            var decisions = b.Host.Services.GetRequiredService<ReleaseDecisionCache>();
            Assert.Equal(1, decisions.Count);

            await a.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", GateFixture.AdminToken, new { name = "sigstore", version = "1.0.0" });

            var clock = Stopwatch.StartNew();
            while (decisions.Count != 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }

            Assert.Equal(0, decisions.Count);
        }
        finally
        {
            await DisposeAsync(a, b, upstream);
        }
    }
}
