namespace Trove.Numerics.Index;

/// <summary>
/// A search filter that leaves a few rows out (a user's own items when recommending): their bits are set in a bitset
/// over all rows, so the test the graph walk makes for each candidate is one bit read instead of a hash lookup, and
/// nothing is allocated per search. The bitset is kept per thread and its bits are cleared again on
/// <see cref="Dispose"/>: rent, search and dispose on one thread, without an await in between.
/// </summary>
/// <example><code>
/// using (var seen = ExcludedRows.Rent(index.Count, userItems))
///     found = index.Search(query, k, seen.Passes, ef);
/// </code></example>
public sealed class ExcludedRows : IDisposable
{
    [ThreadStatic] private static ExcludedRows? t_free;

    private ulong[] _bits = [];
    private int[] _marked = [];
    private int _count;

    private ExcludedRows() => Passes = row => (uint)row >= (uint)_bits.Length * 64 || (_bits[row >> 6] & (1UL << row)) == 0;

    /// <summary>False for an excluded row, true for every other row: the filter to give the search.</summary>
    public Func<int, bool> Passes { get; }

    /// <summary>A filter over <paramref name="rows"/> rows without <paramref name="excluded"/> (rows outside 0..rows-1 are ignored).</summary>
    public static ExcludedRows Rent(int rows, ReadOnlySpan<int> excluded)
    {
        var set = t_free ?? new ExcludedRows();
        t_free = null;
        int words = (rows + 63) >> 6;
        if (set._bits.Length < words) set._bits = new ulong[words];
        if (set._marked.Length < excluded.Length) set._marked = new int[excluded.Length];
        int count = 0;
        foreach (int row in excluded)
        {
            if ((uint)row >= (uint)rows) continue;
            set._bits[row >> 6] |= 1UL << row;
            set._marked[count++] = row;
        }
        set._count = count;
        return set;
    }

    /// <summary>Clears the excluded rows' bits and keeps the bitset for the thread's next search.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _count; i++) _bits[_marked[i] >> 6] = 0;
        _count = 0;
        t_free = this;
    }
}
