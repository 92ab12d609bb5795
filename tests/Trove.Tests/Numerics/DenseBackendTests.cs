using Trove.Numerics.Dense;
using Trove.Numerics.Native;

namespace Trove.Tests.Numerics;

/// <summary>
/// The managed dense kernels against plain scalar loops (double accumulation), and against OpenBLAS on the
/// same inputs: odd sizes that are not multiples of any register tile, 1 x N and N x 1, leading dimensions
/// wider than the matrix, every transpose case, alpha/beta, and sizes large enough to take the threaded path.
/// </summary>
public class DenseBackendTests
{
    public static TheoryData<int, int, int> GemmSizes => new()
    {
        { 1, 1, 1 }, { 1, 37, 5 }, { 37, 1, 5 }, { 1, 1, 300 }, { 23, 17, 31 }, { 8, 32, 256 }, { 9, 33, 257 },
        { 100, 70, 300 }, { 129, 257, 513 }, { 3, 3100, 7 }, { 200, 150, 300 },
    };

    /// <summary>C = alpha op(A) op(B) + beta C with every operand inside a wider buffer (ld = cols + 3).</summary>
    private static (float[] Expected, float[] A, float[] B, float[] C, int Lda, int Ldb, int Ldc) GemmCase(bool ta, bool tb, int m, int n, int k, float alpha, float beta)
    {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + 3, ldb = bCols + 3, ldc = n + 3;
        var a = KernelTests.Random(aRows * lda, m + 1); var b = KernelTests.Random(bRows * ldb, n + 2); var c = KernelTests.Random(m * ldc, k + 3);
        var expected = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                expected[i * ldc + j] = (float)(alpha * s + (beta == 0f ? 0 : beta * c[i * ldc + j]));
            }
        return (expected, a, b, c, lda, ldb, ldc);
    }

    private static void CloseRelative(float[] expected, float[] actual, double tolerance, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}: entry {i}: {expected[i]} vs {actual[i]}");
    }

    [Theory]
    [MemberData(nameof(GemmSizes))]
    public void Managed_gemm_matches_scalar_in_every_transpose_case(int m, int n, int k)
    {
        using var _ = MathBackend.Use(DenseBackend.Managed);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                var (expected, a, b, c, lda, ldb, ldc) = GemmCase(ta, tb, m, n, k, 1.5f, 0.5f);
                Blas.Gemm(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc);
                CloseRelative(expected, c, 1e-4, $"{m}x{n}x{k} ta={ta} tb={tb}");
            }
    }

    [Fact]
    public void Beta_zero_overwrites_nan_and_alpha_zero_only_scales()
    {
        using var _ = MathBackend.Use(DenseBackend.Managed);
        var a = KernelTests.Random(6, 1); var b = KernelTests.Random(6, 2);
        var c = new float[] { float.NaN, float.NaN, float.NaN, float.NaN };
        Blas.Gemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
        Assert.All(c, v => Assert.False(float.IsNaN(v)));
        var d = new float[] { 1, 2, 3, 4 };
        Blas.Gemm(false, false, 2, 2, 3, 0f, a, 3, b, 2, 2f, d, 2);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, d);
    }

    [Theory]
    [InlineData(128)] [InlineData(256)] [InlineData(512)]
    public unsafe void Every_register_kernel_matches_scalar(int bits)
    {
        var width = bits switch { 128 => ManagedGemm.KernelWidth.V128, 256 => ManagedGemm.KernelWidth.V256, _ => ManagedGemm.KernelWidth.V512 };
        // A kernel wider than the hardware still runs (software fallback), just slowly: correctness only.
        foreach (var (m, n, k) in new[] { (13, 35, 19), (1, 70, 3), (70, 1, 3), (97, 65, 300) })
        {
            var (expected, a, b, c, lda, ldb, ldc) = GemmCase(true, false, m, n, k, -0.75f, 1f);
            fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
                ManagedGemm.Gemm(true, false, m, n, k, -0.75f, pa, lda, pb, ldb, 1f, pc, ldc, threads: 2, width);
            CloseRelative(expected, c, 1e-4, $"{width} {m}x{n}x{k}");
        }
    }

    [Theory]
    [InlineData(1, 1)] [InlineData(1, 40)] [InlineData(40, 1)] [InlineData(33, 17)] [InlineData(2000, 700)]
    public void Managed_gemv_matches_scalar(int m, int n)
    {
        using var _ = MathBackend.Use(DenseBackend.Managed);
        var a = KernelTests.Random(m * (n + 2), 5);
        foreach (bool trans in new[] { false, true })
        {
            int xLen = trans ? m : n, yLen = trans ? n : m;
            var x = KernelTests.Random(xLen, 6); var y = KernelTests.Random(yLen, 7); var expected = new float[yLen];
            for (int i = 0; i < yLen; i++)
            {
                double s = 0;
                for (int p = 0; p < xLen; p++) s += (double)(trans ? a[p * (n + 2) + i] : a[i * (n + 2) + p]) * x[p];
                expected[i] = (float)(2 * s - 0.5 * y[i]);
            }
            Blas.Gemv(trans, m, n, 2f, a, n + 2, x, -0.5f, y);
            CloseRelative(expected, y, 1e-4, $"gemv {m}x{n} trans={trans}");
        }
    }

    [Theory]
    [InlineData(1, 5)] [InlineData(7, 1)] [InlineData(64, 30)] [InlineData(65, 9)] [InlineData(150, 200)]
    public void Managed_syrk_writes_its_triangle_only(int n, int k)
    {
        using var _ = MathBackend.Use(DenseBackend.Managed);
        foreach (bool upper in new[] { false, true })
            foreach (bool trans in new[] { false, true })
            {
                var a = KernelTests.Random(n * k, n + k);
                var c = KernelTests.Random(n * n, 3);
                var before = (float[])c.Clone();
                Blas.Syrk(upper, trans, n, k, 1.25f, a, trans ? n : k, 0.5f, c, n);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                    {
                        bool inside = upper ? j >= i : j <= i;
                        if (!inside) { Assert.Equal(before[i * n + j], c[i * n + j]); continue; }
                        double s = 0;
                        for (int p = 0; p < k; p++) s += (double)(trans ? a[p * n + i] * a[p * n + j] : a[i * k + p] * a[j * k + p]);
                        float expected = (float)(1.25 * s + 0.5 * before[i * n + j]);
                        Assert.True(Math.Abs(expected - c[i * n + j]) <= 1e-4 * (1 + Math.Abs(expected)), $"syrk n={n} k={k} upper={upper} trans={trans} ({i},{j})");
                    }
            }
    }

    [Theory]
    [InlineData(1)] [InlineData(63)] [InlineData(64)] [InlineData(65)] [InlineData(130)] [InlineData(257)]
    public void Managed_cholesky_factor_solve_and_inverse_match_the_definition(int n)
    {
        using var _ = MathBackend.Use(DenseBackend.Managed);
        var a = CholeskyTests.Spd(n, 70 + n);
        foreach (bool upper in new[] { true, false })
        {
            // The factor reproduces A, and the other triangle is untouched.
            var f = (float[])a.Clone();
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) if (upper ? j < i : j > i) f[i * n + j] = -7f;
            Lapack.CholeskyFactor(f, n, upper);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    if (upper ? j < i : j > i) { Assert.Equal(-7f, f[i * n + j]); continue; }
                    double s = 0; // (U^T U)[i, j] or (L L^T)[i, j]
                    for (int p = 0; p <= Math.Min(i, j); p++) s += upper ? (double)f[p * n + i] * f[p * n + j] : (double)f[i * n + p] * f[j * n + p];
                    Assert.True(Math.Abs(s - a[i * n + j]) <= 1e-4 * (1 + Math.Abs(a[i * n + j])), $"factor n={n} upper={upper} ({i},{j})");
                }
            // Solve with two right-hand sides: A X = B.
            var x = KernelTests.Random(n * 2, 8); var b = new float[n * 2];
            for (int i = 0; i < n; i++) for (int r = 0; r < 2; r++) { double s = 0; for (int p = 0; p < n; p++) s += (double)a[i * n + p] * x[p * 2 + r]; b[i * 2 + r] = (float)s; }
            Lapack.CholeskySolve(f, n, b, 2, upper);
            KernelTests.Close(x, b, 1e-3f);
        }
        // Inverse: A A^-1 = I.
        var inv = (float[])a.Clone();
        Lapack.CholeskyInverse(inv, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < n; p++) s += (double)a[i * n + p] * inv[p * n + j];
                Assert.True(Math.Abs(s - (i == j ? 1 : 0)) < 1e-3, $"A A^-1 n={n} ({i},{j}) = {s}");
            }
    }

    [Theory]
    [InlineData(DenseBackend.Managed)]
    [InlineData(DenseBackend.OpenBlas)]
    public void Not_positive_definite_names_the_leading_minor_on_both_backends(DenseBackend backend)
    {
        if (backend == DenseBackend.OpenBlas && !NativeBlas.Required()) return;
        using var _ = MathBackend.Use(backend);
        int n = 100;
        var a = CholeskyTests.Spd(n, 4);
        a[80 * n + 80] = -1e6f; // the leading 81 x 81 minor is no longer positive definite
        var e = Assert.Throws<LinearAlgebraException>(() => Lapack.CholeskyFactor(a, n));
        Assert.Contains("not positive definite", e.Message);
        Assert.Contains("leading minor 81", e.Message);
    }

    [NativeBlasFact]
    public void Managed_and_openblas_agree_on_the_same_inputs()
    {
        foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 300, 70), (300, 1, 70), (129, 257, 513), (640, 64, 9000) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    var (_, a, b, c, lda, ldb, ldc) = GemmCase(ta, tb, m, n, k, 1f, 0.25f);
                    var managed = (float[])c.Clone(); var native = (float[])c.Clone();
                    using (MathBackend.Use(DenseBackend.Managed)) Blas.Gemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0.25f, managed, ldc);
                    using (MathBackend.Use(DenseBackend.OpenBlas)) Blas.Gemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0.25f, native, ldc);
                    CloseRelative(native, managed, 1e-4, $"gemm {m}x{n}x{k} ta={ta} tb={tb}");
                }
        foreach (int n in new[] { 1, 7, 64, 300, 1000 })
        {
            var a = CholeskyTests.Spd(n, n);
            var managed = (float[])a.Clone(); var native = (float[])a.Clone();
            using (MathBackend.Use(DenseBackend.Managed)) Lapack.CholeskyInverse(managed, n);
            using (MathBackend.Use(DenseBackend.OpenBlas)) Lapack.CholeskyInverse(native, n);
            CloseRelative(native, managed, 1e-3, $"inverse n={n}");
            var r = KernelTests.Random(n * n, n + 1);
            var gm = new float[n * n]; var gn = new float[n * n];
            using (MathBackend.Use(DenseBackend.Managed)) Blas.Gram(r, n, n, gm);
            using (MathBackend.Use(DenseBackend.OpenBlas)) Blas.Gram(r, n, n, gn);
            CloseRelative(gn, gm, 1e-4, $"gram n={n}");
        }
    }

    [Fact]
    public void The_backend_can_be_described_and_switched()
    {
        using (MathBackend.Use(DenseBackend.Managed))
        {
            Assert.Equal(DenseBackend.Managed, MathBackend.Current);
            Assert.StartsWith("managed (", MathBackend.Describe());
        }
        if (!NativeLibraries.BlasAvailable)
            Assert.Throws<NativeLibraryMissingException>(() => MathBackend.Use(DenseBackend.OpenBlas));
    }
}

/// <summary>Whether OpenBLAS is here: tests comparing against it skip locally without it, and fail under CI=true (CI installs it).</summary>
internal static class NativeBlas
{
    public static string? SkipReason =>
        NativeLibraries.BlasAvailable && NativeLibraries.LapackAvailable ? null
        : $"OpenBLAS/LAPACKE not found (apt-get install {NativeLibraries.DebianPackages}); the managed backend is tested without them.";

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the native backend can be compared; false (skip) locally without it; throws under CI=true.</summary>
    public static bool Required()
    {
        if (SkipReason is null) return true;
        if (InCi) throw new InvalidOperationException("CI=true and " + SkipReason);
        return false;
    }
}

/// <summary>A fact comparing against OpenBLAS: skipped with the reason when it is absent, except under CI=true where it must run.</summary>
public sealed class NativeBlasFactAttribute : FactAttribute
{
    public NativeBlasFactAttribute()
    {
        if (!NativeBlas.InCi && NativeBlas.SkipReason is not null) Skip = NativeBlas.SkipReason;
    }
}
