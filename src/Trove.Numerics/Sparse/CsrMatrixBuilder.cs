namespace Trove.Numerics.Sparse;

/// <summary>
/// Builds a <see cref="CsrMatrix"/> row by row when its row lengths are known first (e.g. counted in a pass over a
/// store), so a matrix of more than 2^31 entries can be filled without one coordinate array that could not exist.
/// Storage is allocated uninitialised: every row must be written through <see cref="RowIndices"/> (sorted, unique
/// columns) and <see cref="RowValues"/> before <see cref="Build"/>.
/// </summary>
public sealed class CsrMatrixBuilder
{
    private readonly int _rows, _columns;
    private readonly long[] _rowPointers;
    private int[][]? _indices;
    private float[][]? _values;

    /// <summary>Storage for <paramref name="rows"/> x <paramref name="columns"/> with the given 64-bit row pointers (see <see cref="CsrChunkLayout.RowPointersFromLengths"/>).</summary>
    public CsrMatrixBuilder(int rows, int columns, long[] rowPointers) : this(rows, columns, rowPointers, CsrChunkLayout.DefaultCapacity) { }

    /// <summary>As the other constructor, with at most <paramref name="chunkCapacity"/> entries per storage chunk (small chunks exercise the multi-chunk paths in tests).</summary>
    public CsrMatrixBuilder(int rows, int columns, long[] rowPointers, long chunkCapacity)
    {
        if (rows < 0 || columns < 0) throw new ArgumentException($"shape {rows} x {columns} is negative.");
        if (rowPointers.Length != rows + 1) throw new ArgumentException($"rowPointers must have {rows + 1} entries, got {rowPointers.Length}.");
        _rows = rows; _columns = columns; _rowPointers = rowPointers;
        Layout = CsrChunkLayout.Plan(rowPointers, chunkCapacity);
        _indices = new int[Layout.ChunkCount][];
        _values = new float[Layout.ChunkCount][];
        for (int c = 0; c < Layout.ChunkCount; c++)
        {
            _indices[c] = GC.AllocateUninitializedArray<int>(Layout.ChunkLength(c));
            _values[c] = GC.AllocateUninitializedArray<float>(Layout.ChunkLength(c));
        }
    }

    /// <summary>The chunks the entries will be stored in.</summary>
    public CsrChunkLayout Layout { get; }

    /// <summary>Where to write row <paramref name="row"/>'s sorted column indices.</summary>
    public Span<int> RowIndices(int row) => RowSpan(Indices, row);

    /// <summary>Where to write row <paramref name="row"/>'s values, aligned with <see cref="RowIndices"/>.</summary>
    public Span<float> RowValues(int row) => RowSpan(Values, row);

    /// <summary>All column indices of chunk <paramref name="chunk"/> (rows <see cref="CsrChunkLayout.FirstRow"/> onwards, in order), to fill a chunk in one read.</summary>
    public Span<int> IndexChunk(int chunk) => Indices[chunk];
    /// <summary>All values of chunk <paramref name="chunk"/>, aligned with <see cref="IndexChunk"/>.</summary>
    public Span<float> ValueChunk(int chunk) => Values[chunk];

    internal int[] IndexStorage(int chunk) => Indices[chunk];
    internal float[] ValueStorage(int chunk) => Values[chunk];

    private int[][] Indices => _indices ?? throw new InvalidOperationException("The matrix was already built.");
    private float[][] Values => _values ?? throw new InvalidOperationException("The matrix was already built.");

    private Span<T> RowSpan<T>(T[][] storage, int row)
    {
        if ((uint)row >= (uint)_rows) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} outside [0,{_rows}).");
        long start = _rowPointers[row];
        int chunk = Layout.ChunkOfRow(row);
        return storage[chunk].AsSpan((int)(start - Layout.ChunkStart(chunk)), (int)(_rowPointers[row + 1] - start));
    }

    /// <summary>The matrix over the written storage; the builder cannot be used afterwards.</summary>
    public CsrMatrix Build()
    {
        var matrix = new CsrMatrix(_rows, _columns, _rowPointers, Layout, Indices, Values);
        _indices = null; _values = null;
        return matrix;
    }
}
