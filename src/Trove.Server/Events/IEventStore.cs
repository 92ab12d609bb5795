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
    long Count { get; }
    ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default);
    ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default);
    /// <summary>Number of events per event type.</summary>
    IReadOnlyDictionary<string, long> CountsByEvent();
}

/// <summary>Events in process memory, per user (the newest <see cref="MaxPerUser"/> kept), lost on restart.</summary>
public sealed class InMemoryEventStore(int maxPerUser = 10_000) : IEventStore
{
    public int MaxPerUser { get; } = maxPerUser;
    private readonly ConcurrentDictionary<string, List<UserEvent>> _byUser = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byEvent = new(StringComparer.OrdinalIgnoreCase);
    private long _count;

    public string Description => "memory";
    public long Count => Interlocked.Read(ref _count);

    public ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default)
    {
        foreach (var e in events)
        {
            var list = _byUser.GetOrAdd(e.User, _ => new List<UserEvent>());
            lock (list)
            {
                list.Add(e);
                if (list.Count > MaxPerUser) list.RemoveRange(0, list.Count - MaxPerUser);
            }
            _byEvent.AddOrUpdate(e.Event, 1, (_, n) => n + 1);
            Interlocked.Increment(ref _count);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default)
    {
        if (!_byUser.TryGetValue(user, out var list)) return ValueTask.FromResult<IReadOnlyList<UserEvent>>([]);
        lock (list) return ValueTask.FromResult<IReadOnlyList<UserEvent>>(list.ToArray());
    }

    public IReadOnlyDictionary<string, long> CountsByEvent() => new Dictionary<string, long>(_byEvent);
}
