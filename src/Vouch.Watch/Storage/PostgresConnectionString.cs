using Npgsql;

namespace Vouch.Watch.Storage;

/// <summary>
/// The two spellings of a PostgreSQL connection string the gate's <c>--db</c> takes, so the same
/// value works for watch: Npgsql's <c>Host=...;Database=...</c>, or a <c>postgres://user:pass@host:port/db</c> URL.
/// </summary>
public static class PostgresConnectionString
{
    public static bool IsPostgres(string text) =>
        text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || text.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Npgsql's form of <paramref name="text"/>; throws <see cref="ArgumentException"/> or <see cref="FormatException"/> when it is neither spelling.</summary>
    public static string ToNpgsql(string text)
    {
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(text).ConnectionString;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new FormatException("not a postgres:// URL");
        }

        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port, Database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/')) };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        return b.ConnectionString;
    }
}
