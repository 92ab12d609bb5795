using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using Trove.Data.Stores;
using Trove.Server.Events;

namespace Trove.Cluster.Events;

/// <summary>
/// The silo's connections to the cluster database: a small pool of <see cref="IInteractionStore"/>s (the store is the
/// one write path for interactions; each instance holds one connection, so grains writing at once take one each) and
/// an Npgsql data source for the cluster's own reads.
/// </summary>
public sealed class ClusterDatabase : IDisposable
{
    private readonly ConcurrentBag<IInteractionStore> _idle = [];
    private readonly SemaphoreSlim _slots;
    private readonly string _database;
    private readonly TimeSpan _waitLimit;

    /// <param name="maxConnections">Most store connections open at once (writes beyond it wait their turn).</param>
    public ClusterDatabase(string database, TimeSpan waitLimit, int maxConnections = 8)
    {
        _database = database;
        _waitLimit = waitLimit;
        _slots = new SemaphoreSlim(maxConnections, maxConnections);
        var builder = new NpgsqlConnectionStringBuilder(Schema.ClusterSchema.ConnectionString(database))
        {
            Timeout = Math.Max(1, (int)Math.Ceiling(waitLimit.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(waitLimit.TotalSeconds)),
        };
        Source = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>For the cluster's own queries (live events of a user, the newest model).</summary>
    public NpgsqlDataSource Source { get; }

    /// <summary>Where the database is, without a password (for messages).</summary>
    public string Location => InteractionStores.Describe(_database);

    /// <summary>Runs <paramref name="work"/> with a pooled store; a store whose call failed as an outage is closed, not reused.</summary>
    public async Task<T> UseStoreAsync<T>(Func<IInteractionStore, CancellationToken, Task<T>> work, CancellationToken cancel = default)
    {
        await _slots.WaitAsync(cancel);
        IInteractionStore? store = null;
        try
        {
            store = _idle.TryTake(out var pooled) ? pooled : await Task.Run(() => InteractionStores.Open(_database, createIfMissing: false, waitLimit: _waitLimit), cancel);
            var open = store;
            // Off the caller's thread: the store's sync parts (opening a transaction, the buffered row writes) block, and a
            // grain's turn must not hold an Orleans scheduler thread on I/O; the awaited parts then free the pool thread too.
            var result = await Task.Run(() => work(open, cancel), cancel);
            _idle.Add(store);
            store = null;
            return result;
        }
        finally
        {
            // Reached with a store only when the work threw: its connection may be dead, so it is not pooled again.
            if (store is not null) try { store.Dispose(); } catch (Exception e) when (InteractionStoreEvents.IsOutage(e)) { }
            _slots.Release();
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var store)) store.Dispose();
        Source.Dispose();
        _slots.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="check"/> at once, on every notification on <paramref name="channel"/> and at least every
    /// <paramref name="poll"/> (notifications sent while the connection was down are lost, so the poll catches up),
    /// until <paramref name="stop"/>. A database outage is logged and the LISTEN connection reopened 2 s later.
    /// </summary>
    public async Task FollowAsync(string channel, TimeSpan poll, Func<CancellationToken, Task> check, ILogger log, string what, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await Source.OpenConnectionAsync(stop);
                await using (var listen = new NpgsqlCommand($"LISTEN {channel}", connection)) await listen.ExecuteNonQueryAsync(stop);
                while (!stop.IsCancellationRequested)
                {
                    await check(stop);
                    // True on a notification, false on the poll interval: either way the check reads the table.
                    await connection.WaitAsync(poll, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException)
            {
                log.LogWarning("{What}: database unavailable, retrying: {Error}", what, e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(2), stop); } catch (OperationCanceledException) { return; }
            }
        }
    }
}
