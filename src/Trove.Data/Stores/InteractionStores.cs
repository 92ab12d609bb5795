using Trove.Core.Errors;

namespace Trove.Data.Stores;

/// <summary>
/// Opens a store from what the user wrote after --db: a file path opens SQLite. Connection strings
/// (<c>postgres://...</c>, <c>Host=...</c>) are the place where a PostgreSQL store plugs in later.
/// </summary>
public static class InteractionStores
{
    public static IInteractionStore Open(string location, bool createIfMissing = true)
    {
        if (IsPostgres(location))
            throw new TroveException("PostgreSQL stores are not available yet; give a SQLite file path for --db (e.g. trove.db).");
        return SqliteStore.Open(location, createIfMissing);
    }

    public static bool IsPostgres(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || location.Contains("Host=", StringComparison.OrdinalIgnoreCase);
}
