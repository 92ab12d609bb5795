namespace Trove.Data.Stores;

/// <summary>
/// External id -> row id of the users or items table within one import session. A small write (a POST of a
/// few events to the server) resolves its ids with one query through the unique external_id index, so its
/// cost does not grow with the table; once a session has asked for more than <see cref="ReadAllAfter"/>
/// unknown ids (a bulk import) the whole table is read once instead. Callers resolve ids in blocks
/// (<see cref="Resolve"/>) before writing, so a store that streams rows (PostgreSQL COPY) knows when the
/// connection is needed for a lookup.
/// </summary>
internal sealed class RowIds(
    Func<IReadOnlyList<string>, IEnumerable<(long Id, string ExternalId)>> findMany,
    Func<IEnumerable<(long Id, string ExternalId)>> readAll,
    Func<long> maxId)
{
    public const int ReadAllAfter = 256;

    private readonly Dictionary<string, long> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _absent = new(StringComparer.Ordinal);
    private bool _readAll;
    private int _lookups;
    private long _next = -1;

    /// <summary>Whether every given id is already known (present or absent), i.e. <see cref="Resolve"/> would not query.</summary>
    public bool AllResolved(IEnumerable<string> externalIds) =>
        _readAll || externalIds.All(e => _known.ContainsKey(e) || _absent.Contains(e));

    /// <summary>Looks up the ids not known yet: one query for a few, or the whole table once a session needs many.</summary>
    public void Resolve(IEnumerable<string> externalIds)
    {
        if (_readAll) return;
        var unknown = externalIds.Where(e => !_known.ContainsKey(e) && !_absent.Contains(e)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count == 0) return;
        _lookups += unknown.Count;
        if (_next < 0) _next = maxId() + 1; // now, while the caller knows the connection is free: unknown ids may be added next
        if (_lookups > ReadAllAfter)
        {
            foreach (var (row, external) in readAll()) _known.TryAdd(external, row);
            _readAll = true;
            _absent.Clear();
            return;
        }
        foreach (var (row, external) in findMany(unknown)) _known[external] = row;
        foreach (var e in unknown) if (!_known.ContainsKey(e)) _absent.Add(e);
    }

    public bool TryGet(string externalId, out long id)
    {
        // Once the whole table was read (every bulk import), a lookup is one dictionary probe: no array per row.
        if (!_readAll && !_known.ContainsKey(externalId)) Resolve([externalId]);
        return _known.TryGetValue(externalId, out id);
    }

    /// <summary>Assigns the next free row id to an id that <see cref="TryGet"/> did not find.</summary>
    public long Add(string externalId)
    {
        if (_next < 0) _next = maxId() + 1;
        long id = _next++;
        _known[externalId] = id;
        _absent.Remove(externalId);
        return id;
    }
}
