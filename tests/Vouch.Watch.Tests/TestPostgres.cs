using Npgsql;
using Vouch.Watch.Storage;

namespace Vouch.Watch.Tests;

/// <summary>
/// A throwaway database for the PostgreSQL store tests, on the cluster $VOUCH_TEST_POSTGRES names
/// (`scripts/postgres start` prints one; scripts/test exports it). Without it those tests report
/// Skipped with the reason, never Passed.
/// </summary>
internal sealed class TestPostgres : IDisposable
{
    public const string SkipReason = "PostgreSQL store tests need VOUCH_TEST_POSTGRES (run scripts/postgres start and export what it prints)";

    private readonly string _admin;

    private TestPostgres(string admin, string name)
    {
        _admin = admin;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    /// <summary>The fresh database, in Npgsql's key=value form.</summary>
    public string ConnectionString { get; }

    public static string? Cluster => Environment.GetEnvironmentVariable("VOUCH_TEST_POSTGRES") is { Length: > 0 } cs ? PostgresConnectionString.ToNpgsql(cs.Trim()) : null;

    /// <summary>A new, empty database; null (the caller skips) when no cluster is configured.</summary>
    public static TestPostgres? Create()
    {
        if (Cluster is not { } admin)
        {
            return null;
        }

        var name = "vouch_watch_test_" + Guid.NewGuid().ToString("N")[..12];
        Run(admin, $"CREATE DATABASE {name}");
        return new TestPostgres(admin, name);
    }

    public void Execute(string sql) => Run(ConnectionString, sql);

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Run(_admin, $"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }

    private static void Run(string cs, string sql)
    {
        using var c = new NpgsqlConnection(cs);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }
}
