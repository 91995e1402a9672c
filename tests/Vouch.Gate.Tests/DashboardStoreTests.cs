using Vouch.Gate.Storage;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: the dashboard's queries (search, audit filters and export, summary, digest) give the same
/// answers on SQLite and PostgreSQL, and filter values are data (SQL and LIKE wildcards match
/// literally). One fresh database per test. PostgreSQL tests report Skipped only with VOUCH_SKIP_POSTGRES=1.
/// </summary>
public abstract class DashboardStoreContractTests
{
    protected abstract Task<string?> NewDatabaseAsync();

    private async Task<(GateStore Store, Clock Clock)?> OpenAsync()
    {
        var db = await NewDatabaseAsync();
        Skip.If(db is null, "PostgreSQL is skipped (VOUCH_SKIP_POSTGRES=1)");
        var clock = new Clock(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        return (await GateStore.OpenAsync(db!, clock), clock);
    }

    [SkippableFact]
    public async Task SearchSeen_WhenFiltered_ReturnsEachStatusAndMatchesFilterTextLiterally()
    {
        var (store, clock) = (await OpenAsync())!.Value;
        await using var _ = store;
        await store.PutCompleteEvidenceAsync("served-pkg", "1.0.0", "sha512-a", "t", "{}");
        await store.PutCompleteEvidenceAsync("served-pkg", "1.0.0", "sha512-a", "t2", "{}");
        await store.PutCompleteEvidenceAsync("held-pkg", "2.0.0", "sha512-b", "t", "{}");
        await store.AppendAuditAsync("gate", "withheld", "held-pkg", "2.0.0", "trust-downgrade", "weaker");
        await store.AppendAuditAsync("gate", "refused", "held-pkg", "2.0.0", "trust-downgrade", "weaker");
        await store.PutCompleteEvidenceAsync("lifted-pkg", "3.0.0", "sha512-c", "t", "{}");
        await store.AppendAuditAsync("gate", "refused", "lifted-pkg", "3.0.0", "provenance", "none");
        var lift = await store.RequestAsync("lifted-pkg", "3.0.0", "provenance", "rita", "please");
        clock.Advance(TimeSpan.FromMinutes(1));
        await store.DecideAsync(lift.Id, grant: true, "alice", "ok", null);
        await store.RequestAsync("waiting-pkg", "4.0.0", "new-major", "rita", null);
        await store.PutCompleteEvidenceAsync("a_b", "1.0.0", "sha512-d", "t", "{}");
        await store.PutCompleteEvidenceAsync("axb", "1.0.0", "sha512-e", "t", "{}");

        async Task<string[]> Seen(SeenFilter f) => (await store.SearchSeenAsync(f, 0, 50)).Select(s => $"{s.Name}@{s.Version}:{s.Status}:{s.Rule}").Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["a_b@1.0.0:served:", "axb@1.0.0:served:", "lifted-pkg@3.0.0:served:", "served-pkg@1.0.0:served:"], await Seen(new SeenFilter(Status: "served")));
        Assert.Equal(["held-pkg@2.0.0:withheld:trust-downgrade", "lifted-pkg@3.0.0:withheld:provenance"], await Seen(new SeenFilter(Status: "withheld")));
        Assert.Equal(["waiting-pkg@4.0.0:pending:new-major"], await Seen(new SeenFilter(Status: "pending")));
        Assert.Equal(["lifted-pkg@3.0.0:approved:provenance"], await Seen(new SeenFilter(Status: "approved")));
        Assert.Equal(["lifted-pkg@3.0.0:approved:provenance", "lifted-pkg@3.0.0:served:", "lifted-pkg@3.0.0:withheld:provenance"], await Seen(new SeenFilter(Package: "LIFTED")));
        Assert.Equal(["held-pkg@2.0.0:withheld:trust-downgrade"], await Seen(new SeenFilter(Rule: "trust-downgrade")));

        // '_' and '%' are not wildcards; quotes and comments are text.
        Assert.Equal(["a_b@1.0.0:served:"], await Seen(new SeenFilter(Package: "a_b")));
        Assert.Empty(await Seen(new SeenFilter(Package: "%")));
        Assert.Empty(await Seen(new SeenFilter(Package: "' OR '1'='1")));
        Assert.Empty(await Seen(new SeenFilter(Rule: "x' OR 1=1 --")));
        Assert.Empty(await Seen(new SeenFilter(Package: "\\")));

        // Pages: limit + 1 rows tell the caller a next page exists.
        Assert.Equal(3, (await store.SearchSeenAsync(new SeenFilter(), 0, 2)).Count);
        var all = await store.SearchSeenAsync(new SeenFilter(), 0, 100);
        Assert.Equal(all.Skip(2).Take(3).Select(s => s.Name + s.Status), (await store.SearchSeenAsync(new SeenFilter(), 2, 2)).Select(s => s.Name + s.Status));
    }

