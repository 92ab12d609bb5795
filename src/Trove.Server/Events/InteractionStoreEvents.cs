using System.Data.Common;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Trove.Data.Readers;
using Trove.Data.Stores;

namespace Trove.Server.Events;

/// <summary>
/// Events written through to the Trove database (<see cref="IInteractionStore"/>: SQLite or PostgreSQL from
/// --db) so the next `trove train --db` learns from them, and kept in memory per user so they count for
/// recommendations at once, before that retraining. Each POST is one transaction, and an event joins the
/// in-memory history only after its commit.
/// <para>
/// When the database fails (server down, connection lost, file locked or unwritable) the write throws
/// <see cref="DatabaseUnavailableException"/> (the API answers 503 with Retry-After, the client retries), the
/// connection is dropped, and for <see cref="RetryAfter"/> further writes fail at once instead of queueing
/// behind a dead database. The next write (or a readiness probe) after that reopens the store: recovery
/// needs no restart.
/// </para>
/// </summary>
public sealed class InteractionStoreEvents : IEventStore, Catalogue.ICatalogueStore, IDisposable
{
    private readonly InMemoryEventStore _recent;
    private readonly EvictedUsers _evictedUsers = new();
    private readonly long _mark;
    private readonly DateTimeOffset _startedUtc;
    private readonly Func<IInteractionStore> _open;
    private readonly SemaphoreSlim _gate = new(1, 1); // one connection: database calls take turns
    private IInteractionStore? _store;
    private volatile DatabaseState _state = DatabaseState.Healthy;
    private long _lastProbeTicks;
    private readonly ILogger? _log;

    /// <param name="store">The open store.</param>
    /// <param name="reopen">Opens the store again after a failure (null: the store cannot be reopened, e.g. in tests).</param>
    /// <param name="retryAfter">How long writes fail fast after a failure before the database is tried again.</param>
    /// <param name="log">Where the database going away and coming back is logged (once per transition).</param>
    /// <param name="maxEventsInMemory">Bound on live events kept in memory; users evicted past it are read back from the database when asked for.</param>
    public InteractionStoreEvents(IInteractionStore store, Func<IInteractionStore>? reopen = null, TimeSpan? retryAfter = null, ILogger? log = null,
        long maxEventsInMemory = InMemoryEventStore.DefaultMaxEvents)
    {
        _log = log;
        _store = store;
        _recent = new InMemoryEventStore(maxEvents: maxEventsInMemory) { Evicted = _evictedUsers.Add };
        _mark = store.LastInteractionId(); // events stored after this are the live ones
        _startedUtc = DateTimeOffset.UtcNow;
        Location = store.Location;
        // Shown without a key (/ready, /api/stats, POST /events): the kind and the file name, never a full path.
        Description = store.Location.Contains("://", StringComparison.Ordinal) || store.Location.Contains('=')
            ? "postgresql" : $"sqlite ({Path.GetFileName(store.Location)})";
        _open = reopen ?? (() => throw new InvalidOperationException("The event store cannot be reopened."));
        RetryAfter = retryAfter ?? TimeSpan.FromSeconds(2);
    }

    public string Description { get; }

    /// <summary>Where the database is (a file path or a server address): for the logs only.</summary>
    public string Location { get; }
    public long Count => _recent.Count;
    public long MaxEventsInMemory => _recent.MaxEvents;
    public long EvictedEvents => _recent.EvictedEvents;
    public TimeSpan RetryAfter { get; }

    /// <summary>Whether the last database call succeeded, and since when it has been failing.</summary>
    public DatabaseState State => _state;

