using Trove.Core.Errors;

namespace Trove.Data.Stores;

/// <summary>
/// Opens a store from what the user wrote after --db: a PostgreSQL connection string (<c>postgres://user@host:port/db</c>,
/// <c>postgresql://...</c> or <c>Host=...;Database=...</c>) opens <see cref="PostgresStore"/>; anything else is a
/// SQLite file path. Both migrate on open.
/// </summary>
public static class InteractionStores
{
    /// <param name="waitLimit">
    /// How long one call may wait for the database (a lock held by another writer, a connection, a statement) before
    /// it fails; null: the stores' defaults, made for batch commands (SQLite about 35 s of lock waits, PostgreSQL
    /// no statement limit). A server sets a few seconds so that a request fails while its client still waits.
    /// </param>
    public static IInteractionStore Open(string location, bool createIfMissing = true, TimeSpan? waitLimit = null)
    {
        if (string.IsNullOrWhiteSpace(location)) throw new TroveException("Give a database: --db FILE (SQLite) or --db postgres://user@host:port/database.");
        return IsPostgres(location) ? PostgresStore.Open(location, createIfMissing, waitLimit) : SqliteStore.Open(location, createIfMissing, waitLimit);
    }

    public static bool IsPostgres(string location) => PostgresStore.IsConnectionString(location);

    /// <summary>A description of the store for messages (full path, or the connection string without password).</summary>
    public static string Describe(string location) => IsPostgres(location) ? PostgresStore.Describe(location) : Path.GetFullPath(location);

    /// <summary>Does the database exist? (SQLite: the file; PostgreSQL: assumed, the connection tells.)</summary>
    public static bool Exists(string location) => IsPostgres(location) || File.Exists(location);
}
