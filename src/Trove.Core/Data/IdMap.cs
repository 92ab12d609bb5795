namespace Trove.Core.Data;

/// <summary>
/// Maps external string ids (as users wrote them) to dense indices 0..Count-1 and back.
/// Indices are assigned in first-seen order, so the same input gives the same map.
/// </summary>
public sealed class IdMap
{
    private readonly Dictionary<string, int> _index;
    private readonly List<string> _ids;

    public IdMap() : this(Array.Empty<string>()) { }

    public IdMap(IEnumerable<string> ids)
    {
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        _ids = new List<string>();
        foreach (var id in ids)
        {
            if (!_index.TryAdd(id, _ids.Count)) throw new ArgumentException($"Duplicate id '{id}' in id map.");
            _ids.Add(id);
        }
    }

    public int Count => _ids.Count;
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Returns the index of <paramref name="id"/>, adding it when new.</summary>
    public int GetOrAdd(string id)
    {
        if (_index.TryGetValue(id, out int at)) return at;
        at = _ids.Count;
        _index.Add(id, at);
        _ids.Add(id);
        return at;
    }

    public bool TryGetIndex(string id, out int index) => _index.TryGetValue(id, out index);

    /// <summary>
    /// The index of the id spelled by <paramref name="id"/>, without making a string of it: callers that decode ids from
    /// a request body look them up straight from their buffer.
    /// </summary>
    public bool TryGetIndex(ReadOnlySpan<char> id, out int index) =>
        _index.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out index);
    public bool Contains(string id) => _index.ContainsKey(id);

    /// <summary>Index of a known id; a clear error names the id when it is unknown.</summary>
    public int IndexOf(string id, string kind = "id") =>
        _index.TryGetValue(id, out int at) ? at : throw new UnknownIdException(kind, id);

    public string this[int index] => _ids[index];
}

public sealed class UnknownIdException(string kind, string id)
    : Errors.TroveException($"Unknown {kind} '{id}': it does not appear in the data the model was trained on.")
{
    public string Kind { get; } = kind;
    public string Id { get; } = id;
}
