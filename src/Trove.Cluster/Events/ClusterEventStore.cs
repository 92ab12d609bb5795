using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Trove.Server.Events;

namespace Trove.Cluster.Events;

/// <summary>
/// The server's event store in cluster mode: each user's events go to and come from that user's
/// <see cref="IUserEventsGrain"/>, wherever in the cluster it lives, which writes them to PostgreSQL before it keeps
/// them. The endpoints see the same <see cref="IEventStore"/> as on one machine; only where the state lives differs.
/// </summary>
public sealed class ClusterEventStore(IGrainFactory grains, ClusterDatabase database, ILogger<ClusterEventStore> log) : IEventStore
{
    private readonly ConcurrentDictionary<string, long> _byEvent = new(StringComparer.OrdinalIgnoreCase);
    private long _accepted;

    public string Description => "cluster (postgresql)";

    /// <summary>Events this replica accepted since it started (the events themselves live in the users' grains).</summary>
    public long Count => Interlocked.Read(ref _accepted);

    /// <summary>No replica-wide bound: each user's grain keeps its newest events (<see cref="TroveClusterOptions.MaxEventsPerUser"/>) and idle grains are collected.</summary>
    public long MaxEventsInMemory => long.MaxValue;

    public long EvictedEvents => 0;

    /// <summary>
    /// One grain call per user, in parallel; the request is acknowledged when every user's events are committed. When
    /// any fails the request answers 503 and the client retries: a user whose events were committed before the
    /// failure then has them twice in the database (at least once, never lost).
    /// </summary>
    public async ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default)
    {
        var calls = events.GroupBy(e => e.User, StringComparer.Ordinal).Select(async g =>
        {
            var batch = g.Select(e => new ClusterEvent
            {
                Item = e.Item, Event = e.Event, Weight = e.Weight,
                TimestampMs = e.Timestamp.ToUnixTimeMilliseconds(), ReceivedMs = e.ReceivedUtc.ToUnixTimeMilliseconds(),
            }).ToArray();
            try { return await grains.GetGrain<IUserEventsGrain>(g.Key).Append(batch).WaitAsync(cancel); }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                // The grain's silo died or the call timed out: the events may or may not be committed; the client retries.
                return $"cluster call failed: {e.GetBaseException().Message}";
            }
        }).ToList();
        var errors = (await Task.WhenAll(calls)).OfType<string>().ToList();
        if (errors.Count > 0)
        {
            log.LogWarning("{Failed} of {Users} users' events not acknowledged: {Error}", errors.Count, calls.Count, errors[0]);
            throw new DatabaseUnavailableException(database.Location, TimeSpan.FromSeconds(1), errors[0], null);
        }
        Interlocked.Add(ref _accepted, events.Count);
        foreach (var e in events) _byEvent.AddOrUpdate(e.Event, 1, (_, n) => n + 1);
    }

    /// <summary>The user's live events from the grain; when the cluster cannot answer, none (recommendations from the model alone beat an error).</summary>
    public async ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default)
    {
        try
        {
            var recent = await grains.GetGrain<IUserEventsGrain>(user).Recent().WaitAsync(cancel);
            return recent.Select(e => new UserEvent(user, e.Item, e.Event, e.Weight,
                DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs), DateTimeOffset.FromUnixTimeMilliseconds(e.ReceivedMs))).ToList();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            log.LogWarning("live events of user {User} unavailable, serving without them: {Error}", user, e.GetBaseException().Message);
            return [];
        }
    }

    public IReadOnlyDictionary<string, long> CountsByEvent() => new Dictionary<string, long>(_byEvent);
}
