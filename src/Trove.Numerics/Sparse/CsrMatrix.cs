namespace Trove.Numerics.Sparse;

/// <summary>
/// Compressed sparse row matrix of float values. Rows are users (or items for the transpose),
/// column indices within a row are sorted ascending and unique.
/// </summary>
public sealed class CsrMatrix
{
    public int Rows { get; }
    public int Columns { get; }
    /// <summary>Row r occupies [RowPointers[r], RowPointers[r+1]) of <see cref="ColumnIndices"/> and <see cref="Values"/>.</summary>
    public int[] RowPointers { get; }
    public int[] ColumnIndices { get; }
    public float[] Values { get; }

    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
    {
        if (rowPointers.Length != rows + 1) throw new ArgumentException($"rowPointers must have {rows + 1} entries, got {rowPointers.Length}.");
        if (columnIndices.Length != values.Length) throw new ArgumentException("columnIndices and values differ in length.");
        if (rowPointers[rows] != values.Length) throw new ArgumentException("rowPointers[rows] must equal the number of stored values.");
        Rows = rows; Columns = columns; RowPointers = rowPointers; ColumnIndices = columnIndices; Values = values;
    }

    public int NonZeros => Values.Length;
    public double Density => Rows == 0 || Columns == 0 ? 0 : (double)NonZeros / ((double)Rows * Columns);

    public ReadOnlySpan<int> RowIndices(int row) => ColumnIndices.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);
    public int RowLength(int row) => RowPointers[row + 1] - RowPointers[row];

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
            return at >= 0 ? Values[RowPointers[row] + at] : 0f;
        }
    }

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
        var outPtr = new int[rows + 1];
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

    /// <summary>The transpose, also in CSR form (equivalently this matrix in CSC form).</summary>
    public CsrMatrix Transpose()
    {
        var ptr = new int[Columns + 1];
        foreach (int c in ColumnIndices) ptr[c + 1]++;
        for (int c = 0; c < Columns; c++) ptr[c + 1] += ptr[c];
        var next = (int[])ptr.Clone();
        var idx = new int[NonZeros];
        var vals = new float[NonZeros];
        for (int r = 0; r < Rows; r++)
        {
            for (int k = RowPointers[r]; k < RowPointers[r + 1]; k++)
            {
                int at = next[ColumnIndices[k]]++;
                idx[at] = r;
                vals[at] = Values[k];
            }
        }
        return new CsrMatrix(Columns, Rows, ptr, idx, vals);
    }

    /// <summary>Same sparsity pattern with every stored value replaced by <paramref name="map"/>(value).</summary>
    public CsrMatrix MapValues(Func<float, float> map)
    {
        var vals = new float[NonZeros];
        for (int i = 0; i < vals.Length; i++) vals[i] = map(Values[i]);
        return new CsrMatrix(Rows, Columns, RowPointers, ColumnIndices, vals);
    }

    /// <summary>Number of stored entries per column.</summary>
    public int[] ColumnCounts()
    {
        var counts = new int[Columns];
        foreach (int c in ColumnIndices) counts[c]++;
        return counts;
    }
}

public enum DuplicatePolicy { Sum, Max, Last, First }
