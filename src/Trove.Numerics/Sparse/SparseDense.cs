using System.Numerics.Tensors;

namespace Trove.Numerics.Sparse;

/// <summary>Products of a CSR matrix with dense row-major matrices and vectors.</summary>
public static class SparseDense
{
    /// <summary>dest (length bCols) = row <paramref name="row"/> of A times B (A.Columns x bCols).</summary>
    public static void MultiplyRow(CsrMatrix a, int row, ReadOnlySpan<float> b, int bCols, Span<float> dest)
    {
        dest[..bCols].Clear();
        var idx = a.RowIndices(row); var val = a.RowValues(row);
        for (int k = 0; k < idx.Length; k++)
            TensorPrimitives.MultiplyAdd(b.Slice(idx[k] * bCols, bCols), val[k], dest[..bCols], dest[..bCols]);
    }

    /// <summary>C (A.Rows x bCols) = A B where B is A.Columns x bCols, rows split over <paramref name="threads"/>.</summary>
    public static void Multiply(CsrMatrix a, float[] b, int bCols, float[] c, int threads = 1)
    {
        Check(b.Length, (long)a.Columns * bCols, "B"); Check(c.Length, (long)a.Rows * bCols, "C");
        if (threads <= 1 || a.Rows < 64)
        {
            for (int r = 0; r < a.Rows; r++) MultiplyRow(a, r, b, bCols, c.AsSpan(r * bCols, bCols));
            return;
        }
        Parallel.For(0, a.Rows, new ParallelOptions { MaxDegreeOfParallelism = threads },
            r => MultiplyRow(a, r, b, bCols, c.AsSpan(r * bCols, bCols)));
    }

    /// <summary>C (A.Columns x bCols) = A^T B where B is A.Rows x bCols (serial scatter).</summary>
    public static void TransposeMultiply(CsrMatrix a, ReadOnlySpan<float> b, int bCols, Span<float> c)
    {
        Check(b.Length, (long)a.Rows * bCols, "B"); Check(c.Length, (long)a.Columns * bCols, "C");
        c[..(a.Columns * bCols)].Clear();
        for (int r = 0; r < a.Rows; r++)
        {
            var br = b.Slice(r * bCols, bCols);
            var idx = a.RowIndices(r); var val = a.RowValues(r);
            for (int k = 0; k < idx.Length; k++)
            {
                var cr = c.Slice(idx[k] * bCols, bCols);
                TensorPrimitives.MultiplyAdd(br, val[k], cr, cr);
            }
        }
    }

    /// <summary>y (A.Rows) = A x (x has A.Columns entries).</summary>
    public static void MultiplyVector(CsrMatrix a, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int r = 0; r < a.Rows; r++)
        {
            var idx = a.RowIndices(r); var val = a.RowValues(r);
            float s = 0;
            for (int k = 0; k < idx.Length; k++) s += val[k] * x[idx[k]];
            y[r] = s;
        }
    }

    /// <summary>Reference: A as a dense row-major Rows x Columns array.</summary>
    public static float[] ToDense(CsrMatrix a)
    {
        var d = new float[(long)a.Rows * a.Columns];
        for (int r = 0; r < a.Rows; r++)
        {
            var idx = a.RowIndices(r); var val = a.RowValues(r);
            for (int k = 0; k < idx.Length; k++) d[(long)r * a.Columns + idx[k]] = val[k];
        }
        return d;
    }

    private static void Check(long have, long need, string name)
    {
        if (have < need) throw new ArgumentException($"{name} has {have} floats, needs {need}.");
    }
}
