using Trove.Core.Data;
using Trove.Data.Stores;

namespace Trove.Server.Catalogue;

/// <summary>
/// Where catalogue writes (PUT /items/{id}, PUT /users/{id}) persist: the --db database (SQLite or PostgreSQL, through
/// the event store's connection), or nowhere (<see cref="MemoryCatalogueStore"/>: the catalogue lives in memory only
/// and is gone after a restart, as live events are without a database).
/// </summary>
public interface ICatalogueStore
{
    /// <summary>Where the writes go, for answers and logs ("memory", "sqlite (trove.db)", "postgresql").</summary>
    string Description { get; }

    /// <summary>Every item written through the catalogue so far (read once at start).</summary>
    Task<IReadOnlyList<CatalogueItemRow>> LoadItemsAsync(CancellationToken cancel = default);

    /// <summary>Stores one item write in one transaction; throws <see cref="Events.DatabaseUnavailableException"/> when the database cannot take it.</summary>
    Task PutItemAsync(CatalogueItemWrite item, CancellationToken cancel = default);

    /// <summary>Stores a user's features (one row) in one transaction.</summary>
    Task PutUserAsync(string user, FeatureTable features, CancellationToken cancel = default);
}

/// <summary>No database: catalogue writes live in the server's memory only.</summary>
public sealed class MemoryCatalogueStore : ICatalogueStore
{
    public string Description => "memory";
    public Task<IReadOnlyList<CatalogueItemRow>> LoadItemsAsync(CancellationToken cancel = default) => Task.FromResult<IReadOnlyList<CatalogueItemRow>>([]);
    public Task PutItemAsync(CatalogueItemWrite item, CancellationToken cancel = default) => Task.CompletedTask;
    public Task PutUserAsync(string user, FeatureTable features, CancellationToken cancel = default) => Task.CompletedTask;
}
