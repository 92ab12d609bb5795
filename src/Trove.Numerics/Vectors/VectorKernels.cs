using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Trove.Numerics.Vectors;

/// <summary>
/// SIMD vector kernels (System.Numerics.Tensors / Vector&lt;T&gt;). Each has a plain scalar twin in
/// <see cref="ScalarKernels"/> that the tests compare against.
/// </summary>
public static class VectorKernels
{
    /// <summary>Sum of x[i] * y[i].</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => TensorPrimitives.Dot(x, y);

    /// <summary>y += alpha * x.</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.MultiplyAdd(x, alpha, y, y);

    /// <summary>y = alpha * x + beta * y.</summary>
    public static void ScaledAdd(float alpha, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        CheckLength(x, y);
        if (beta == 1f) { Axpy(alpha, x, y); return; }
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var va = new Vector<float>(alpha); var vb = new Vector<float>(beta);
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref float ry = ref MemoryMarshal.GetReference(y);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vx = Vector.LoadUnsafe(ref rx, (nuint)i);
                var vy = Vector.LoadUnsafe(ref ry, (nuint)i);
                (va * vx + vb * vy).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        for (; i < x.Length; i++) y[i] = alpha * x[i] + beta * y[i];
    }

    /// <summary>x *= alpha.</summary>
    public static void Scale(float alpha, Span<float> x) => TensorPrimitives.Multiply(x, alpha, x);

    /// <summary>
    /// A (n x n, row-major, full) += sum_j w[j] * r_j r_j^T, where r_j is row j of <paramref name="rows"/>
    /// (count x n). The inner kernel of ALS's exact solve: four rank-1 updates per pass over A.
    /// With <paramref name="upperOnly"/> only the upper triangle (columns &gt;= row) is updated: half the work.
    /// </summary>
    public static void AddWeightedOuterProducts(Span<float> a, int n, ReadOnlySpan<float> rows, ReadOnlySpan<float> weights, int count, bool upperOnly = false)
    {
        if (a.Length < n * n) throw new ArgumentException("a is smaller than n x n.");
        if (rows.Length < count * n || weights.Length < count) throw new ArgumentException("rows/weights shorter than count.");
        int j = 0;
        for (; j + 4 <= count; j += 4)
        {
            var r0 = rows.Slice(j * n, n); var r1 = rows.Slice((j + 1) * n, n);
            var r2 = rows.Slice((j + 2) * n, n); var r3 = rows.Slice((j + 3) * n, n);
            float w0 = weights[j], w1 = weights[j + 1], w2 = weights[j + 2], w3 = weights[j + 3];
            for (int r = 0; r < n; r++)
            {
                int c = upperOnly ? r : 0; // first column updated in row r
                Rank4Row(a.Slice(r * n + c, n - c), r0[c..], r1[c..], r2[c..], r3[c..], w0 * r0[r], w1 * r1[r], w2 * r2[r], w3 * r3[r]);
            }
        }
        for (; j < count; j++)
        {
            var rj = rows.Slice(j * n, n);
            float w = weights[j];
            for (int r = 0; r < n; r++)
            {
                int c = upperOnly ? r : 0;
                TensorPrimitives.MultiplyAdd(rj[c..], w * rj[r], a.Slice(r * n + c, n - c), a.Slice(r * n + c, n - c));
            }
        }
    }

