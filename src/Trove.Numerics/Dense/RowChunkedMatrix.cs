using System.Runtime.CompilerServices;
using Trove.Numerics.Vectors;

namespace Trove.Numerics.Dense;

/// <summary>
/// A dense, row-major rows x columns matrix of floats (e.g. the user or item factors of ALS and BPR) kept in
/// row-aligned chunks. One .NET array holds at most <see cref="Array.MaxLength"/> elements (33,554,431 rows of 64
/// floats), so a larger matrix is split: chunk c holds rows [c * <see cref="RowsPerChunk"/>, (c + 1) * RowsPerChunk),
/// a row is never split, and <see cref="Row"/> is always one contiguous span. A matrix that fits one array is one
/// chunk, so the common case costs one extra branch per row access. Offsets past 2^31 are never formed: a row's
/// place is (chunk, offset inside the chunk), both ints.
/// </summary>
public sealed class RowChunkedMatrix
{
    /// <summary>The most floats a chunk holds by default: the longest .NET array.</summary>
    public static long DefaultCapacity => Array.MaxLength;

    private readonly float[][] _chunks;
    // The only chunk when there is one: the row offset is then row * Columns, without a division.
    private readonly float[]? _single;

    /// <summary>A zero matrix of <paramref name="rows"/> x <paramref name="columns"/> in chunks of at most <paramref name="chunkCapacity"/> floats.</summary>
    public RowChunkedMatrix(int rows, int columns, long chunkCapacity)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"rows must be non-negative, got {rows}.");
        RowsPerChunk = RowsPerChunkFor(columns, chunkCapacity);
        Rows = rows; Columns = columns; ChunkCapacity = chunkCapacity;
        int count = ChunkCountFor(rows, columns, chunkCapacity);
        _chunks = new float[count][];
        for (int c = 0; c < count; c++) _chunks[c] = new float[(long)RowsInChunk(c) * columns];
        if (count == 1) _single = _chunks[0];
    }

    /// <summary>A zero matrix in chunks of at most <see cref="DefaultCapacity"/> floats (one chunk whenever it fits one array).</summary>
    public RowChunkedMatrix(int rows, int columns) : this(rows, columns, DefaultCapacity) { }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Floats per row.</summary>
    public int Columns { get; }

    /// <summary>The most floats one chunk may hold.</summary>
    public long ChunkCapacity { get; }

    /// <summary>Rows in every chunk but the last (which may hold fewer).</summary>
    public int RowsPerChunk { get; }

    /// <summary>Number of chunks (1 for every matrix that fits one array, including the empty one).</summary>
    public int ChunkCount => _chunks.Length;

    /// <summary>Rows x columns, in 64-bit.</summary>
    public long Length => (long)Rows * Columns;

    /// <summary>
    /// How many whole rows of <paramref name="columns"/> floats fit in a chunk of <paramref name="capacity"/> floats
    /// (capacity / columns, at most int.MaxValue). A row longer than a chunk is an error.
    /// </summary>
    public static int RowsPerChunkFor(int columns, long capacity)
    {
        if (capacity < 1 || capacity > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(capacity), $"chunk capacity {capacity} outside [1, {Array.MaxLength}].");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), $"columns must be at least 1, got {columns}.");
        if (columns > capacity) throw new ArgumentException($"a row of {columns:N0} floats is longer than one storage chunk ({capacity:N0}).", nameof(columns));
        return (int)Math.Min(int.MaxValue, capacity / columns);
    }

    /// <summary>Chunks needed for <paramref name="rows"/> rows (at least 1, so an empty matrix has one empty chunk).</summary>
    public static int ChunkCountFor(int rows, int columns, long capacity)
    {
        long perChunk = RowsPerChunkFor(columns, capacity);
        return (int)Math.Max(1, (rows + perChunk - 1) / perChunk);
    }

    /// <summary>The chunk that holds <paramref name="row"/> and the offset of the row's first float inside it.</summary>
    public static (int Chunk, int Offset) Locate(int row, int columns, long capacity)
    {
        if (row < 0) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is negative.");
        int perChunk = RowsPerChunkFor(columns, capacity);
        // (row % perChunk) * columns < perChunk * columns <= capacity <= Array.MaxLength: no int overflow.
        return (row / perChunk, row % perChunk * columns);
    }

    /// <summary>Row <paramref name="row"/> (a view into the matrix; writes go to the matrix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Row(int row)
    {
        if (_single is not null) return _single.AsSpan(row * Columns, Columns);
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} outside [0, {Rows}).");
        return _chunks[row / RowsPerChunk].AsSpan(row % RowsPerChunk * Columns, Columns);
    }

    /// <summary>The floats of chunk <paramref name="chunk"/>: rows <see cref="FirstRowOfChunk"/> .. + <see cref="RowsInChunk"/>, row-major.</summary>
    public Span<float> Chunk(int chunk) => _chunks[chunk];

    /// <summary>The first row of chunk <paramref name="chunk"/>.</summary>
    public int FirstRowOfChunk(int chunk) => chunk * RowsPerChunk;

    /// <summary>The rows chunk <paramref name="chunk"/> holds.</summary>
    public int RowsInChunk(int chunk) => (int)Math.Min(RowsPerChunk, (long)Rows - (long)chunk * RowsPerChunk);

    /// <summary>The matrix as one row-major array (only while it fits one; larger matrices are read by <see cref="Row"/> or <see cref="Chunk"/>).</summary>
    public float[] ToArray()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"{Rows:N0} x {Columns} = {Length:N0} floats do not fit one array ({Array.MaxLength:N0}).");
        if (_single is not null) return (float[])_single.Clone();
        var all = new float[Length];
        for (int c = 0; c < ChunkCount; c++) _chunks[c].CopyTo(all, (long)FirstRowOfChunk(c) * Columns);
        return all;
    }

    /// <summary>A copy with the same shape and chunk capacity.</summary>
    public RowChunkedMatrix Clone()
    {
        var copy = new RowChunkedMatrix(Rows, Columns, ChunkCapacity);
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>Overwrites every value with those of <paramref name="source"/>, which must have the same rows and columns (its chunking may differ).</summary>
    public void CopyFrom(RowChunkedMatrix source)
    {
        if (source.Rows != Rows || source.Columns != Columns)
            throw new ArgumentException($"a {source.Rows} x {source.Columns} matrix cannot be copied into a {Rows} x {Columns} one.", nameof(source));
        if (source.ChunkCapacity == ChunkCapacity)
            for (int c = 0; c < ChunkCount; c++) source._chunks[c].CopyTo(_chunks[c], 0);
        else
            for (int r = 0; r < Rows; r++) source.Row(r).CopyTo(Row(r));
    }

    /// <summary>y = A x: the dot product of every row with <paramref name="x"/> (<see cref="VectorKernels.MatVec"/> chunk by chunk).</summary>
    public void MultiplyVector(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != Columns) throw new ArgumentException($"the vector has {x.Length} values, the matrix {Columns} columns.", nameof(x));
        if (y.Length < Rows) throw new ArgumentException($"the result holds {y.Length} values, the matrix has {Rows} rows.", nameof(y));
        for (int c = 0; c < ChunkCount; c++)
            VectorKernels.MatVec(_chunks[c], RowsInChunk(c), Columns, x, y.Slice(FirstRowOfChunk(c), RowsInChunk(c)));
    }

    /// <summary>
    /// The Gram matrix G = A^T A (columns x columns, full symmetric) on the dense backend in use. With several chunks
    /// the chunks' products are summed, so the result can differ from the one-chunk product in the last bits.
    /// </summary>
    public void Gram(Span<float> g)
    {
        if (g.Length < (long)Columns * Columns) throw new ArgumentException($"the Gram matrix needs {Columns} x {Columns} floats, got {g.Length}.", nameof(g));
        if (Rows == 0) { g[..(Columns * Columns)].Clear(); return; }
        if (_single is not null) { Blas.Gram(_single, Rows, Columns, g); return; }
        for (int c = 0; c < ChunkCount; c++)
            Blas.Syrk(true, true, Columns, RowsInChunk(c), 1f, _chunks[c], Columns, c == 0 ? 0f : 1f, g, Columns);
        Symmetric.CopyUpperToLower(g, Columns);
    }
}
