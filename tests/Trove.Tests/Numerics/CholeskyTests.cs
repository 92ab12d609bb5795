using Trove.Numerics.Dense;
using Trove.Numerics.Native;
using Trove.Numerics.Vectors;

namespace Trove.Tests.Numerics;

public class CholeskyTests
{
    /// <summary>A random SPD matrix: M^T M + n I.</summary>
    internal static float[] Spd(int n, int seed)
    {
        var m = KernelTests.Random(n * n, seed);
        var a = new float[n * n];
        ScalarKernels.Gemm(n, n, n, KernelTests.Transpose(m, n, n), m, a);
        for (int i = 0; i < n; i++) a[i * n + i] += n;
        return a;
    }

    /// <summary>Naive Gauss-Jordan inverse in double precision: the reference.</summary>
    private static double[] NaiveInverse(float[] a, int n)
    {
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++) { for (int j = 0; j < n; j++) m[i, j] = a[i * n + j]; m[i, n + i] = 1; }
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < 2 * n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            double d = m[c, c];
            for (int j = 0; j < 2 * n; j++) m[c, j] /= d;
            for (int r = 0; r < n; r++)
                if (r != c) { double f = m[r, c]; for (int j = 0; j < 2 * n; j++) m[r, j] -= f * m[c, j]; }
        }
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inv[i * n + j] = m[i, n + j];
        return inv;
    }

    private static float[] NaiveSolve(float[] a, int n, float[] b)
    {
        var inv = NaiveInverse(a, n);
        var x = new float[n];
        for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += inv[i * n + j] * b[j]; x[i] = (float)s; }
        return x;
    }

    [Theory]
    [InlineData(1)] [InlineData(5)] [InlineData(64)] [InlineData(130)]
    public void Lapack_solve_matches_naive(int n)
    {
        var a = Spd(n, n); var b = KernelTests.Random(n, 99);
        var expected = NaiveSolve(a, n, b);
        var f = (float[])a.Clone(); var x = (float[])b.Clone();
        Lapack.SolvePositiveDefinite(f, n, x);
        KernelTests.Close(expected, x, 1e-3f);

        // Lower-triangle variant and multiple right-hand sides.
        var f2 = (float[])a.Clone();
        Lapack.CholeskyFactor(f2, n, upper: false);
        var bb = new float[n * 2];
        for (int i = 0; i < n; i++) { bb[2 * i] = b[i]; bb[2 * i + 1] = 2 * b[i]; }
        Lapack.CholeskySolve(f2, n, bb, 2, upper: false);
        for (int i = 0; i < n; i++) { Assert.Equal(expected[i], bb[2 * i], 3); Assert.Equal(2 * expected[i], bb[2 * i + 1], 3); }
    }

    [Theory]
    [InlineData(1)] [InlineData(7)] [InlineData(100)]
    public void Lapack_inverse_matches_naive(int n)
    {
        var a = Spd(n, 3 + n);
        var expected = NaiveInverse(a, n);
        var inv = (float[])a.Clone();
        Lapack.CholeskyInverse(inv, n);
        for (int i = 0; i < n * n; i++) Assert.True(Math.Abs(expected[i] - inv[i]) < 1e-5 + 1e-3 * Math.Abs(expected[i]), $"{i}: {expected[i]} vs {inv[i]}");
    }

    [Fact]
    public void Lapack_reports_not_positive_definite()
    {
        var a = new float[] { 1, 2, 2, 1 };
        var e = Assert.Throws<LinearAlgebraException>(() => Lapack.CholeskyFactor(a, 2));
        Assert.Contains("not positive definite", e.Message);
    }

    [Theory]
    [InlineData(1)] [InlineData(8)] [InlineData(64)] [InlineData(33)]
    public void Managed_small_cholesky_matches_naive(int n)
    {
        var a = Spd(n, 40 + n); var b = KernelTests.Random(n, 41);
        var expected = NaiveSolve(a, n, b);
        var f = (float[])a.Clone(); var x = (float[])b.Clone();
        Assert.True(SmallCholesky.TrySolve(f, n, x));
        KernelTests.Close(expected, x, 1e-3f);
        Assert.False(SmallCholesky.TrySolve(new float[] { 1, 2, 2, 1 }, 2, new float[2]));
    }
}
