using Trove.Core.Errors;

namespace Trove.Data.Stores;

/// <summary>
/// Opens the store a <c>--db</c> value names: a PostgreSQL connection string (<c>postgres://user@host:port/db</c>,
/// <c>postgresql://...</c> or <c>Host=...;Database=...</c>) selects <see cref="PostgresStore"/>; anything else is a
/// SQLite file path. Both migrate on open.
/// </summary>
public static class StoreFactory
{
    public static bool IsPostgres(string db) => PostgresStore.IsConnectionString(db);

    public static IInteractionStore Open(string db, bool createIfMissing = true)
    {
        if (string.IsNullOrWhiteSpace(db)) throw new TroveException("Give a database: --db FILE (SQLite) or --db postgres://user@host:port/database.");
        return IsPostgres(db) ? PostgresStore.Open(db, createIfMissing) : SqliteStore.Open(db, createIfMissing);
    }

    /// <summary>A description of the store for messages (full path, or the connection string without password).</summary>
    public static string Describe(string db) => IsPostgres(db) ? PostgresStore.Describe(db) : Path.GetFullPath(db);

    /// <summary>Does the database exist? (SQLite: the file; PostgreSQL: always assumed, the connection tells.)</summary>
    public static bool Exists(string db) => IsPostgres(db) || File.Exists(db);
}
