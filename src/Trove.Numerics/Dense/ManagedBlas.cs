using System.Numerics.Tensors;

namespace Trove.Numerics.Dense;

/// <summary>
/// The managed BLAS routines behind <see cref="Blas"/> when OpenBLAS is absent (or TROVE_BLAS=managed):
/// gemm through <see cref="ManagedGemm"/>, gemv and syrk built on it and on TensorPrimitives.
/// Pointers and leading dimensions as in CBLAS row-major; sizes are checked by the callers.
/// </summary>
internal static unsafe class ManagedBlas
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Worker threads of the managed kernels (the analogue of openblas_set_num_threads).</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = Math.Max(1, value);
    }

    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        ManagedGemm.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, _threads);

    /// <summary>y = beta * y as BLAS defines it: beta = 0 overwrites y without reading it (NaN in y does not propagate).</summary>
    public static void ScaleByBeta(float beta, Span<float> y)
    {
        if (beta == 0f) y.Clear();
        else if (beta != 1f) TensorPrimitives.Multiply(y, beta, y);
    }

    /// <summary>Below this many multiply-adds a mat-vec stays on one thread.</summary>
    private const long ParallelGemv = 1L << 20;

    /// <summary>y = alpha * op(A) x + beta * y, A stored m x n.</summary>
    public static void Gemv(bool transA, int m, int n, float alpha, float* a, int lda, float* x, float beta, float* y)
    {
        int threads = (long)m * n >= ParallelGemv ? _threads : 1;
        if (!transA)
        {
            // One dot product per row of A (rows are contiguous).
            void Rows(int from, int to)
            {
                var xs = new ReadOnlySpan<float>(x, n);
                for (int i = from; i < to; i++)
                {
                    float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(a + (long)i * lda, n), xs);
                    y[i] = beta == 0f ? alpha * dot : alpha * dot + beta * y[i];
                }
            }
            Split(m, threads, Rows);
            return;
        }
        // y += (alpha x_i) * row i of A: each thread owns a band of y's entries, so no two write the same one.
        void Columns(int from, int to)
        {
            var ys = new Span<float>(y + from, to - from);
            ScaleByBeta(beta, ys);
            for (int i = 0; i < m; i++)
            {
                float s = alpha * x[i];
                if (s != 0f) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(a + (long)i * lda + from, to - from), s, ys, ys);
            }
        }
        Split(n, threads, Columns);
    }

    private static void Split(int count, int threads, Action<int, int> body)
    {
        if (threads <= 1 || count < 2 * threads) { body(0, count); return; }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            t => body((int)((long)count * t / threads), (int)((long)count * (t + 1) / threads)));
    }

    /// <summary>Blocks at or below this order are computed whole into scratch and only their triangle is kept.</summary>
    private const int SyrkBase = 64;

    /// <summary>
    /// C = alpha * op(A) op(A)^T + beta * C on the upper (or lower) triangle of the n x n matrix C only;
    /// op(A) is n x k (A stored k x n when <paramref name="transA"/>). Recursive halving: the two diagonal
    /// halves recurse, the off-diagonal block is one gemm, so half the flops of a full product.
    /// </summary>
    public static void Syrk(bool upper, bool transA, int n, int k, float alpha, float* a, int lda, float beta, float* c, int ldc)
    {
        if (n <= SyrkBase)
        {
            float* full = stackalloc float[n * n];
            ManagedGemm.Gemm(transA, !transA, n, n, k, alpha, a, lda, a, lda, 0f, full, n, _threads);
            for (int i = 0; i < n; i++)
            {
                int from = upper ? i : 0, to = upper ? n : i + 1;
                for (int j = from; j < to; j++)
                {
                    float* cij = c + (long)i * ldc + j;
                    *cij = beta == 0f ? full[i * n + j] : full[i * n + j] + beta * *cij;
                }
            }
            return;
        }
        int n1 = ManagedLapack.Split(n), n2 = n - n1;
        // op(A) rows n1.. : further rows of A, or further columns when A is stored transposed.
        float* a2 = transA ? a + n1 : a + (long)n1 * lda;
        Syrk(upper, transA, n1, k, alpha, a, lda, beta, c, ldc);
        if (upper) // C12 = alpha op(A)1 op(A)2^T + beta C12
            ManagedGemm.Gemm(transA, !transA, n1, n2, k, alpha, a, lda, a2, lda, beta, c + n1, ldc, _threads);
        else // C21 = alpha op(A)2 op(A)1^T + beta C21
            ManagedGemm.Gemm(transA, !transA, n2, n1, k, alpha, a2, lda, a, lda, beta, c + (long)n1 * ldc, ldc, _threads);
        Syrk(upper, transA, n2, k, alpha, a2, lda, beta, c + (long)n1 * ldc + n1, ldc);
    }
}
