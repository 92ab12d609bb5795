using Trove.Numerics.Native;

namespace Trove.Numerics.Dense;

/// <summary>
/// Dense BLAS routines, row-major throughout, on the backend <see cref="MathBackend.Current"/> chooses:
/// OpenBLAS when it loads, else Trove's managed kernels (<see cref="ManagedGemm"/>). Sizes are checked
/// against the spans before either backend runs, so a wrong size is an ArgumentException, not a crash.
/// </summary>
public static unsafe class Blas
{
    /// <summary>
    /// Worker threads of the dense routines: OpenBLAS's own (openblas_get/set_num_threads) on the native
    /// backend, the managed kernels' otherwise. Setting it sets both, so a caller that pins one thread
    /// (serving, sharded training) gets one thread on either backend.
    /// </summary>
    public static int Threads
    {
        get => MathBackend.IsNative ? OpenBlasImports.GetNumThreads() : ManagedBlas.Threads;
        set
        {
            ManagedBlas.Threads = value;
            if (NativeLibraries.BlasAvailable) OpenBlasImports.SetNumThreads(Math.Max(1, value));
        }
    }

    /// <summary>Sets <see cref="Threads"/>.</summary>
    public static void SetThreads(int threads) => Threads = threads;

    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C (row-major). op(A) is m x k, op(B) is k x n, C is m x n.
    /// A is stored m x k (lda >= k) or, when <paramref name="transA"/>, k x m (lda >= m); likewise B.
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException("Negative matrix dimension.");
        CheckMatrix(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckMatrix(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckMatrix(nameof(c), c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        bool native = MathBackend.IsNative;
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            if (!native) ManagedBlas.Gemm(transA, transB, m, n, k, alpha, pa, Math.Max(1, lda), pb, Math.Max(1, ldb), beta, pc, Math.Max(1, ldc));
            else OpenBlasImports.Sgemm(OpenBlasImports.RowMajor, transA ? OpenBlasImports.Trans : OpenBlasImports.NoTrans,
                transB ? OpenBlasImports.Trans : OpenBlasImports.NoTrans, m, n, k, alpha, pa, Math.Max(1, lda), pb, Math.Max(1, ldb), beta, pc, Math.Max(1, ldc));
    }

    /// <summary>C (m x n) = A (m x k) * B (k x n), contiguous row-major.</summary>
    public static void Gemm(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c) =>
        Gemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);

    /// <summary>y = alpha * op(A) * x + beta * y with A stored m x n (row-major).</summary>
    public static void Gemv(bool transA, int m, int n, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        CheckMatrix(nameof(a), a.Length, m, n, lda);
        int xLen = transA ? m : n, yLen = transA ? n : m;
        if (x.Length < xLen) throw new ArgumentException($"x has {x.Length} entries, needs {xLen}.");
        if (y.Length < yLen) throw new ArgumentException($"y has {y.Length} entries, needs {yLen}.");
        if (m == 0 || n == 0)
        {
            // op(A) x is empty or zero: y = beta * y, as BLAS defines it.
            if (yLen > 0 && m + n > 0) ManagedBlas.ScaleByBeta(beta, y[..yLen]);
            return;
        }
        bool native = MathBackend.IsNative;
        fixed (float* pa = a) fixed (float* px = x) fixed (float* py = y)
            if (!native) ManagedBlas.Gemv(transA, m, n, alpha, pa, Math.Max(1, lda), px, beta, py);
            else OpenBlasImports.Sgemv(OpenBlasImports.RowMajor, transA ? OpenBlasImports.Trans : OpenBlasImports.NoTrans,
                m, n, alpha, pa, Math.Max(1, lda), px, 1, beta, py, 1);
    }

    /// <summary>
    /// Symmetric rank-k update C = alpha * op(A) * op(A)^T + beta * C, writing only the
    /// <paramref name="upper"/> (or lower) triangle of the n x n matrix C. With <paramref name="transA"/>
    /// A is stored k x n and the result is A^T A (a Gram matrix of A's columns); otherwise A is n x k.
    /// </summary>
    public static void Syrk(bool upper, bool transA, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        float beta, Span<float> c, int ldc)
    {
        CheckMatrix(nameof(a), a.Length, transA ? k : n, transA ? n : k, lda);
        CheckMatrix(nameof(c), c.Length, n, n, ldc);
        if (n == 0) return;
        bool native = MathBackend.IsNative;
        fixed (float* pa = a) fixed (float* pc = c)
            if (!native) ManagedBlas.Syrk(upper, transA, n, k, alpha, pa, Math.Max(1, lda), beta, pc, Math.Max(1, ldc));
            else OpenBlasImports.Ssyrk(OpenBlasImports.RowMajor, upper ? OpenBlasImports.Upper : OpenBlasImports.Lower,
                transA ? OpenBlasImports.Trans : OpenBlasImports.NoTrans, n, k, alpha, pa, Math.Max(1, lda), beta, pc, Math.Max(1, ldc));
    }

    /// <summary>Gram matrix G = A^T A (n x n, full symmetric) of a row-major rows x n matrix A.</summary>
    public static void Gram(ReadOnlySpan<float> a, int rows, int n, Span<float> g)
    {
        Syrk(true, true, n, rows, 1f, a, n, 0f, g, n);
        Symmetric.CopyUpperToLower(g, n);
    }

    internal static void CheckMatrix(string name, int length, int rows, int cols, int ld)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentException($"Leading dimension of {name} is {ld}, less than its {cols} columns.");
        long need = (long)(rows - 1) * ld + cols;
        if (length < need) throw new ArgumentException($"Matrix {name} ({rows} x {cols}, ld {ld}) needs {need} floats, got {length}.");
    }
}

/// <summary>Helpers for symmetric matrices stored full, row-major.</summary>
public static class Symmetric
{
    /// <summary>Copies the upper triangle onto the lower one (blocked for cache friendliness).</summary>
    public static void CopyUpperToLower(Span<float> a, int n)
    {
        const int B = 64;
        for (int ib = 0; ib < n; ib += B)
            for (int jb = 0; jb <= ib; jb += B)
            {
                int iEnd = Math.Min(ib + B, n), jEnd = Math.Min(jb + B, n);
                for (int i = ib; i < iEnd; i++)
                {
                    int rowI = i * n;
                    for (int j = jb; j < Math.Min(jEnd, i); j++) a[rowI + j] = a[j * n + i];
                }
            }
    }
}
