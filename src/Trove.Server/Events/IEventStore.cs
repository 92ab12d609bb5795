using System.Collections.Concurrent;

namespace Trove.Server.Events;

/// <summary>One interaction received by POST /events, with the weight its event type carries.</summary>
public sealed record UserEvent(string User, string Item, string Event, float Weight, DateTimeOffset Timestamp, DateTimeOffset ReceivedUtc);

/// <summary>
/// Where the server keeps events that arrived after the model was trained. Reads are per user
/// (a request needs one user's new events); writes are batches. The in-memory store is the default;
/// a database-backed store (the data branch's SQLite store) plugs in behind the same interface.
/// </summary>
public interface IEventStore
{
    /// <summary>Where events go, for /ready and the dashboard ("memory", a database path...).</summary>
    string Description { get; }
    /// <summary>Events held in memory now.</summary>
    long Count { get; }
    /// <summary>The bound on events held in memory (older users are evicted past it).</summary>
    long MaxEventsInMemory { get; }
    /// <summary>Events evicted from memory since start (still in the database when there is one).</summary>
    long EvictedEvents { get; }
    ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default);
    ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default);
    /// <summary>Number of events per event type.</summary>
    IReadOnlyDictionary<string, long> CountsByEvent();
}

/// <summary>
/// Events in process memory, per user: the newest <see cref="MaxPerUser"/> of each user, and at most
/// <see cref="MaxEvents"/> in all. Past that bound the users written to longest ago are evicted whole (down to 90% of
/// the bound), so memory stays bounded however many users send events. Without a database evicted events are gone,
/// as after a restart; <see cref="InteractionStoreEvents"/> reads an evicted user's events from the database instead.
/// </summary>
public sealed class InMemoryEventStore(int maxPerUser = 10_000, long maxEvents = InMemoryEventStore.DefaultMaxEvents) : IEventStore
{
    /// <summary>Default bound on the events kept in memory (about 150 MB of events).</summary>
    public const long DefaultMaxEvents = 1_000_000;

    public int MaxPerUser { get; } = maxPerUser;
    public long MaxEvents { get; } = Math.Max(1, maxEvents);
    long IEventStore.MaxEventsInMemory => MaxEvents;

    private sealed class UserEvents
    {
        public readonly List<UserEvent> Events = [];
        public long LastWrite;
    }

    private readonly ConcurrentDictionary<string, UserEvents> _byUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byEvent = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _evictLock = new();
    private long _count, _evicted, _writes;

    /// <summary>Called with each evicted user (outside any per-user lock).</summary>
    public Action<string>? Evicted { get; set; }

    public string Description => "memory";

    /// <summary>Events held in memory now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Events evicted to respect <see cref="MaxEvents"/> since start.</summary>
    public long EvictedEvents => Interlocked.Read(ref _evicted);

    public ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default)
    {
        foreach (var e in events)
        {
            Add(e.User, e);
            _byEvent.AddOrUpdate(e.Event, 1, (_, n) => n + 1);
        }
        if (Count > MaxEvents) EvictOldest();
        return ValueTask.CompletedTask;
    }

    private void Add(string user, UserEvent e)
    {
        while (true)
        {
            var entry = _byUser.GetOrAdd(user, _ => new UserEvents());
            lock (entry)
            {
                // An entry evicted between the lookup and the lock is no longer in the map: add to a fresh one.
                if (!_byUser.TryGetValue(user, out var current) || !ReferenceEquals(current, entry)) continue;
                entry.Events.Add(e);
                Interlocked.Increment(ref _count);
                if (entry.Events.Count > MaxPerUser)
                {
                    int drop = entry.Events.Count - MaxPerUser;
                    entry.Events.RemoveRange(0, drop);
                    Interlocked.Add(ref _count, -drop);
                }
                entry.LastWrite = Interlocked.Increment(ref _writes);
                return;
            }
        }
    }

    /// <summary>Evicts the least recently written users until the events fit in 90% of the bound (one sort per round, so rounds are rare).</summary>
    private void EvictOldest()
    {
        var evicted = new List<string>();
        lock (_evictLock)
        {
            long target = MaxEvents / 10 * 9;
            if (Count <= MaxEvents) return;
            foreach (var (user, entry) in _byUser.ToArray().OrderBy(p => Volatile.Read(ref p.Value.LastWrite)))
            {
                if (Count <= target) break;
                lock (entry)
                {
                    if (!_byUser.TryRemove(new KeyValuePair<string, UserEvents>(user, entry))) continue;
                    Interlocked.Add(ref _count, -entry.Events.Count);
                    Interlocked.Add(ref _evicted, entry.Events.Count);
                }
                evicted.Add(user);
            }
        }
        foreach (var user in evicted) Evicted?.Invoke(user);
    }

    public ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default)
    {
        if (!_byUser.TryGetValue(user, out var entry)) return ValueTask.FromResult<IReadOnlyList<UserEvent>>([]);
        lock (entry) return ValueTask.FromResult<IReadOnlyList<UserEvent>>(entry.Events.ToArray());
    }

    public IReadOnlyDictionary<string, long> CountsByEvent() => new Dictionary<string, long>(_byEvent);
}
