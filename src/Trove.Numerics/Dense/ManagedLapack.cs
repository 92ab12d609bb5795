using System.Numerics.Tensors;

namespace Trove.Numerics.Dense;

/// <summary>
/// The managed LAPACK routines behind <see cref="Lapack"/> when LAPACKE is absent (or TROVE_BLAS=managed):
/// Cholesky factor (potrf), solve (potrs) and inverse from the factor (potri = trtri + lauum), all on the
/// upper factor U with A = U^T U, row-major with a leading dimension.
///
/// Every routine is recursive: split the matrix in two, recurse on the triangular halves, and do the
/// off-diagonal work as one gemm or syrk. Almost all flops then run in the packed gemm kernel, at the
/// optimal flop counts (n^3/3 for each of potrf, trtri and lauum), with no tuning of block sizes beyond
/// the order below which a plain vectorised loop is used (as in Gustavson's recursive Cholesky and
/// ReLAPACK). Only the upper triangle is read or written.
/// </summary>
internal static unsafe class ManagedLapack
{
    /// <summary>Order at or below which the unblocked loops run: 64 x 64 floats (16 KB) stay in L1.</summary>
    private const int Base = 64;

    /// <summary>First part of a split: about half, a multiple of 16 so the halves keep SIMD-friendly offsets.</summary>
    internal static int Split(int n) => Math.Clamp((n / 2 + 15) / 16 * 16, 1, n - 1);

    private static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        ManagedBlas.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    private static Span<float> Row(float* a, int ld, int row, int from, int to) => new(a + (long)row * ld + from, to - from);

    /// <summary>A = U^T U in place (upper triangle). Returns 0, or the 1-based order of the first leading minor that is not positive.</summary>
    public static int FactorUpper(float* a, int n, int ld)
    {
        if (n <= Base) return FactorUnblocked(a, n, ld);
        int n1 = Split(n), n2 = n - n1;
        int info = FactorUpper(a, n1, ld);
        if (info != 0) return info;
        float* a12 = a + n1, a22 = a + (long)n1 * ld + n1;
        SolveUpperTransposed(a, n1, ld, a12, n2, ld);                     // U12 = U11^-T A12
        ManagedBlas.Syrk(true, true, n2, n1, -1f, a12, ld, 1f, a22, ld); // A22 -= U12^T U12
        info = FactorUpper(a22, n2, ld);
        return info == 0 ? 0 : n1 + info;
    }