    [SkippableFact]
    public async Task AuditFilters_WhenCombined_SelectExactActorActionPackageAndTimeRange()
    {
        var (store, clock) = (await OpenAsync())!.Value;
        await using var _ = store;
        var start = clock.GetUtcNow();
        for (var i = 0; i < 10; i++)
        {
            await store.AppendAuditAsync(i % 2 == 0 ? "rita" : "rita2", i % 3 == 0 ? "reverify" : "withheld", $"pkg-{i}", "1.0.0", "r", "<b>x</b>");
            clock.Advance(TimeSpan.FromHours(1));
        }

        async Task<string[]> Names(AuditFilter f) => (await store.SearchAuditAsync(f, 0, 50)).Select(e => e.Name!).ToArray();

        Assert.Equal(["pkg-8", "pkg-6", "pkg-4", "pkg-2", "pkg-0"], await Names(new AuditFilter(Actor: "rita")));
        Assert.Equal(["pkg-9", "pkg-6", "pkg-3", "pkg-0"], await Names(new AuditFilter(Action: "reverify")));
        Assert.Equal(["pkg-6", "pkg-0"], await Names(new AuditFilter(Actor: "rita", Action: "reverify")));
        Assert.Equal(["pkg-4", "pkg-3", "pkg-2"], await Names(new AuditFilter(From: start.AddHours(2), To: start.AddHours(5))));
        Assert.Equal(["pkg-1"], await Names(new AuditFilter(Package: "PKG-1")));
        Assert.Empty(await Names(new AuditFilter(Actor: "rita' OR 'a'='a")));
        Assert.Empty(await Names(new AuditFilter(Actor: "RITA")));

        // Export: oldest first, after an id, bounded, and whether more remain.
        var streamed = new List<AuditEntry>();
        await foreach (var e in store.StreamAuditAsync(new AuditFilter(Actor: "rita2"), 0, 3))
        {
            streamed.Add(e);
        }

        Assert.Equal(["pkg-1", "pkg-3", "pkg-5"], streamed.Select(e => e.Name));
        Assert.True(await store.AuditHasMoreAsync(new AuditFilter(Actor: "rita2"), streamed[^1].Id));
        Assert.False(await store.AuditHasMoreAsync(new AuditFilter(Actor: "rita2"), (await store.SearchAuditAsync(new AuditFilter(), 0, 1))[0].Id));

        var digest = await store.AuditActionsAsync(["reverify"], start.AddHours(1), start.AddHours(10), 2);
        Assert.Equal(["pkg-3", "pkg-6", "pkg-9"], digest.Select(e => e.Name));
    }

    [SkippableFact]
    public async Task Summary_WhenVersionsSeen_CountsServedWithheldByRulePendingAndOneReportPerVersion()
    {
        var (store, _) = (await OpenAsync())!.Value;
        await using var __ = store;
        await store.PutCompleteEvidenceAsync("a", "1.0.0", "i", "t1", "{\"n\":1}");
        await store.PutCompleteEvidenceAsync("a", "1.0.0", "i", "t2", "{\"n\":2}");
        await store.PutCompleteEvidenceAsync("b", "1.0.0", "i", "t1", "{\"n\":3}");
        await store.PutIncompleteEvidenceAsync("c", "1.0.0", "i", "t1", 1, DateTimeOffset.UtcNow.AddHours(1), "later");
        await store.AppendAuditAsync("gate", "withheld", "b", "1.0.0", "trust-downgrade", null);
        await store.AppendAuditAsync("gate", "refused", "b", "1.0.0", "trust-downgrade", null);
        await store.AppendAuditAsync("gate", "withheld", "d", "1.0.0", "trust-downgrade", null);
        await store.AppendAuditAsync("gate", "withheld", "d", "1.0.0", "provenance", null);
        await store.AppendAuditAsync("gate", "reported", "e", "1.0.0", "install-scripts", null);
        await store.RequestAsync("d", "1.0.0", "*", "rita", null);

        var s = await store.SummaryAsync(10);
        Assert.Equal(1, s.Served);
        Assert.Equal([("trust-downgrade", 2L), ("provenance", 1L)], s.WithheldByRule);
        Assert.Equal(1, s.Pending);
        Assert.Equal(1, await store.CountPendingAsync());
        Assert.Equal(2, s.EvidenceReports.Count);
        Assert.False(s.EvidenceCapped);

        var capped = await store.SummaryAsync(1);
        Assert.Single(capped.EvidenceReports);
        Assert.True(capped.EvidenceCapped);
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

public sealed class SqliteDashboardStoreTests : DashboardStoreContractTests
{
    protected override Task<string?> NewDatabaseAsync() =>
        Task.FromResult<string?>(Path.Combine(Path.GetTempPath(), "vouch-dash-" + Guid.NewGuid().ToString("n"), "gate.db"));
}

public sealed class PostgresDashboardStoreTests : DashboardStoreContractTests
{
    protected override async Task<string?> NewDatabaseAsync() => TestPostgres.Skip ? null : await TestPostgres.CreateDatabaseAsync();
}
