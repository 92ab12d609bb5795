using Trove.Core.Data;

namespace Trove.Data.Readers;

/// <summary>
/// Assigns dense indices to external ids in first-seen order, looking ids up by span so a reader
/// does not allocate a string for an id it has already seen. <see cref="Build"/> gives the <see cref="IdMap"/>.
/// An open-addressing table keeps each slot's hash beside the index, and the id characters in one
/// arena, so a lookup touches about two cache lines (this is the hot spot of reading large files).
/// </summary>
public sealed class IdMapBuilder
{
    private long[] _slots = new long[1024];      // (hash << 32) | (index + 1); 0 = empty
    private int _mask = 1023;
    private char[] _arena = new char[1 << 14];
    private int _arenaUsed;
    private int[] _offsets = new int[256];
    private int[] _lengths = new int[256];
    private readonly List<string> _ids = new();

    public int Count => _ids.Count;
    public IReadOnlyList<string> Ids => _ids;

    public int GetOrAdd(ReadOnlySpan<char> id)
    {
        // Logs are often grouped by user or session: the same id as last time costs one comparison.
        int last = _last;
        if (last >= 0 && _arena.AsSpan(_offsets[last], _lengths[last]).SequenceEqual(id)) return last;
        int found = Lookup(id);
        _last = found;
        return found;
    }

    private int _last = -1;

    private int Lookup(ReadOnlySpan<char> id)
    {
        int hash = Hash(id);
        int slot = hash & _mask;
        while (true)
        {
            long entry = _slots[slot];
            if (entry == 0) break;
            if ((int)(entry >> 32) == hash)
            {
                int index = (int)(entry & 0xFFFFFFFF) - 1;
                if (_arena.AsSpan(_offsets[index], _lengths[index]).SequenceEqual(id)) return index;
            }
            slot = (slot + 1) & _mask;
        }
        return Add(id, new string(id), hash, slot);
    }

    public int GetOrAdd(string id) => TryGetIndex(id, out int at) ? at : GetOrAdd(id.AsSpan());

    public bool TryGetIndex(ReadOnlySpan<char> id, out int index)
    {
        int hash = Hash(id);
        int slot = hash & _mask;
        while (true)
        {
            long entry = _slots[slot];
            if (entry == 0) { index = -1; return false; }
            if ((int)(entry >> 32) == hash)
            {
                index = (int)(entry & 0xFFFFFFFF) - 1;
                if (_arena.AsSpan(_offsets[index], _lengths[index]).SequenceEqual(id)) return true;
            }
            slot = (slot + 1) & _mask;
        }
    }

    private int Add(ReadOnlySpan<char> id, string s, int hash, int slot)
    {
        int index = _ids.Count;
        if (index == _offsets.Length)
        {
            Array.Resize(ref _offsets, index * 2);
            Array.Resize(ref _lengths, index * 2);
        }
        if (_arenaUsed + id.Length > _arena.Length) Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + id.Length));
        id.CopyTo(_arena.AsSpan(_arenaUsed));
        _offsets[index] = _arenaUsed;
        _lengths[index] = id.Length;
        _arenaUsed += id.Length;
        _ids.Add(s);
        _slots[slot] = ((long)hash << 32) | (uint)(index + 1);
        if ((index + 1) * 2 > _slots.Length) Rehash();
        return index;
    }

    private void Rehash()
    {
        var old = _slots;
        _slots = new long[old.Length * 2];
        _mask = _slots.Length - 1;
        foreach (var entry in old)
        {
            if (entry == 0) continue;
            int slot = (int)(entry >> 32) & _mask;
            while (_slots[slot] != 0) slot = (slot + 1) & _mask;
            _slots[slot] = entry;
        }
    }

    private static int Hash(ReadOnlySpan<char> s)
    {
        // FNV-1a over 32-bit chunks, then a final mix; ids are short, so this beats Marvin here.
        uint h = 2166136261;
        int i = 0;
        var ints = System.Runtime.InteropServices.MemoryMarshal.Cast<char, uint>(s);
        foreach (var v in ints) h = (h ^ v) * 16777619;
        i = ints.Length * 2;
        if (i < s.Length) h = (h ^ s[i]) * 16777619;
        h ^= (uint)s.Length;
        h ^= h >> 15; h *= 0x2c1b3c6d; h ^= h >> 12; h *= 0x297a2d39; h ^= h >> 15;
        return (int)h;
    }

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