    private static int FactorUnblocked(float* a, int n, int ld)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = Row(a, ld, j, j, n);
            float d = rowJ[0];
            if (!(d > 0f)) return j + 1; // also catches NaN
            float s = MathF.Sqrt(d);
            rowJ[0] = s;
            TensorPrimitives.Multiply(rowJ[1..], 1f / s, rowJ[1..]);
            // Right-looking update of the trailing rows: A[i, i..] -= U[j, i] * U[j, i..].
            for (int i = j + 1; i < n; i++)
            {
                var rowI = Row(a, ld, i, i, n);
                TensorPrimitives.MultiplyAdd(rowJ[(i - j)..], -rowJ[i - j], rowI, rowI);
            }
        }
        return 0;
    }

    /// <summary>Solves U^T U X = B (B is n x nrhs with leading dimension ldb), overwriting B with X.</summary>
    public static void SolveUpper(float* u, int n, int ld, float* b, int nrhs, int ldb)
    {
        SolveUpperTransposed(u, n, ld, b, nrhs, ldb);
        SolveUpperDirect(u, n, ld, b, nrhs, ldb);
    }

    /// <summary>Forward substitution U^T X = B (U^T is lower triangular), in place.</summary>
    private static void SolveUpperTransposed(float* u, int n, int ld, float* b, int m, int ldb)
    {
        if (n <= Base)
        {
            for (int i = 0; i < n; i++)
            {
                var xi = Row(b, ldb, i, 0, m);
                TensorPrimitives.Multiply(xi, 1f / u[(long)i * ld + i], xi);
                for (int j = i + 1; j < n; j++)
                {
                    var bj = Row(b, ldb, j, 0, m);
                    TensorPrimitives.MultiplyAdd(xi, -u[(long)i * ld + j], bj, bj);
                }
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* b2 = b + (long)n1 * ldb;
        SolveUpperTransposed(u, n1, ld, b, m, ldb);
        Gemm(true, false, n2, m, n1, -1f, u + n1, ld, b, ldb, 1f, b2, ldb); // B2 -= U12^T X1
        SolveUpperTransposed(u + (long)n1 * ld + n1, n2, ld, b2, m, ldb);
    }

    /// <summary>Back substitution U X = B, in place.</summary>
    private static void SolveUpperDirect(float* u, int n, int ld, float* b, int m, int ldb)
    {
        if (n <= Base)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                var xi = Row(b, ldb, i, 0, m);
                TensorPrimitives.Multiply(xi, 1f / u[(long)i * ld + i], xi);
                for (int p = 0; p < i; p++)
                {
                    var bp = Row(b, ldb, p, 0, m);
                    TensorPrimitives.MultiplyAdd(xi, -u[(long)p * ld + i], bp, bp);
                }
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* b2 = b + (long)n1 * ldb;
        SolveUpperDirect(u + (long)n1 * ld + n1, n2, ld, b2, m, ldb);
        Gemm(false, false, n1, m, n2, -1f, u + n1, ld, b2, ldb, 1f, b, ldb); // B1 -= U12 X2
        SolveUpperDirect(u, n1, ld, b, m, ldb);
    }

    /// <summary>A^-1 = U^-1 U^-T from the factor in the upper triangle, written over it (potri).</summary>
    public static void InverseFromUpper(float* u, int n, int ld)
    {
        InvertTriangular(u, n, ld);
        MultiplyByOwnTranspose(u, n, ld);
    }

    /// <summary>U := U^-1 for upper triangular U (trtri): X12 = -X11 U12 X22 once both diagonal blocks are inverted.</summary>
    private static void InvertTriangular(float* a, int n, int ld)
    {
        if (n <= Base)
        {
            for (int j = 0; j < n; j++)
            {
                float inv = 1f / a[(long)j * ld + j];
                a[(long)j * ld + j] = inv;
                // Column j above the diagonal: x = -inv * X[0..j, 0..j] U[0..j, j]; row i needs U[p, j] only for p >= i.
                for (int i = 0; i < j; i++)
                {
                    float s = 0f;
                    for (int p = i; p < j; p++) s += a[(long)i * ld + p] * a[(long)p * ld + j];
                    a[(long)i * ld + j] = -inv * s;
                }
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* a12 = a + n1, a22 = a + (long)n1 * ld + n1;
        InvertTriangular(a, n1, ld);
        InvertTriangular(a22, n2, ld);
        MultiplyRightUpper(a12, n1, n2, ld, a22, ld);       // U12 X22
        MultiplyLeftUpper(a, n1, ld, a12, n2, ld, -1f);     // -X11 (U12 X22)
    }

    /// <summary>B := alpha T B for upper triangular T (n x n) and B (n x m) (trmm, left).</summary>
    private static void MultiplyLeftUpper(float* t, int n, int ld, float* b, int m, int ldb, float alpha)
    {
        if (n <= Base)
        {
            // Row i of T B uses rows j >= i of B, so ascending i reads only rows not yet overwritten.
            for (int i = 0; i < n; i++)
            {
                var bi = Row(b, ldb, i, 0, m);
                TensorPrimitives.Multiply(bi, alpha * t[(long)i * ld + i], bi);
                for (int j = i + 1; j < n; j++)
                    TensorPrimitives.MultiplyAdd(Row(b, ldb, j, 0, m), alpha * t[(long)i * ld + j], bi, bi);
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* b2 = b + (long)n1 * ldb;
        MultiplyLeftUpper(t, n1, ld, b, m, ldb, alpha);
        Gemm(false, false, n1, m, n2, alpha, t + n1, ld, b2, ldb, 1f, b, ldb); // B1 += alpha T12 B2
        MultiplyLeftUpper(t + (long)n1 * ld + n1, n2, ld, b2, m, ldb, alpha);
    }

    /// <summary>B := B T for B (m x n) and upper triangular T (n x n) (trmm, right).</summary>
    private static void MultiplyRightUpper(float* b, int m, int n, int ldb, float* t, int ld)
    {
        if (n <= Base)
        {
            Span<float> row = stackalloc float[n];
            for (int r = 0; r < m; r++)
            {
                var br = Row(b, ldb, r, 0, n);
                row.Clear();
                for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(Row(t, ld, i, i, n), br[i], row[i..], row[i..]);
                row.CopyTo(br);
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* b2 = b + n1;
        MultiplyRightUpper(b2, m, n2, ldb, t + (long)n1 * ld + n1, ld);
        Gemm(false, false, m, n2, n1, 1f, b, ldb, t + n1, ld, 1f, b2, ldb); // B2 += B1 T12
        MultiplyRightUpper(b, m, n1, ldb, t, ld);
    }

    /// <summary>B := B T^T for B (m x n) and upper triangular T (n x n).</summary>
    private static void MultiplyRightUpperTransposed(float* b, int m, int n, int ldb, float* t, int ld)
    {
        if (n <= Base)
        {
            // Entry i of a row becomes sum over j >= i of b[j] T[i, j]: ascending i reads only entries not yet overwritten.
            for (int r = 0; r < m; r++)
            {
                var br = Row(b, ldb, r, 0, n);
                for (int i = 0; i < n; i++) br[i] = TensorPrimitives.Dot(br[i..], Row(t, ld, i, i, n));
            }
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* b2 = b + n1;
        MultiplyRightUpperTransposed(b, m, n1, ldb, t, ld);
        Gemm(false, true, m, n1, n2, 1f, b2, ldb, t + n1, ld, 1f, b, ldb); // B1 += B2 T12^T
        MultiplyRightUpperTransposed(b2, m, n2, ldb, t + (long)n1 * ld + n1, ld);
    }

    /// <summary>U := U U^T on the upper triangle (lauum): W11 = X11 X11^T + X12 X12^T, W12 = X12 X22^T, W22 = X22 X22^T.</summary>
    private static void MultiplyByOwnTranspose(float* a, int n, int ld)
    {
        if (n <= Base)
        {
            // W[i, j] = sum over p >= j of X[i, p] X[j, p]; row by row, left to right, reads only entries not yet overwritten.
            for (int i = 0; i < n; i++)
                for (int j = i; j < n; j++)
                    a[(long)i * ld + j] = TensorPrimitives.Dot(Row(a, ld, i, j, n), Row(a, ld, j, j, n));
            return;
        }
        int n1 = Split(n), n2 = n - n1;
        float* a12 = a + n1, a22 = a + (long)n1 * ld + n1;
        MultiplyByOwnTranspose(a, n1, ld);
        ManagedBlas.Syrk(true, false, n1, n2, 1f, a12, ld, 1f, a, ld); // W11 += X12 X12^T
        MultiplyRightUpperTransposed(a12, n1, n2, ld, a22, ld);       // W12 = X12 X22^T
        MultiplyByOwnTranspose(a22, n2, ld);
    }
}