    /// <summary>dst += c0 r0 + c1 r1 + c2 r2 + c3 r3 (rows at least as long as dst).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Rank4Row(Span<float> dst, ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, ReadOnlySpan<float> r2, ReadOnlySpan<float> r3,
        float c0, float c1, float c2, float c3)
    {
        int n = dst.Length, i = 0;
        ref float d = ref MemoryMarshal.GetReference(dst);
        ref float a0 = ref MemoryMarshal.GetReference(r0);
        ref float a1 = ref MemoryMarshal.GetReference(r1);
        ref float a2 = ref MemoryMarshal.GetReference(r2);
        ref float a3 = ref MemoryMarshal.GetReference(r3);
        if (Vector.IsHardwareAccelerated)
        {
            var v0 = new Vector<float>(c0); var v1 = new Vector<float>(c1);
            var v2 = new Vector<float>(c2); var v3 = new Vector<float>(c3);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var acc = Vector.LoadUnsafe(ref d, (nuint)i);
                acc = Vector.FusedMultiplyAdd(v0, Vector.LoadUnsafe(ref a0, (nuint)i), acc);
                acc = Vector.FusedMultiplyAdd(v1, Vector.LoadUnsafe(ref a1, (nuint)i), acc);
                acc = Vector.FusedMultiplyAdd(v2, Vector.LoadUnsafe(ref a2, (nuint)i), acc);
                acc = Vector.FusedMultiplyAdd(v3, Vector.LoadUnsafe(ref a3, (nuint)i), acc);
                acc.StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref d, i) += c0 * Unsafe.Add(ref a0, i) + c1 * Unsafe.Add(ref a1, i) + c2 * Unsafe.Add(ref a2, i) + c3 * Unsafe.Add(ref a3, i);
    }

    /// <summary>
    /// Dot product for short vectors (tens of elements) without the dispatch cost of
    /// TensorPrimitives: one Vector&lt;float&gt; accumulator and a scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotShort(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int n = x.Length, i = 0;
        if (y.Length < n) throw new ArgumentException("y shorter than x.");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref px, (nuint)i), Vector.LoadUnsafe(ref py, (nuint)i), acc);
            sum = Vector.Sum(acc);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref px, i) * Unsafe.Add(ref py, i);
        return sum;
    }

    /// <summary>
    /// y = A x for a symmetric n x n row-major A, computed as a combination of rows
    /// (y = sum_c x_c A[c, :]) with fused rank-4 passes: far fewer calls than n dot products.
    /// </summary>
    public static void MatVecSymmetric(ReadOnlySpan<float> a, int n, ReadOnlySpan<float> x, Span<float> y)
    {
        if (a.Length < n * n || x.Length < n || y.Length < n) throw new ArgumentException("MatVecSymmetric: spans too short.");
        y = y[..n];
        y.Clear();
        int c = 0;
        for (; c + 4 <= n; c += 4)
            Rank4Row(y, a.Slice(c * n, n), a.Slice((c + 1) * n, n), a.Slice((c + 2) * n, n), a.Slice((c + 3) * n, n), x[c], x[c + 1], x[c + 2], x[c + 3]);
        for (; c < n; c++) TensorPrimitives.MultiplyAdd(a.Slice(c * n, n), x[c], y, y);
    }

    /// <summary>
    /// y = A x for a row-major rows x n matrix A (one dot product per row). The dot products are
    /// inlined with Vector&lt;float&gt;: for the short rows of embedding tables (n = 32..128) a call
    /// per row costs more than the arithmetic (scoring 100k items x 64 factors went 1.4 -> 0.3 ms).
    /// </summary>
    public static void MatVec(ReadOnlySpan<float> a, int rows, int n, ReadOnlySpan<float> x, Span<float> y)
    {
        if (a.Length < (long)rows * n || x.Length < n || y.Length < rows) throw new ArgumentException("MatVec: spans too short.");
        int width = Vector<float>.Count;
        int whole = n - n % width;
        var xVectors = MemoryMarshal.Cast<float, Vector<float>>(x[..whole]);
        for (int r = 0; r < rows; r++)
        {
            var row = a.Slice(r * n, n);
            var rowVectors = MemoryMarshal.Cast<float, Vector<float>>(row[..whole]);
            var sum = Vector<float>.Zero;
            for (int v = 0; v < rowVectors.Length; v++) sum = Vector.FusedMultiplyAdd(rowVectors[v], xVectors[v], sum);
            float total = Vector.Sum(sum);
            for (int i = whole; i < n; i++) total += row[i] * x[i];
            y[r] = total;
        }
    }

    private static void CheckLength(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) throw new ArgumentException($"Vectors differ in length ({x.Length} vs {y.Length}).");
    }
}

/// <summary>Plain loops with the same meaning as <see cref="VectorKernels"/>: the reference the tests use.</summary>
public static class ScalarKernels
{
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += (double)x[i] * y[i];
        return (float)s;
    }

    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += alpha * x[i];
    }

    public static void ScaledAdd(float alpha, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = alpha * x[i] + beta * y[i];
    }

    public static void Scale(float alpha, Span<float> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= alpha;
    }

    public static void AddWeightedOuterProducts(Span<float> a, int n, ReadOnlySpan<float> rows, ReadOnlySpan<float> weights, int count)
    {
        for (int j = 0; j < count; j++)
            for (int r = 0; r < n; r++)
                for (int c = 0; c < n; c++)
                    a[r * n + c] += weights[j] * rows[j * n + r] * rows[j * n + c];
    }

    public static void MatVec(ReadOnlySpan<float> a, int rows, int n, ReadOnlySpan<float> x, Span<float> y)
    {
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int c = 0; c < n; c++) s += (double)a[r * n + c] * x[c];
            y[r] = (float)s;
        }
    }

    /// <summary>C = A B for row-major A (m x k), B (k x n).</summary>
    public static void Gemm(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)a[i * k + p] * b[p * n + j];
                c[i * n + j] = (float)s;
            }
    }

    /// <summary>Top-k by full sort (higher score first, ties by lower index), skipping NaN and -inf.</summary>
    public static int[] TopK(ReadOnlySpan<float> scores, int k)
    {
        var idx = new List<int>();
        for (int i = 0; i < scores.Length; i++) if (scores[i] > float.NegativeInfinity) idx.Add(i);
        var arr = scores.ToArray();
        idx.Sort((x, y) => arr[x] != arr[y] ? arr[y].CompareTo(arr[x]) : x.CompareTo(y));
        return idx.Take(k).ToArray();
    }
}
