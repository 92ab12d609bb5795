using Trove.Core.Data;

namespace Trove.Data.Readers;

/// <summary>
/// Assigns dense indices to external ids in first-seen order, looking ids up by span so a reader
/// does not allocate a string for an id it has already seen. <see cref="Build"/> gives the <see cref="IdMap"/>.
/// </summary>
public sealed class IdMapBuilder
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _ids = new();

    public IdMapBuilder() => _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _ids.Count;
    public IReadOnlyList<string> Ids => _ids;

    public int GetOrAdd(ReadOnlySpan<char> id)
    {
        if (_lookup.TryGetValue(id, out int at)) return at;
        var s = new string(id);
        at = _ids.Count;
        _index.Add(s, at);
        _ids.Add(s);
        return at;
    }

    public int GetOrAdd(string id)
    {
        if (_index.TryGetValue(id, out int at)) return at;
        at = _ids.Count;
        _index.Add(id, at);
        _ids.Add(id);
        return at;
    }

    public bool TryGetIndex(ReadOnlySpan<char> id, out int index) => _lookup.TryGetValue(id, out index);

    public IdMap Build() => new(_ids);
}

/// <summary>Returns one shared string per distinct span, so repeated ids cost no allocation.</summary>
public sealed class StringPool
{
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _maxSize;

    public StringPool(int maxSize = 4_000_000) { _lookup = _set.GetAlternateLookup<ReadOnlySpan<char>>(); _maxSize = maxSize; }

    public string Get(ReadOnlySpan<char> value)
    {
        if (_lookup.TryGetValue(value, out var s)) return s;
        s = new string(value);
        if (_set.Count < _maxSize) _set.Add(s);
        return s;
    }
}
