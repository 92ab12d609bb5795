using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Concurrency;
using Trove.Data.Readers;
using Trove.Server.Events;

namespace Trove.Cluster.Events;

/// <summary>One live event as it travels between silos (the user is the grain's key).</summary>
[GenerateSerializer, Immutable, Alias("trove.ClusterEvent")]
public sealed class ClusterEvent
{
    [Id(0)] public required string Item { get; init; }
    [Id(1)] public required string Event { get; init; }
    [Id(2)] public float Weight { get; init; }
    /// <summary>When the event happened (Unix milliseconds).</summary>
    [Id(3)] public long TimestampMs { get; init; }
    /// <summary>When the database stored it (Unix milliseconds; 0: before cluster mode kept the time).</summary>
    [Id(4)] public long ReceivedMs { get; init; }
}

/// <summary>
/// One user's live events, in one activation somewhere in the cluster: every replica sends that user's events here
/// and reads them from here, so an event acknowledged by one replica is in the next answer of every replica.
/// </summary>
[Alias("trove.IUserEventsGrain")]
public interface IUserEventsGrain : IGrainWithStringKey
{
    /// <summary>Stores the events in the database (one transaction) and then keeps them; null on success, else why the database refused (nothing stored).</summary>
    [Alias("Append")] Task<string?> Append(ClusterEvent[] events);

    /// <summary>The user's newest events, oldest first.</summary>
    [Alias("Recent"), ReadOnly] Task<ClusterEvent[]> Recent();
}

/// <summary>
/// The grain behind <see cref="IUserEventsGrain"/>. The database is the source of truth: an event is kept in memory
/// only after its commit, and an activation (first use, or after the silo that held the user died) starts from the
/// user's newest rows in the database, so nothing acknowledged depends on the memory of a silo. Orleans runs one call
/// of a grain at a time, so the memory and the database change in the same order.
/// </summary>
internal sealed class UserEventsGrain(ClusterDatabase database, TroveClusterOptions options, ILogger<UserEventsGrain> log) : Grain, IUserEventsGrain
{
    private const string NewestRows = """
        SELECT i.external_id, x.weight, x."timestamp", x.event, x.received_utc
        FROM interactions x JOIN users u ON u.id = x.user_id JOIN items i ON i.id = x.item_id
        WHERE u.external_id = @user ORDER BY x.id DESC LIMIT @max
        """;

    private readonly List<ClusterEvent> _events = [];

    public override async Task OnActivateAsync(CancellationToken cancel)
    {
        string user = this.GetPrimaryKeyString();
        await using var command = database.Source.CreateCommand(NewestRows);
        command.Parameters.AddWithValue("user", user);
        command.Parameters.AddWithValue("max", options.MaxEventsPerUser);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel))
            _events.Add(new ClusterEvent
            {
                Item = reader.GetString(0),
                Weight = reader.GetFloat(1),
                TimestampMs = reader.IsDBNull(2) ? 0 : reader.GetInt64(2) * 1000,
                Event = reader.IsDBNull(3) ? "" : reader.GetString(3),
                ReceivedMs = reader.IsDBNull(4) ? 0 : new DateTimeOffset(reader.GetDateTime(4)).ToUnixTimeMilliseconds(),
            });
        _events.Reverse();
        log.LogDebug("user {User}: {Count} events read from the database", user, _events.Count);
    }

    public async Task<string?> Append(ClusterEvent[] events)
    {
        string user = this.GetPrimaryKeyString();
        try
        {
            await database.UseStoreAsync(async (store, cancel) =>
            {
                using var import = store.BeginImport();
                await import.AddInteractionsAsync(events.Select(e => new InteractionRecord(user, e.Item, e.Weight, null, e.TimestampMs / 1000, e.Event)), cancel: cancel);
                await import.CommitAsync(cancel);
                return true;
            });
        }
        catch (Exception e) when (InteractionStoreEvents.IsOutage(e))
        {
            return e is NpgsqlException n ? n.Message : e.GetBaseException().Message;
        }
        // Committed: the time is the replica's receipt time, within a transaction's length of the database's received_utc.
        _events.AddRange(events);
        if (_events.Count > options.MaxEventsPerUser) _events.RemoveRange(0, _events.Count - options.MaxEventsPerUser);
        return null;
    }

    public Task<ClusterEvent[]> Recent() => Task.FromResult(_events.ToArray());
}
