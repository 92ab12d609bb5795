using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trove.Numerics.Dense;

/// <summary>
/// Single-precision matrix product in managed code, organised as in BLIS/GotoBLAS so that it runs
/// near the SIMD peak without a native library:
/// <code>
/// for jc in blocks of NC columns of C           (B block kc x NC lives in L3/L2)
///   for pc in blocks of KC along k              (one pass of rank-KC updates)
///     pack op(B)[pc, jc] into NR-wide column panels, k-major
///     for ic in blocks of MC rows of C          (packed A block MC x KC lives in L2; one per thread)
///       pack op(A)[ic, pc] into MR-high row panels, k-major
///       for jr, ir: C[ir..+MR, jr..+NR] += alpha * Apanel * Bpanel   (micro-kernel: registers only)
/// </code>
/// The micro-kernel keeps an MR x NR tile of C in vector registers and does one broadcast-FMA per
/// row of A per vector of B for every k: 8 x 32 with 512-bit vectors, 6 x 16 with 256-bit vectors,
/// 8 x 8 with 128-bit vectors (ARM64 NEON or the portable fallback). Packing makes every load in
/// the kernel sequential and turns transposed operands into the same layout, so one kernel serves
/// all four transpose cases. Row blocks (and, when there are few rows, column chunks) are shared
/// among threads; each thread packs its own A block.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>Depth of one packed block: a B micro-panel (KC x NR floats) should stay in L1.</summary>
    internal const int KC = 256;

    /// <summary>Rows of A packed at a time (a multiple of every MR): MC x KC floats stay in L2.</summary>
    internal const int MC = 96;

    /// <summary>Columns of B packed at a time (a multiple of every NR).</summary>
    internal const int NC = 3072;

    /// <summary>Below this many multiply-adds one thread does the whole product: forking costs more.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <summary>Register tile of the widest kernel this machine accelerates.</summary>
    internal static readonly KernelWidth Kernel = Vector512.IsHardwareAccelerated ? KernelWidth.V512
        : Vector256.IsHardwareAccelerated ? KernelWidth.V256 : KernelWidth.V128;

    internal enum KernelWidth { V128, V256, V512 }

    private static (int Mr, int Nr) Tile(KernelWidth width) => width switch
    {
        KernelWidth.V512 => (8, 32),
        KernelWidth.V256 => (6, 16),
        _ => (8, 8),
    };

    /// <summary>Human-readable name of the kernel in use, for <c>trove --version</c>.</summary>
    internal static string KernelName => Kernel switch
    {
        KernelWidth.V512 => "512-bit SIMD",
        KernelWidth.V256 => "256-bit SIMD",
        _ => Vector128.IsHardwareAccelerated ? "128-bit SIMD" : "portable",
    };

    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C, row-major, sizes already checked by <see cref="Blas"/>.
    /// As in BLAS, beta = 0 overwrites C without reading it (NaN in C does not propagate).
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads, KernelWidth? kernel = null)
    {
        if (m == 0 || n == 0) return;
        ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == 0f) return;

        // Tests pass a narrower kernel to check it on machines that would pick a wider one.
        var width = kernel ?? Kernel;
        var (mr, nr) = Tile(width);
        int kcMax = Math.Min(KC, k), ncMax = Math.Min(NC, RoundUp(n, nr)), mcMax = Math.Min(MC, RoundUp(m, mr));
        var packedB = Buffers.B(kcMax * ncMax);
        int rowBlocks = (m + MC - 1) / MC;
        bool parallel = threads > 1 && (long)m * n * k >= ParallelThreshold;

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + nr - 1) / nr;
            // With few row blocks, split the column panels too so every thread has work.
            int columnChunks = parallel ? Math.Min(panels, Math.Max(1, (threads + rowBlocks - 1) / rowBlocks)) : 1;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                PackB(transB, b, ldb, pc, jc, kc, nc, nr, packedB);
                int tasks = rowBlocks * columnChunks;
                float* pb = packedB;
                void RunTask(int t)
                {
                    int ic = t / columnChunks * MC, chunk = t % columnChunks;
                    int mc = Math.Min(MC, m - ic);
                    int p0 = panels * chunk / columnChunks, p1 = panels * (chunk + 1) / columnChunks;
                    var packedA = Buffers.A(mcMax * kcMax);
                    PackA(transA, a, lda, ic, pc, mc, kc, mr, packedA);
                    MacroKernel(width, mr, nr, mc, nc, kc, alpha, packedA, pb, p0, p1, c + (long)ic * ldc + jc, ldc);
                }
                if (parallel && tasks > 1)
                    Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, RunTask);
                else
                    for (int t = 0; t < tasks; t++) RunTask(t);
            }
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++) ManagedBlas.ScaleByBeta(beta, new Span<float>(c + (long)i * ldc, n));
    }

    /// <summary>op(A)[ic.., pc..] (mc x kc) into panels of mr rows: panel p holds, for each k, mr consecutive values; rows past m are zero.</summary>
    private static void PackA(bool transA, float* a, int lda, int ic, int pc, int mc, int kc, int mr, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            float* panel = dst + (long)i0 * kc;
            if (transA)
            {
                // op(A)[i, p] = A[p, i]: for each p the panel's values are contiguous in A.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(pc + p) * lda + ic + i0;
                    float* d = panel + p * mr;
                    int r = 0;
                    for (; r < rows; r++) d[r] = src[r];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
            else
            {
                for (int r = 0; r < mr; r++)
                {
                    float* d = panel + r;
                    if (r >= rows) { for (int p = 0; p < kc; p++) d[p * mr] = 0f; continue; }
                    float* src = a + (long)(ic + i0 + r) * lda + pc;
                    for (int p = 0; p < kc; p++) d[p * mr] = src[p];
                }
            }
        }
    }

    /// <summary>op(B)[pc.., jc..] (kc x nc) into panels of nr columns: panel q holds, for each k, nr consecutive values; columns past n are zero.</summary>
    private static void PackB(bool transB, float* b, int ldb, int pc, int jc, int kc, int nc, int nr, float* dst)
    {
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            float* panel = dst + (long)j0 * kc;
            if (transB)
            {
                // op(B)[p, j] = B[j, p]: each column of the panel is a contiguous row of B.
                for (int j = 0; j < nr; j++)
                {
                    float* d = panel + j;
                    if (j >= cols) { for (int p = 0; p < kc; p++) d[p * nr] = 0f; continue; }
                    float* src = b + (long)(jc + j0 + j) * ldb + pc;
                    for (int p = 0; p < kc; p++) d[p * nr] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(pc + p) * ldb + jc + j0;
                    float* d = panel + p * nr;
                    if (cols == nr) new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(d, nr));
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = src[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Runs the micro-kernel over column panels [p0, p1) of packed B and every row panel of packed A.</summary>
    private static void MacroKernel(KernelWidth width, int mr, int nr, int mc, int nc, int kc, float alpha,
        float* packedA, float* packedB, int p0, int p1, float* c, int ldc)
    {
        float* edge = stackalloc float[32 * 8];
        for (int q = p0; q < p1; q++)
        {
            int j0 = q * nr, cols = Math.Min(nr, nc - j0);
            float* bp = packedB + (long)j0 * kc;
            for (int i0 = 0; i0 < mc; i0 += mr)
            {
                int rows = Math.Min(mr, mc - i0);
                float* ap = packedA + (long)i0 * kc;
                float* cTile = c + (long)i0 * ldc + j0;
                if (rows == mr && cols == nr) Micro(width, kc, ap, bp, cTile, ldc, alpha);
                else
                {
                    // Edge tile: compute the full tile into scratch, add only the part inside C.
                    new Span<float>(edge, mr * nr).Clear();
                    Micro(width, kc, ap, bp, edge, nr, alpha);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < cols; j++) cTile[(long)r * ldc + j] += edge[r * nr + j];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro(KernelWidth width, int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        switch (width)
        {
            case KernelWidth.V512: Kernel8x32(kc, a, b, c, ldc, alpha); break;
            case KernelWidth.V256: Kernel6x16(kc, a, b, c, ldc, alpha); break;
            default: Kernel8x8(kc, a, b, c, ldc, alpha); break;
        }
    }

    /// <summary>C (8 x 32) += alpha * A (8 x kc, packed) * B (kc x 32, packed): 16 accumulators of 512 bits.</summary>
    private static void Kernel8x32(int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += 8, b += 32)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        var va = Vector512.Create(alpha);
        Add512(c, c00, c01, va); Add512(c + ldc, c10, c11, va);
        Add512(c + 2L * ldc, c20, c21, va); Add512(c + 3L * ldc, c30, c31, va);
        Add512(c + 4L * ldc, c40, c41, va); Add512(c + 5L * ldc, c50, c51, va);
        Add512(c + 6L * ldc, c60, c61, va); Add512(c + 7L * ldc, c70, c71, va);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add512(float* row, Vector512<float> v0, Vector512<float> v1, Vector512<float> alpha)
    {
        Vector512.FusedMultiplyAdd(v0, alpha, Vector512.Load(row)).Store(row);
        Vector512.FusedMultiplyAdd(v1, alpha, Vector512.Load(row + 16)).Store(row + 16);
    }

    /// <summary>C (6 x 16) += alpha * A (6 x kc, packed) * B (kc x 16, packed): 12 accumulators of 256 bits.</summary>
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += 16)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        var va = Vector256.Create(alpha);
        Add256(c, c00, c01, va); Add256(c + ldc, c10, c11, va); Add256(c + 2L * ldc, c20, c21, va);
        Add256(c + 3L * ldc, c30, c31, va); Add256(c + 4L * ldc, c40, c41, va); Add256(c + 5L * ldc, c50, c51, va);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add256(float* row, Vector256<float> v0, Vector256<float> v1, Vector256<float> alpha)
    {
        Vector256.FusedMultiplyAdd(v0, alpha, Vector256.Load(row)).Store(row);
        Vector256.FusedMultiplyAdd(v1, alpha, Vector256.Load(row + 8)).Store(row + 8);
    }

    /// <summary>C (8 x 8) += alpha * A (8 x kc, packed) * B (kc x 8, packed): 16 accumulators of 128 bits (NEON has 32 registers).</summary>
    private static void Kernel8x8(int kc, float* a, float* b, float* c, int ldc, float alpha)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector128<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += 8, b += 8)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var x = Vector128.Create(a[0]); c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
            x = Vector128.Create(a[1]); c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
            x = Vector128.Create(a[2]); c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
            x = Vector128.Create(a[3]); c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
            x = Vector128.Create(a[4]); c40 = Vector128.FusedMultiplyAdd(x, b0, c40); c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
            x = Vector128.Create(a[5]); c50 = Vector128.FusedMultiplyAdd(x, b0, c50); c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
            x = Vector128.Create(a[6]); c60 = Vector128.FusedMultiplyAdd(x, b0, c60); c61 = Vector128.FusedMultiplyAdd(x, b1, c61);
            x = Vector128.Create(a[7]); c70 = Vector128.FusedMultiplyAdd(x, b0, c70); c71 = Vector128.FusedMultiplyAdd(x, b1, c71);
        }
        var va = Vector128.Create(alpha);
        Add128(c, c00, c01, va); Add128(c + ldc, c10, c11, va);
        Add128(c + 2L * ldc, c20, c21, va); Add128(c + 3L * ldc, c30, c31, va);
        Add128(c + 4L * ldc, c40, c41, va); Add128(c + 5L * ldc, c50, c51, va);
        Add128(c + 6L * ldc, c60, c61, va); Add128(c + 7L * ldc, c70, c71, va);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add128(float* row, Vector128<float> v0, Vector128<float> v1, Vector128<float> alpha)
    {
        Vector128.FusedMultiplyAdd(v0, alpha, Vector128.Load(row)).Store(row);
        Vector128.FusedMultiplyAdd(v1, alpha, Vector128.Load(row + 4)).Store(row + 4);
    }

    /// <summary>
    /// Per-thread packing buffers, pinned and aligned to 64 bytes, kept between calls: a product is
    /// often one of thousands (autodiff steps), and fresh buffers would cost more than the packing.
    /// Packed A is per worker thread; packed B belongs to the calling thread and is shared by its workers.
    /// </summary>
    private static class Buffers
    {
        [ThreadStatic] private static float[]? _a;
        [ThreadStatic] private static float[]? _b;

        public static float* A(int floats) => Aligned(ref _a, floats);
        public static float* B(int floats) => Aligned(ref _b, floats);

        private static float* Aligned(ref float[]? buffer, int floats)
        {
            if (buffer is null || buffer.Length < floats + 16)
                buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
            // The array lives on the pinned object heap: its address never changes.
            float* p = (float*)Unsafe.AsPointer(ref buffer[0]);
            return (float*)(((nint)p + 63) & ~(nint)63);
        }
    }
}
