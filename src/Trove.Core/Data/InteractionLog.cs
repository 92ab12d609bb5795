namespace Trove.Core.Data;

/// <summary>
/// Interactions in columnar form (one array per field), indexed by dense user and item indices.
/// Weight already includes the event-type weight. Timestamp is Unix seconds (0 when unknown).
/// Event is an index into <see cref="EventNames"/> (-1 when the input had no event type).
/// </summary>
public sealed class InteractionLog
{
    public int[] Users { get; }
    public int[] Items { get; }
    public float[] Weights { get; }
    public long[] Timestamps { get; }
    public short[] Events { get; }
    public IReadOnlyList<string> EventNames { get; }
    /// <summary>
    /// The raw score of each row before event weighting (e.g. a 1-5 rating, a play count), or null when
    /// the input had no scores. NaN marks a row without a score.
    /// </summary>
    public float[]? Scores { get; init; }

    public InteractionLog(int[] users, int[] items, float[] weights, long[] timestamps, short[] events, IReadOnlyList<string> eventNames)
    {
        int n = users.Length;
        if (items.Length != n || weights.Length != n || timestamps.Length != n || events.Length != n)
            throw new ArgumentException("Interaction columns differ in length.");
        Users = users; Items = items; Weights = weights; Timestamps = timestamps; Events = events; EventNames = eventNames;
    }

    public int Count => Users.Length;
    public bool HasTimestamps => Timestamps.Any(t => t != 0);

    /// <summary>The rows at <paramref name="rows"/>, in that order.</summary>
    public InteractionLog Select(ReadOnlySpan<int> rows)
    {
        int n = rows.Length;
        var u = new int[n]; var i = new int[n]; var w = new float[n]; var t = new long[n]; var e = new short[n];
        var s = Scores is null ? null : new float[n];
        for (int k = 0; k < n; k++)
        {
            int r = rows[k];
            u[k] = Users[r]; i[k] = Items[r]; w[k] = Weights[r]; t[k] = Timestamps[r]; e[k] = Events[r];
            if (s is not null) s[k] = Scores![r];
        }
        return new InteractionLog(u, i, w, t, e, EventNames) { Scores = s };
    }

    public static InteractionLog Empty { get; } = new([], [], [], [], [], []);
}

/// <summary>Appends interactions; grows its arrays geometrically.</summary>
public sealed class InteractionLogBuilder
{
    private int[] _users = new int[1024];
    private int[] _items = new int[1024];
    private float[] _weights = new float[1024];
    private long[] _timestamps = new long[1024];
    private short[] _events = new short[1024];
    private float[]? _scores;
    private readonly List<string> _eventNames = new();
    private readonly Dictionary<string, short> _eventIndex = new(StringComparer.OrdinalIgnoreCase);

    public int Count { get; private set; }

    public short EventIndex(string? eventName)
    {
        if (string.IsNullOrEmpty(eventName)) return -1;
        if (_eventIndex.TryGetValue(eventName, out var at)) return at;
        if (_eventNames.Count >= short.MaxValue) throw new Errors.TroveException("More than 32767 distinct event types.");
        at = (short)_eventNames.Count;
        _eventNames.Add(eventName);
        _eventIndex.Add(eventName, at);
        return at;
    }

    public void Add(int user, int item, float weight, long timestamp = 0, short eventIndex = -1)
    {
        if (Count == _users.Length) Grow();
        _users[Count] = user; _items[Count] = item; _weights[Count] = weight; _timestamps[Count] = timestamp; _events[Count] = eventIndex;
        if (_scores is not null) _scores[Count] = float.NaN;
        Count++;
    }

    /// <summary>Adds a row that also keeps its raw score (see <see cref="InteractionLog.Scores"/>; NaN for none).</summary>
    public void Add(int user, int item, float weight, long timestamp, short eventIndex, float score)
    {
        if (_scores is null)
        {
            _scores = new float[_users.Length];
            _scores.AsSpan(0, Count).Fill(float.NaN);
        }
        Add(user, item, weight, timestamp, eventIndex);
        _scores[Count - 1] = score;
    }

    private void Grow()
    {
        int size = _users.Length * 2;
        Array.Resize(ref _users, size); Array.Resize(ref _items, size); Array.Resize(ref _weights, size);
        Array.Resize(ref _timestamps, size); Array.Resize(ref _events, size);
        if (_scores is not null) Array.Resize(ref _scores, size);
    }

    public InteractionLog Build() => new(_users[..Count], _items[..Count], _weights[..Count], _timestamps[..Count], _events[..Count], _eventNames.ToArray())
    {
        Scores = _scores?[..Count],
    };
}
