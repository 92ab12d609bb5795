namespace Trove.Numerics.Dense;

/// <summary>
/// Eigen-decomposition of a small symmetric matrix (a few hundred rows: the Rayleigh-Ritz step of a
/// randomised SVD): LAPACK dsyevd on the native backend, else cyclic Jacobi rotations in double precision. Each rotation zeroes one off-diagonal
/// pair a_pq; sweeps repeat until the off-diagonal mass is negligible. O(n^3) per sweep and typically
/// 6-10 sweeps: fine for n in the hundreds, not meant for large matrices.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues (descending) and eigenvectors of the symmetric n x n row-major matrix <paramref name="a"/>
    /// (only read). Column j of <c>vectors</c> (row-major n x n) is the unit eigenvector of <c>values[j]</c>.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> a, int n)
    {
        if (a.Length < (long)n * n) throw new ArgumentException($"a has {a.Length} entries, needs {(long)n * n}.");
        var native = a[..(n * n)].ToArray();
        var w = new double[n];
        if (Lapack.TrySymmetricEigen(native, n, w))
        {
            // dsyevd: ascending; reverse to descending.
            var values = new double[n]; var vectors = new double[n * n];
            for (int j = 0; j < n; j++)
            {
                values[j] = w[n - 1 - j];
                for (int k = 0; k < n; k++) vectors[k * n + j] = native[k * n + n - 1 - j];
            }
            return (values, vectors);
        }
        return Jacobi(a, n);
    }

    /// <summary>The managed path: cyclic Jacobi (also the reference the native path is tested against).</summary>
    public static (double[] Values, double[] Vectors) Jacobi(ReadOnlySpan<double> a, int n)
    {
        if (a.Length < (long)n * n) throw new ArgumentException($"a has {a.Length} entries, needs {(long)n * n}.");
        var m = a[..(n * n)].ToArray();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        double total = 0;
        foreach (double x in m) total += x * x;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
            if (off <= 1e-30 * Math.Max(total, double.Epsilon)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double apq = m[p * n + q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    // Rotation angle zeroing a_pq: tan(2 theta) = 2 a_pq / (a_qq - a_pp), smaller root for stability.
                    double theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    // M <- J^T M J on rows/columns p and q.
                    for (int k = 0; k < n; k++)
                    {
                        double mkp = m[k * n + p], mkq = m[k * n + q];
                        m[k * n + p] = c * mkp - s * mkq;
                        m[k * n + q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double mpk = m[p * n + k], mqk = m[q * n + k];
                        m[p * n + k] = c * mpk - s * mqk;
                        m[q * n + k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => m[i * n + i]).ToArray();
        var values = new double[n];
        var vectors = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            values[j] = m[order[j] * n + order[j]];
            for (int k = 0; k < n; k++) vectors[k * n + j] = v[k * n + order[j]];
        }
        return (values, vectors);
    }
}
