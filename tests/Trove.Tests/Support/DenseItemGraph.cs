using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;

namespace Trove.Tests.Support;

/// <summary>
/// The scalar double-precision reference the graph-filter tests (gfcf, bspm) compare against: the binary matrix R,
/// item degrees, P = R~^T R~ with R~ = D_u^-a R D_i^-b formed densely, and P's eigenvectors (Jacobi).
/// </summary>
public sealed record DenseItemGraph(double[,] R, double[] ItemDegree, double[] P, double[] V)
{
    public static DenseItemGraph Of(CsrMatrix userItems, double a, double b)
    {
        int m = userItems.Rows, n = userItems.Columns;
        var r = new double[m, n];
        for (int u = 0; u < m; u++) foreach (int i in userItems.RowIndices(u)) r[u, i] = 1;
        var du = new double[m]; var di = new double[n];
        for (int u = 0; u < m; u++) for (int i = 0; i < n; i++) { du[u] += r[u, i]; di[i] += r[u, i]; }
        var rn = new double[m, n];
        for (int u = 0; u < m; u++) for (int i = 0; i < n; i++) if (r[u, i] != 0) rn[u, i] = Math.Pow(du[u], -a) * Math.Pow(di[i], -b);
        var p = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { double s = 0; for (int u = 0; u < m; u++) s += rn[u, i] * rn[u, j]; p[i * n + j] = s; }
        var (_, v) = SymmetricEigen.Decompose(p, n);
        return new DenseItemGraph(r, di, p, v);
    }
}