    public async ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default)
    {
        await UseAsync(async (store, token) =>
        {
            using var import = store.BeginImport();
            await import.AddInteractionsAsync(events.Select(e => new InteractionRecord(e.User, e.Item, e.Weight, null, e.Timestamp.ToUnixTimeSeconds(), e.Event)), cancel: token);
            await import.CommitAsync(token);
            return true;
        }, cancel);
        await _recent.AppendAsync(events, cancel);
    }

    public async ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default)
    {
        if (!_evictedUsers.MightContain(user)) return await _recent.ForUserAsync(user, cancel);
        // Some of this user's events were evicted from memory (or the filter gives a false positive): the database,
        // which holds every acknowledged event, is the source for this user from now on.
        try
        {
            var rows = await UseAsync((store, token) => store.InteractionsAfterAsync(user, _mark, token), cancel) ?? [];
            // Every row after the mark arrived while this server ran: received no earlier than its start.
            return rows.Select(r => new UserEvent(user, r.Item, r.Event ?? "", r.Weight,
                r.Timestamp > 0 ? DateTimeOffset.FromUnixTimeSeconds(r.Timestamp) : _startedUtc, _startedUtc)).ToList();
        }
        catch (DatabaseUnavailableException)
        {
            return await _recent.ForUserAsync(user, cancel); // what memory still holds, until the database is back
        }
    }

    /// <summary>
    /// The users evicted from memory, as a Bloom filter of fixed size (1 MiB, 3 hashes): memory stays bounded however
    /// many users are evicted; a false positive costs one database read for a user who has no live events.
    /// </summary>
    private sealed class EvictedUsers
    {
        private const int Bits = 1 << 23;
        private readonly long[] _words = new long[Bits / 64];

        public void Add(string user)
        {
            foreach (int bit in Positions(user)) Interlocked.Or(ref _words[bit >> 6], 1L << (bit & 63));
        }

        public bool MightContain(string user)
        {
            foreach (int bit in Positions(user))
                if ((Volatile.Read(ref _words[bit >> 6]) & (1L << (bit & 63))) == 0) return false;
            return true;
        }

        private static int[] Positions(string user)
        {
            int h1 = StringComparer.Ordinal.GetHashCode(user), h2 = HashCode.Combine(user.Length, h1, 0x2545F491) | 1;
            return [(h1 & (Bits - 1)), ((h1 + h2) & (Bits - 1)), ((h1 + 2 * h2) & (Bits - 1))];
        }
    }

    public IReadOnlyDictionary<string, long> CountsByEvent() => _recent.CountsByEvent();

    /// <summary>
    /// For /ready: checks the database (reopen when needed, and a write check) at most every <see cref="ProbeInterval"/>
    /// and never during the back-off or while another call holds the connection (that call updates the state), so an
    /// outage shows, and a recovery is noticed, even when no event arrives. Returns the state after that.
    /// </summary>
    public async Task<DatabaseState> ProbeAsync(CancellationToken cancel = default)
    {
        var now = DateTime.UtcNow;
        if (now < _state.RetryAtUtc || now - new DateTime(Interlocked.Read(ref _lastProbeTicks), DateTimeKind.Utc) < ProbeInterval) return _state;
        Interlocked.Exchange(ref _lastProbeTicks, now.Ticks);
        try { await UseAsync(store => { store.CheckWritable(); return true; }, cancel, waitForTurn: false); }
        catch (DatabaseUnavailableException) { }
        return _state;
    }

    /// <summary>Readiness checks touch the database at most this often.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Items written through the catalogue API (read at start).</summary>
    public async Task<IReadOnlyList<CatalogueItemRow>> LoadItemsAsync(CancellationToken cancel = default) => (await UseAsync(store => store.CatalogueItems(), cancel))!;

    /// <summary>One catalogue item write, in one transaction on the event connection.</summary>
    public Task PutItemAsync(CatalogueItemWrite item, CancellationToken cancel = default) => UseAsync(async (store, token) =>
    {
        using var import = store.BeginImport();
        import.PutItem(item);
        await import.CommitAsync(token);
        return true;
    }, cancel);

    /// <summary>One user's features, in one transaction on the event connection.</summary>
    public Task PutUserAsync(string user, Trove.Core.Data.FeatureTable features, CancellationToken cancel = default) => UseAsync(async (store, token) =>
    {
        using var import = store.BeginImport();
        import.PutUser(user, features);
        await import.CommitAsync(token);
        return true;
    }, cancel);

    /// <summary>Row counts of the database.</summary>
    public async Task<StoreCounts> CountsAsync(CancellationToken cancel = default) => (await UseAsync(store => store.Counts(), cancel))!;

    /// <summary>Registered models with their metrics (for the dashboard's evaluation table when no report file is given).</summary>
    public async Task<IReadOnlyList<Dictionary<string, object?>>> EvaluatedModelsAsync(CancellationToken cancel = default)
    {
        var models = (await UseAsync(store => store.ListModels(), cancel))!;
        var rows = new List<Dictionary<string, object?>>();
        foreach (var m in models.Where(m => m.MetricsJson is not null))
        {
            var row = new Dictionary<string, object?> { ["model"] = m.ModelVersion, ["algorithm"] = m.Algorithm };
            try
            {
                using var doc = JsonDocument.Parse(m.MetricsJson!);
                Flatten(doc.RootElement, "", row, 0);
            }
            catch (JsonException) { row["metrics"] = m.MetricsJson; }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Runs one database call with the store, reopening it when a previous call dropped it; a failure marks the database unavailable.</summary>
    /// <param name="waitForTurn">False: when another call holds the connection, return default at once.</param>
    private Task<T?> UseAsync<T>(Func<IInteractionStore, T> work, CancellationToken cancel, bool waitForTurn = true) =>
        UseAsync((store, _) => Task.FromResult(work(store)), cancel, waitForTurn);

    /// <summary>As above, for a call that awaits the store's async methods.</summary>
    private async Task<T?> UseAsync<T>(Func<IInteractionStore, CancellationToken, Task<T>> work, CancellationToken cancel, bool waitForTurn = true)
    {
        FailFastWhileBackingOff();
        if (!await _gate.WaitAsync(waitForTurn ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancel)) return default;
        try
        {
            FailFastWhileBackingOff(); // a call that failed while this one waited for the gate
            try
            {
                _store ??= _open();
                var result = await work(_store, cancel);
                if (!_state.Available)
                {
                    _log?.LogWarning("database {Location} is available again (unavailable since {Since:O})", Location, _state.SinceUtc);
                    _state = DatabaseState.Healthy;
                }
                return result;
            }
            catch (Exception e) when (IsOutage(e))
            {
                var broken = _store;
                _store = null;
                try { broken?.Dispose(); } catch (Exception) { } // a dead connection may fail to close as well
                var now = DateTime.UtcNow;
                if (_state.Available) _log?.LogError("database {Location} is unavailable, event writes answer 503 until it returns: {Error}", Location, Describe(e));
                _state = new DatabaseState(false, _state.Available ? now : _state.SinceUtc, now + RetryAfter, Describe(e));
                throw new DatabaseUnavailableException(Description, RetryAfter, _state.Error!, e);
            }
        }
        finally { _gate.Release(); }
    }

    private void FailFastWhileBackingOff()
    {
        var state = _state;
        if (!state.Available && DateTime.UtcNow < state.RetryAtUtc)
            throw new DatabaseUnavailableException(Description, state.RetryAtUtc - DateTime.UtcNow, state.Error!, null);
    }

    /// <summary>Failures of the database rather than of the request: driver errors, I/O, timeouts, anywhere in the chain.</summary>
    public static bool IsOutage(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is DbException or IOException or SocketException or TimeoutException) return true;
        return false;
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not DbException) inner = inner.InnerException;
        return inner.Message;
    }

    private static void Flatten(JsonElement e, string prefix, Dictionary<string, object?> row, int depth)
    {
        if (e.ValueKind == JsonValueKind.Object && depth < 2)
            foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", row, depth + 1);
        else if (e.ValueKind == JsonValueKind.Number) row[prefix] = e.GetDouble();
        else if (e.ValueKind == JsonValueKind.String) row[prefix] = e.GetString();
    }

    public void Dispose()
    {
        _store?.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The database's health as the server saw it at its last call.</summary>
/// <param name="SinceUtc">When it became unavailable (null while available).</param>
/// <param name="RetryAtUtc">Before this time calls fail at once without trying the database.</param>
public sealed record DatabaseState(bool Available, DateTime? SinceUtc, DateTime RetryAtUtc, string? Error)
{
    public static readonly DatabaseState Healthy = new(true, null, DateTime.MinValue, null);
}

/// <summary>The database cannot take the call now; nothing was stored. The API answers 503 with Retry-After.</summary>
public sealed class DatabaseUnavailableException(string location, TimeSpan retryAfter, string reason, Exception? inner)
    : Exception($"The database '{location}' is unavailable ({reason}); nothing was stored, retry later.", inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
