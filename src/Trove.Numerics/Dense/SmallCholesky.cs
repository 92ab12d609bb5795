using System.Numerics.Tensors;

namespace Trove.Numerics.Dense;

/// <summary>
/// Managed Cholesky for the small (factors x factors) systems solved per user/item in ALS, where a
/// native call per solve costs more than the arithmetic. Row-major; the factor L (A = L L^T) is
/// written into the lower triangle. Use <see cref="Lapack"/> for large matrices.
/// </summary>
public static class SmallCholesky
{
    /// <summary>Factors in place; returns false when A is not (numerically) positive definite.</summary>
    public static bool Factor(Span<float> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            float d = rowJ[j] - TensorPrimitives.Dot(rowJ[..j], rowJ[..j]);
            if (!(d > 0f)) return false;
            float ljj = MathF.Sqrt(d);
            rowJ[j] = ljj;
            float inv = 1f / ljj;
            for (int i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                rowI[j] = (rowI[j] - TensorPrimitives.Dot(rowI[..j], rowJ[..j])) * inv;
            }
        }
        return true;
    }

    /// <summary>Solves L L^T x = b in place given the factor from <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<float> l, int n, Span<float> b)
    {
        for (int i = 0; i < n; i++) // forward: L y = b
        {
            var row = l.Slice(i * n, n);
            b[i] = (b[i] - TensorPrimitives.Dot(row[..i], b[..i])) / row[i];
        }
        for (int i = n - 1; i >= 0; i--) // backward: L^T x = y
        {
            float s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /// <summary>Solves A x = b (A symmetric positive definite, destroyed). Returns false when A is not positive definite.</summary>
    public static bool TrySolve(Span<float> a, int n, Span<float> b)
    {
        if (!Factor(a, n)) return false;
        Solve(a, n, b);
        return true;
    }
}
