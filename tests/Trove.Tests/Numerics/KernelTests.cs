using Trove.Numerics.Dense;
using Trove.Numerics.Native;
using Trove.Numerics.Selection;
using Trove.Numerics.Sparse;
using Trove.Numerics.Vectors;

namespace Trove.Tests.Numerics;

public class KernelTests
{
    internal static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    internal static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])), $"at {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(0)] [InlineData(1)] [InlineData(7)] [InlineData(64)] [InlineData(1001)]
    public void Dot_axpy_scaledadd_scale_match_scalar(int n)
    {
        var x = Random(n, 1); var y = Random(n, 2);
        Assert.Equal(ScalarKernels.Dot(x, y), VectorKernels.Dot(x, y), 3);

        var y1 = (float[])y.Clone(); var y2 = (float[])y.Clone();
        VectorKernels.Axpy(0.37f, x, y1); ScalarKernels.Axpy(0.37f, x, y2); Close(y2, y1);

        y1 = (float[])y.Clone(); y2 = (float[])y.Clone();
        VectorKernels.ScaledAdd(1.5f, x, -0.25f, y1); ScalarKernels.ScaledAdd(1.5f, x, -0.25f, y2); Close(y2, y1);

        y1 = (float[])y.Clone(); y2 = (float[])y.Clone();
        VectorKernels.Scale(3f, y1); ScalarKernels.Scale(3f, y2); Close(y2, y1);
    }

    [Theory]
    [InlineData(8, 1)] [InlineData(13, 7)] [InlineData(64, 9)] [InlineData(32, 0)]
    public void Weighted_outer_products_match_scalar(int n, int count)
    {
        var rows = Random(n * count, 3); var w = Random(count, 4);
        var a1 = Random(n * n, 5); var a2 = (float[])a1.Clone();
        VectorKernels.AddWeightedOuterProducts(a1, n, rows, w, count);
        ScalarKernels.AddWeightedOuterProducts(a2, n, rows, w, count);
        Close(a2, a1);

        var a3 = Random(n * n, 5);
        VectorKernels.AddWeightedOuterProducts(a3, n, rows, w, count, upperOnly: true);
        var lower = Random(n * n, 5);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                Assert.Equal(c >= r ? a2[r * n + c] : lower[r * n + c], a3[r * n + c], 3);
    }

    [Fact]
    public void MatVec_matches_scalar()
    {
        var a = Random(37 * 19, 6); var x = Random(19, 7);
        var y1 = new float[37]; var y2 = new float[37];
        VectorKernels.MatVec(a, 37, 19, x, y1); ScalarKernels.MatVec(a, 37, 19, x, y2);
        Close(y2, y1);
        foreach (int n in new[] { 1, 5, 8, 64, 67 })
        {
            var s = CholeskyTests.Spd(n, n); var v = Random(n, 8);
            var r1 = new float[n]; var r2 = new float[n];
            VectorKernels.MatVecSymmetric(s, n, v, r1); ScalarKernels.MatVec(s, n, n, v, r2);
            Close(r2, r1, 1e-3f);
            Assert.Equal(ScalarKernels.Dot(v, r2), VectorKernels.DotShort(v, r2), 1);
        }
    }

    [Fact]
    public void TopK_matches_full_sort()
    {
        var s = Random(5000, 8);
        for (int i = 0; i < 200; i++) s[i * 7] = 0.5f; // ties
        s[3] = float.NegativeInfinity; s[4] = float.NaN;
        foreach (int k in new[] { 1, 10, 100, 5000 })
        {
            var (idx, _) = TopK.Select(s, k);
            Assert.Equal(ScalarKernels.TopK(s, k), idx);
        }
    }

    [Fact]
    public void TopK_breaks_ties_by_index_when_whole_vectors_are_skipped()
    {
        // Few distinct values: the k-th best is tied with many later items, which must not displace it;
        // NaN and -inf between them; a length that is not a multiple of the SIMD width.
        var s = Enumerable.Range(0, 1003).Select(i => (float)((i * 7919) % 13)).ToArray();
        for (int i = 5; i < s.Length; i += 17) s[i] = float.NaN;
        for (int i = 9; i < s.Length; i += 23) s[i] = float.NegativeInfinity;
        foreach (int k in new[] { 1, 7, 10, 50, 77, 1003 })
            Assert.Equal(ScalarKernels.TopK(s, k), TopK.Select(s, k).Indices);
    }

    [Theory]
    [InlineData(false, false)] [InlineData(true, false)] [InlineData(false, true)] [InlineData(true, true)]
    public void Sgemm_matches_scalar(bool ta, bool tb)
    {
        int m = 23, n = 17, k = 31;
        var a = Random(m * k, 9); var b = Random(k * n, 10);
        // Build the stored (possibly transposed) operands.
        var aStored = ta ? Transpose(a, m, k) : a; var bStored = tb ? Transpose(b, k, n) : b;
        var c = Random(m * n, 11); var expected = new float[m * n];
        ScalarKernels.Gemm(m, n, k, a, b, expected);
        for (int i = 0; i < expected.Length; i++) expected[i] = 2f * expected[i] + 0.5f * c[i];
        Blas.Gemm(ta, tb, m, n, k, 2f, aStored, ta ? m : k, bStored, tb ? k : n, 0.5f, c, n);
        Close(expected, c, 1e-4f);
    }

    [Fact]
    public void Sgemv_and_gram_match_scalar()
    {
        int m = 40, n = 12;
        var a = Random(m * n, 12); var x = Random(n, 13);
        var y = new float[m]; var yRef = new float[m];
        Blas.Gemv(false, m, n, 1f, a, n, x, 0f, y);
        ScalarKernels.MatVec(a, m, n, x, yRef);
        Close(yRef, y);

        var g = new float[n * n]; var gRef = new float[n * n];
        Blas.Gram(a, m, n, g);
        ScalarKernels.Gemm(n, n, m, Transpose(a, m, n), a, gRef);
        Close(gRef, g);
    }

    [Fact]
    public void Gemm_rejects_short_buffers()
    {
        Assert.Throws<ArgumentException>(() => Blas.Gemm(4, 4, 4, new float[15], new float[16], new float[16]));
    }

    [Fact]
    public void Missing_library_message_names_the_packages()
    {
        var e = Assert.Throws<NativeLibraryMissingException>(() => NativeLibraries.Ensure("libdoesnotexist-trove.so.9"));
        Assert.Contains("apt-get install libopenblas0-pthread liblapacke", e.Message);
        Assert.Contains("libdoesnotexist-trove.so.9", e.Message);
    }

    [Fact]
    public void OpenBlas_threads_can_be_set()
    {
        int before = Blas.Threads;
        Blas.SetThreads(1);
        Assert.Equal(1, Blas.Threads);
        Blas.SetThreads(before);
    }

    [Fact]
    public void Sparse_dense_products_match_dense_reference()
    {
        var rng = new Random(14);
        int rows = 50, cols = 30, k = 9;
        var ri = new List<int>(); var ci = new List<int>(); var v = new List<float>();
        for (int n = 0; n < 300; n++) { ri.Add(rng.Next(rows)); ci.Add(rng.Next(cols)); v.Add((float)rng.NextDouble()); }
        var a = CsrMatrix.FromCoordinates(rows, cols, ri.ToArray(), ci.ToArray(), v.ToArray());
        var dense = SparseDense.ToDense(a);
        var b = Random(cols * k, 15);
        var c = new float[rows * k]; var cRef = new float[rows * k];
        SparseDense.Multiply(a, b, k, c, threads: 2);
        ScalarKernels.Gemm(rows, k, cols, dense, b, cRef);
        Close(cRef, c);

        var b2 = Random(rows * k, 16);
        var ct = new float[cols * k]; var ctRef = new float[cols * k];
        SparseDense.TransposeMultiply(a, b2, k, ct);
        ScalarKernels.Gemm(cols, k, rows, Transpose(dense, rows, cols), b2, ctRef);
        Close(ctRef, ct);

        var x = Random(cols, 17); var y = new float[rows]; var yRef = new float[rows];
        SparseDense.MultiplyVector(a, x, y);
        ScalarKernels.MatVec(dense, rows, cols, x, yRef);
        Close(yRef, y);
    }

    internal static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
