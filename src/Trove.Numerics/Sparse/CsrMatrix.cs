namespace Trove.Numerics.Sparse;

/// <summary>
/// Compressed sparse row matrix of float values. Rows are users (or items for the transpose),
/// column indices within a row are sorted ascending and unique.
/// </summary>
/// <remarks>
/// Row pointers are 64-bit, so a matrix may hold more than 2^31 entries. The entries live in one or more
/// storage chunks (<see cref="Layout"/>; one chunk up to <see cref="Array.MaxLength"/> entries), each row
/// inside one chunk, so <see cref="RowIndices"/> and <see cref="RowValues"/> always return one span: loops
/// go row by row over those spans rather than by global entry offset.
/// </remarks>
public sealed class CsrMatrix
{
    private readonly long[] _rowPointers;
    private readonly int[][] _indices;
    private readonly float[][] _values;

    /// <summary>Number of rows.</summary>
    public int Rows { get; }
    /// <summary>Number of columns.</summary>
    public int Columns { get; }
    /// <summary>Row r occupies global entries [RowPointers[r], RowPointers[r+1]); 64-bit, so sums past 2^31 are exact. Do not modify.</summary>
    public long[] RowPointers => _rowPointers;
    /// <summary>How the entries are split into storage chunks.</summary>
    public CsrChunkLayout Layout { get; }

    /// <summary>A matrix over one array of column indices and one of values (at most <see cref="Array.MaxLength"/> entries).</summary>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
        : this(rows, columns, Widen(rowPointers), columnIndices, values) { }

    /// <summary>A matrix over one array of column indices and one of values, with 64-bit row pointers.</summary>
    public CsrMatrix(int rows, int columns, long[] rowPointers, int[] columnIndices, float[] values)
        : this(rows, columns, rowPointers, Check(rows, rowPointers, columnIndices, values), [columnIndices], [values]) { }

    internal CsrMatrix(int rows, int columns, long[] rowPointers, CsrChunkLayout layout, int[][] indices, float[][] values)
    {
        if (rows < 0 || columns < 0) throw new ArgumentException($"shape {rows} x {columns} is negative.");
        if (rowPointers.Length != rows + 1) throw new ArgumentException($"rowPointers must have {rows + 1} entries, got {rowPointers.Length}.");
        if (indices.Length != layout.ChunkCount || values.Length != layout.ChunkCount) throw new ArgumentException("one index and one value array per chunk.");
        for (int c = 0; c < layout.ChunkCount; c++)
            if (indices[c].Length != layout.ChunkLength(c) || values[c].Length != layout.ChunkLength(c))
                throw new ArgumentException($"chunk {c} must hold {layout.ChunkLength(c)} indices and values, got {indices[c].Length} and {values[c].Length}.");
        Rows = rows; Columns = columns; _rowPointers = rowPointers; Layout = layout; _indices = indices; _values = values;
    }

