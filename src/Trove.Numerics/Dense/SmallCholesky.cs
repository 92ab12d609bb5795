using System.Numerics.Tensors;
using Trove.Numerics.Vectors;

namespace Trove.Numerics.Dense;

/// <summary>
/// Managed Cholesky for the small (factors x factors) systems solved per user/item in ALS, where a
/// native call per solve costs more than the arithmetic. Row-major; right-looking and blocked by
/// four rows so the trailing update is one fused rank-4 pass per row. The factor U (A = U^T U) is
/// written into the upper triangle; the strict lower triangle is left as it was. Use
/// <see cref="Lapack"/> for large matrices.
/// </summary>
public static class SmallCholesky
{
    /// <summary>Factors in place (upper triangle read and overwritten); false when A is not (numerically) positive definite.</summary>
    public static bool Factor(Span<float> a, int n)
    {
        for (int j0 = 0; j0 < n; j0 += 4)
        {
            int jEnd = Math.Min(j0 + 4, n);
            for (int j = j0; j < jEnd; j++)
            {
                var rowJ = a.Slice(j * n + j, n - j);
                float d = rowJ[0];
                if (!(d > 0f)) return false;
                TensorPrimitives.Multiply(rowJ, 1f / MathF.Sqrt(d), rowJ);
                for (int i = j + 1; i < jEnd; i++)
                {
                    var rowI = a.Slice(i * n + i, n - i);
                    TensorPrimitives.MultiplyAdd(rowJ[(i - j)..], -rowJ[i - j], rowI, rowI);
                }
            }
            int count = jEnd - j0;
            for (int i = jEnd; i < n; i++)
            {
                var dst = a.Slice(i * n + i, n - i);
                var r0 = a.Slice(j0 * n + i, n - i);
                float c0 = -a[j0 * n + i];
                var r1 = count > 1 ? a.Slice((j0 + 1) * n + i, n - i) : r0;
                float c1 = count > 1 ? -a[(j0 + 1) * n + i] : 0f;
                var r2 = count > 2 ? a.Slice((j0 + 2) * n + i, n - i) : r0;
                float c2 = count > 2 ? -a[(j0 + 2) * n + i] : 0f;
                var r3 = count > 3 ? a.Slice((j0 + 3) * n + i, n - i) : r0;
                float c3 = count > 3 ? -a[(j0 + 3) * n + i] : 0f;
                VectorKernels.Rank4Row(dst, r0, r1, r2, r3, c0, c1, c2, c3);
            }
        }
        return true;
    }

    /// <summary>Solves U^T U x = b in place given the factor from <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<float> u, int n, Span<float> b)
    {
        for (int j = 0; j < n; j++) // forward: U^T y = b, column-oriented (rows of U are contiguous)
        {
            var row = u.Slice(j * n + j, n - j);
            float y = b[j] / row[0];
            b[j] = y;
            if (j + 1 < n) TensorPrimitives.MultiplyAdd(row[1..], -y, b[(j + 1)..], b[(j + 1)..]);
        }
        for (int i = n - 1; i >= 0; i--) // backward: U x = y
        {
            var row = u.Slice(i * n + i, n - i);
            b[i] = (b[i] - TensorPrimitives.Dot(row[1..], b[(i + 1)..])) / row[0];
        }
    }

    /// <summary>Solves A x = b (A symmetric positive definite, upper triangle used, destroyed). False when A is not positive definite.</summary>
    public static bool TrySolve(Span<float> a, int n, Span<float> b)
    {
        if (!Factor(a, n)) return false;
        Solve(a, n, b);
        return true;
    }
}
