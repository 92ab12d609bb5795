namespace Trove.Numerics.Sparse;

/// <summary>
/// Where the rows of a <see cref="CsrMatrix"/> lie in its storage. One .NET array holds at most
/// <see cref="Array.MaxLength"/> elements, so a matrix with more stored entries keeps them in several
/// chunks: rows are packed in order, a chunk is closed when the next row would not fit, and a row is
/// never split, so every row is still one contiguous span. Global entry offsets (row pointers) are 64-bit.
/// </summary>
public sealed class CsrChunkLayout
{
    /// <summary>The most entries a chunk holds by default: the longest .NET array.</summary>
    public static long DefaultCapacity => Array.MaxLength;

    // Chunk c holds rows [_firstRow[c], _firstRow[c + 1]) and global entries [_start[c], _start[c + 1]).
    private readonly int[] _firstRow;
    private readonly long[] _start;

    private CsrChunkLayout(long capacity, int[] firstRow, long[] start)
    {
        Capacity = capacity; _firstRow = firstRow; _start = start;
    }

    /// <summary>The most entries one chunk may hold.</summary>
    public long Capacity { get; }

    /// <summary>Number of chunks (1 for every matrix of at most <see cref="Capacity"/> entries, including the empty one).</summary>
    public int ChunkCount => _firstRow.Length - 1;

    /// <summary>Total stored entries over all chunks.</summary>
    public long NonZeros => _start[^1];

    /// <summary>Global offset of the first entry of chunk <paramref name="chunk"/>.</summary>
    public long ChunkStart(int chunk) => _start[chunk];

    /// <summary>Entries in chunk <paramref name="chunk"/> (at most <see cref="Capacity"/>, so an int).</summary>
    public int ChunkLength(int chunk) => (int)(_start[chunk + 1] - _start[chunk]);

    /// <summary>The first row of chunk <paramref name="chunk"/>.</summary>
    public int FirstRow(int chunk) => _firstRow[chunk];

    /// <summary>
    /// Packs rows with the given 64-bit <paramref name="rowPointers"/> (row r spans [p[r], p[r+1]))
    /// into chunks of at most <paramref name="capacity"/> entries. Pointers must start at 0 and not decrease;
    /// a single row longer than a chunk is an error (a row holds at most one entry per column, and columns are ints).
    /// </summary>
    public static CsrChunkLayout Plan(ReadOnlySpan<long> rowPointers, long capacity)
    {
        if (rowPointers.Length == 0) throw new ArgumentException("rowPointers needs rows + 1 entries, got none.", nameof(rowPointers));
        if (capacity < 1 || capacity > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(capacity), $"chunk capacity {capacity} outside [1, {Array.MaxLength}].");
        if (rowPointers[0] != 0) throw new ArgumentException($"rowPointers[0] must be 0, got {rowPointers[0]}.", nameof(rowPointers));
        int rows = rowPointers.Length - 1;
        var firstRow = new List<int> { 0 };
        var start = new List<long> { 0 };
        long chunkStart = 0;
        for (int r = 0; r < rows; r++)
        {
            long begin = rowPointers[r], end = rowPointers[r + 1];
            if (end < begin) throw new ArgumentException($"rowPointers decrease at row {r} ({begin} then {end}).", nameof(rowPointers));
            if (end - begin > capacity)
                throw new ArgumentException($"row {r} has {end - begin:N0} entries, more than one storage chunk holds ({capacity:N0}).", nameof(rowPointers));
            if (end - chunkStart > capacity)
            {
                firstRow.Add(r); start.Add(begin); chunkStart = begin;
            }
        }
        firstRow.Add(rows); start.Add(rowPointers[rows]);
        return new CsrChunkLayout(capacity, firstRow.ToArray(), start.ToArray());
    }

    /// <summary>The chunk that holds row <paramref name="row"/>.</summary>
    public int ChunkOfRow(int row)
    {
        if (_firstRow.Length == 2) return 0;
        // Largest c with _firstRow[c] <= row; chunks are few, the search is a handful of steps.
        int lo = 0, hi = _firstRow.Length - 2;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (_firstRow[mid] <= row) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>The chunk holding global entry <paramref name="offset"/> and the entry's position inside that chunk.</summary>
    public (int Chunk, int Offset) Locate(long offset)
    {
        if ((ulong)offset >= (ulong)NonZeros) throw new ArgumentOutOfRangeException(nameof(offset), $"entry {offset} outside [0, {NonZeros}).");
        int lo = 0, hi = _start.Length - 2;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (_start[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        // Empty chunks cannot occur (a chunk is only opened by a row that has entries), so this chunk holds the offset.
        return (lo, (int)(offset - _start[lo]));
    }

    /// <summary>
    /// The row that holds global entry <paramref name="offset"/>: the last row r with p[r] &lt;= offset &lt; p[r+1]
    /// (binary search, so empty rows are skipped).
    /// </summary>
    public static int RowOfEntry(ReadOnlySpan<long> rowPointers, long offset)
    {
        int rows = rowPointers.Length - 1;
        if (rows < 0 || offset < 0 || offset >= rowPointers[rows])
            throw new ArgumentOutOfRangeException(nameof(offset), $"entry {offset} outside [0, {(rows < 0 ? 0 : rowPointers[rows])}).");
        int lo = 0, hi = rows - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (rowPointers[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>
    /// 64-bit row pointers from row lengths: p[0] = 0, p[r+1] = p[r] + length[r]. Sums past 2^31 are exact;
    /// a negative length is an error.
    /// </summary>
    public static long[] RowPointersFromLengths(ReadOnlySpan<int> rowLengths)
    {
        var pointers = new long[rowLengths.Length + 1];
        for (int r = 0; r < rowLengths.Length; r++)
        {
            if (rowLengths[r] < 0) throw new ArgumentException($"row {r} has a negative length ({rowLengths[r]}).", nameof(rowLengths));
            pointers[r + 1] = pointers[r] + rowLengths[r];
        }
        return pointers;
    }
}