    private static long[] Widen(int[] pointers)
    {
        var wide = new long[pointers.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = pointers[i];
        return wide;
    }

    private static CsrChunkLayout Check(int rows, long[] rowPointers, int[] columnIndices, float[] values)
    {
        if (rowPointers.Length != rows + 1) throw new ArgumentException($"rowPointers must have {rows + 1} entries, got {rowPointers.Length}.");
        if (columnIndices.Length != values.Length) throw new ArgumentException("columnIndices and values differ in length.");
        if (rowPointers[rows] != values.Length) throw new ArgumentException("rowPointers[rows] must equal the number of stored values.");
        return CsrChunkLayout.Plan(rowPointers, CsrChunkLayout.DefaultCapacity);
    }

    /// <summary>Stored entries (64-bit: may pass 2^31).</summary>
    public long NonZeros => _rowPointers[Rows];
    /// <summary>Stored entries over rows x columns.</summary>
    public double Density => Rows == 0 || Columns == 0 ? 0 : (double)NonZeros / ((double)Rows * Columns);

    /// <summary>Column indices of chunk <paramref name="chunk"/>'s entries, rows <see cref="CsrChunkLayout.FirstRow"/> onwards in order (for whole-matrix passes such as counting or saving).</summary>
    public ReadOnlySpan<int> IndexChunk(int chunk) => _indices[chunk];
    /// <summary>Values of chunk <paramref name="chunk"/>'s entries, in the order of <see cref="IndexChunk"/>.</summary>
    public ReadOnlySpan<float> ValueChunk(int chunk) => _values[chunk];

    /// <summary>The sorted column indices of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> RowIndices(int row)
    {
        long start = _rowPointers[row];
        int length = (int)(_rowPointers[row + 1] - start);
        if (_indices.Length == 1) return new ReadOnlySpan<int>(_indices[0], (int)start, length);
        int chunk = Layout.ChunkOfRow(row);
        return new ReadOnlySpan<int>(_indices[chunk], (int)(start - Layout.ChunkStart(chunk)), length);
    }

    /// <summary>The values of row <paramref name="row"/>, aligned with <see cref="RowIndices"/>.</summary>
    public ReadOnlySpan<float> RowValues(int row)
    {
        long start = _rowPointers[row];
        int length = (int)(_rowPointers[row + 1] - start);
        if (_values.Length == 1) return new ReadOnlySpan<float>(_values[0], (int)start, length);
        int chunk = Layout.ChunkOfRow(row);
        return new ReadOnlySpan<float>(_values[chunk], (int)(start - Layout.ChunkStart(chunk)), length);
    }

    /// <summary>Entries stored in row <paramref name="row"/> (a row holds at most one per column, so an int).</summary>
    public int RowLength(int row) => (int)(_rowPointers[row + 1] - _rowPointers[row]);

    /// <summary>
    /// target += weight x row <paramref name="row"/>: the step of a sparse vector-matrix product x A that item-item models
    /// (rp3beta, sparse-ease, item-KNN) take once per history item when they score a history.
    /// </summary>
    public void AddScaledRow(int row, float weight, Span<float> target)
    {
        var idx = RowIndices(row); var val = RowValues(row);
        for (int t = 0; t < idx.Length; t++) target[idx[t]] += weight * val[t];
    }

    /// <summary>Value at (row, column), or 0 when not stored. Binary search within the row.</summary>
    public float this[int row, int column]
    {
        get
        {
            int at = RowIndices(row).BinarySearch(column);
            return at >= 0 ? RowValues(row)[at] : 0f;
        }
    }

    /// <summary>Whether (row, column) is stored.</summary>
    public bool Contains(int row, int column) => RowIndices(row).BinarySearch(column) >= 0;

    /// <summary>
    /// Builds a CSR matrix from coordinate triplets. Duplicate (row, column) pairs are combined
    /// by the duplicate policy (sum by default), so repeated events accumulate weight.
    /// </summary>
    public static CsrMatrix FromCoordinates(int rows, int columns, ReadOnlySpan<int> rowIdx, ReadOnlySpan<int> colIdx,
        ReadOnlySpan<float> values, DuplicatePolicy duplicates = DuplicatePolicy.Sum)
    {
        if (rowIdx.Length != colIdx.Length || rowIdx.Length != values.Length)
            throw new ArgumentException("Coordinate arrays differ in length.");
        // Spans hold fewer than 2^31 triplets, so int offsets are exact here; the result has 64-bit pointers like every matrix.
        int n = rowIdx.Length;
        var counts = new int[rows + 1];
        for (int i = 0; i < n; i++)
        {
            int r = rowIdx[i], c = colIdx[i];
            if ((uint)r >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(rowIdx), $"row {r} outside [0,{rows}).");
            if ((uint)c >= (uint)columns) throw new ArgumentOutOfRangeException(nameof(colIdx), $"column {c} outside [0,{columns}).");
            counts[r + 1]++;
        }
        for (int r = 0; r < rows; r++) counts[r + 1] += counts[r];
        var cols = new int[n];
        var vals = new float[n];
        var next = (int[])counts.Clone();
        for (int i = 0; i < n; i++)
        {
            int at = next[rowIdx[i]]++;
            cols[at] = colIdx[i];
            vals[at] = values[i];
        }
        // Sort each row by column and merge duplicates in place.
        var outPtr = new long[rows + 1];
        int write = 0;
        for (int r = 0; r < rows; r++)
        {
            int start = counts[r], end = counts[r + 1];
            Array.Sort(cols, vals, start, end - start);
            int rowStart = write;
            for (int i = start; i < end; i++)
            {
                if (write > rowStart && cols[write - 1] == cols[i])
                {
                    vals[write - 1] = duplicates switch
                    {
                        DuplicatePolicy.Sum => vals[write - 1] + vals[i],
                        DuplicatePolicy.Max => Math.Max(vals[write - 1], vals[i]),
                        DuplicatePolicy.Last => vals[i],
                        _ => vals[write - 1],
                    };
                }
                else
                {
                    cols[write] = cols[i];
                    vals[write] = vals[i];
                    write++;
                }
            }
            outPtr[r + 1] = write;
        }
        if (write != n)
        {
            Array.Resize(ref cols, write);
            Array.Resize(ref vals, write);
        }
        return new CsrMatrix(rows, columns, outPtr, cols, vals);
    }

    /// <summary>
    /// A <paramref name="columns"/>-column matrix from one array of sorted column indices and one of values per row
    /// (e.g. rows solved or selected in parallel). Row pointers are summed in 64 bits, so the total may pass 2^31
    /// (n rows x k neighbours for a large n).
    /// </summary>
    public static CsrMatrix FromRows(int columns, int[][] indices, float[][] values)
    {
        if (indices.Length != values.Length) throw new ArgumentException($"{indices.Length} index rows but {values.Length} value rows.");
        var pointers = new long[indices.Length + 1];
        for (int r = 0; r < indices.Length; r++)
        {
            if (indices[r].Length != values[r].Length) throw new ArgumentException($"row {r}: {indices[r].Length} indices but {values[r].Length} values.");
            pointers[r + 1] = pointers[r] + indices[r].Length;
        }
        var builder = new CsrMatrixBuilder(indices.Length, columns, pointers);
        for (int r = 0; r < indices.Length; r++)
        {
            indices[r].CopyTo(builder.RowIndices(r));
            values[r].CopyTo(builder.RowValues(r));
        }
        return builder.Build();
    }

    /// <summary>The transpose, also in CSR form (equivalently this matrix in CSC form), with chunks of the same capacity.</summary>
    public CsrMatrix Transpose()
    {
        var ptr = new long[Columns + 1];
        for (int chunk = 0; chunk < _indices.Length; chunk++)
            foreach (int c in _indices[chunk]) ptr[c + 1]++;
        for (int c = 0; c < Columns; c++) ptr[c + 1] += ptr[c];
        var builder = new CsrMatrixBuilder(Columns, Rows, ptr, Layout.Capacity);
        if (builder.Layout.ChunkCount == 1)
        {
            // One output chunk (every matrix below 2^31 entries): scatter straight into it.
            var next = new int[Columns];
            for (int c = 0; c < Columns; c++) next[c] = (int)ptr[c];
            var idx = builder.IndexStorage(0); var vals = builder.ValueStorage(0);
            for (int r = 0; r < Rows; r++)
            {
                var rowIdx = RowIndices(r); var rowVal = RowValues(r);
                for (int t = 0; t < rowIdx.Length; t++)
                {
                    int at = next[rowIdx[t]]++;
                    idx[at] = r;
                    vals[at] = rowVal[t];
                }
            }
        }
        else
        {
            // Each output row (a column here) lies in one chunk: remember which, and the write position inside it.
            var chunkOf = new int[Columns];
            var next = new int[Columns];
            var outIdx = new int[builder.Layout.ChunkCount][]; var outVal = new float[builder.Layout.ChunkCount][];
            for (int k = 0; k < outIdx.Length; k++) { outIdx[k] = builder.IndexStorage(k); outVal[k] = builder.ValueStorage(k); }
            for (int c = 0; c < Columns; c++)
            {
                chunkOf[c] = builder.Layout.ChunkOfRow(c);
                next[c] = (int)(ptr[c] - builder.Layout.ChunkStart(chunkOf[c]));
            }
            for (int r = 0; r < Rows; r++)
            {
                var rowIdx = RowIndices(r); var rowVal = RowValues(r);
                for (int t = 0; t < rowIdx.Length; t++)
                {
                    int c = rowIdx[t], at = next[c]++;
                    outIdx[chunkOf[c]][at] = r;
                    outVal[chunkOf[c]][at] = rowVal[t];
                }
            }
        }
        return builder.Build();
    }

    /// <summary>Same sparsity pattern with every stored value replaced by <paramref name="map"/>(value).</summary>
    public CsrMatrix MapValues(Func<float, float> map)
    {
        var values = new float[_values.Length][];
        for (int chunk = 0; chunk < values.Length; chunk++)
        {
            var source = _values[chunk];
            var mapped = values[chunk] = new float[source.Length];
            for (int i = 0; i < mapped.Length; i++) mapped[i] = map(source[i]);
        }
        return new CsrMatrix(Rows, Columns, _rowPointers, Layout, _indices, values);
    }

    /// <summary>
    /// Same sparsity pattern with new values, written row by row by <paramref name="fill"/>(row, indices, values to write);
    /// for per-row rescaling (IDF, centring, normalisation) without global entry offsets.
    /// </summary>
    public CsrMatrix WithRowValues(RowValuesWriter fill)
    {
        var values = new float[_values.Length][];
        for (int chunk = 0; chunk < values.Length; chunk++) values[chunk] = new float[_values[chunk].Length];
        for (int r = 0; r < Rows; r++)
        {
            long start = _rowPointers[r];
            int chunk = _values.Length == 1 ? 0 : Layout.ChunkOfRow(r);
            fill(r, RowIndices(r), RowValues(r), values[chunk].AsSpan((int)(start - Layout.ChunkStart(chunk)), RowLength(r)));
        }
        return new CsrMatrix(Rows, Columns, _rowPointers, Layout, _indices, values);
    }

    /// <summary>Number of stored entries per column.</summary>
    public int[] ColumnCounts()
    {
        var counts = new int[Columns];
        for (int chunk = 0; chunk < _indices.Length; chunk++)
            foreach (int c in _indices[chunk]) counts[c]++;
        return counts;
    }

    /// <summary>The same matrix stored in chunks of at most <paramref name="capacity"/> entries (tests use small chunks to run the multi-chunk paths).</summary>
    internal CsrMatrix Rechunk(long capacity)
    {
        var builder = new CsrMatrixBuilder(Rows, Columns, (long[])_rowPointers.Clone(), capacity);
        for (int r = 0; r < Rows; r++)
        {
            RowIndices(r).CopyTo(builder.RowIndices(r));
            RowValues(r).CopyTo(builder.RowValues(r));
        }
        return builder.Build();
    }
}

/// <summary>Writes the new values of one row: <paramref name="row"/>, its column indices and current values, and the span to fill.</summary>
public delegate void RowValuesWriter(int row, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> newValues);

/// <summary>How <see cref="CsrMatrix.FromCoordinates"/> combines repeated (row, column) pairs.</summary>
public enum DuplicatePolicy { Sum, Max, Last, First }
