using System.Numerics.Tensors;
using Trove.Numerics.Dense;

namespace Trove.Numerics.Sparse;

/// <summary>The top-k right singular vectors of a sparse matrix and their singular values.</summary>
/// <param name="Vectors">Columns x k, row-major: row j holds the j-th entry of every singular vector.</param>
/// <param name="Values">The k singular values, descending.</param>
public sealed record TruncatedSvd(float[] Vectors, float[] Values, int Rows, int Rank);

/// <summary>
/// Randomised truncated SVD of a sparse matrix A (m x n) after Halko, Martinsson and Tropp (2011),
/// "Finding structure with randomness", algorithm 4.4 (randomised subspace iteration) followed by a
/// Rayleigh-Ritz step on A^T A:
/// <code>
///   Omega ~ N(0, 1)^(n x l),  l = k + oversampling
///   Q = orth(A^T A Omega)
///   repeat q times:  Q = orth(A^T (A Q))        (re-orthonormalised every step: no loss of the small directions)
///   T = (A Q)^T (A Q) = W Lambda W^T            (l x l, Jacobi)
///   V_k = Q W[:, :k],  sigma = sqrt(Lambda[:k])
/// </code>
/// Only products of A and A^T with tall dense n x l blocks are formed (O(nnz l) each), never A^T A.
/// orth() is Cholesky-QR done twice (CholeskyQR2: the Gram matrix by sgemm/syrk, an l x l Cholesky,
/// one triangular multiply), which is accurate once the block is well conditioned; a block that is
/// numerically rank-deficient (l above the rank of A) falls back to modified Gram-Schmidt in double
/// that replaces dependent columns by fresh random directions.
/// </summary>
public static class RandomizedSvd
{
    /// <summary>
    /// Top <paramref name="k"/> right singular vectors of <paramref name="a"/>; <paramref name="transpose"/> is A^T
    /// (pass it when already built). k is capped at min(rows, columns).
    /// </summary>
    public static TruncatedSvd RightSingularVectors(CsrMatrix a, int k, int oversampling = 16, int powerIterations = 4,
        int seed = 42, int threads = 1, CsrMatrix? transpose = null)
    {
        int m = a.Rows, n = a.Columns;
        k = Math.Max(0, Math.Min(k, Math.Min(m, n)));
        if (k == 0) return new TruncatedSvd([], [], n, 0);
        int l = Math.Min(k + Math.Max(0, oversampling), Math.Min(m, n));
        var at = transpose ?? a.Transpose();
        var rng = new Random(seed);
        var q = new float[(long)n * l];
        for (int i = 0; i < q.Length; i++) q[i] = Gaussian(rng);
        var az = new float[(long)m * l];
        for (int it = 0; it <= Math.Max(0, powerIterations); it++)
        {
            // Q <- orth(A^T (A Q))
            SparseDense.Multiply(a, q, l, az, threads);
            SparseDense.Multiply(at, az, l, q, threads);
            Orthonormalise(q, n, l, rng);
        }
        SparseDense.Multiply(a, q, l, az, threads);
        var t = new float[l * l];
        Blas.Gram(az, m, l, t); // T = (A Q)^T (A Q)
        var td = new double[l * l];
        for (int i = 0; i < td.Length; i++) td[i] = t[i];
        var (values, w) = SymmetricEigen.Decompose(td, l);
        var wk = new float[l * k];
        for (int i = 0; i < l; i++) for (int j = 0; j < k; j++) wk[i * k + j] = (float)w[i * l + j];
        var v = new float[(long)n * k];
        Blas.Gemm(n, k, l, q, wk, v);
        var sigma = new float[k];
        for (int j = 0; j < k; j++) sigma[j] = (float)Math.Sqrt(Math.Max(0, values[j]));
        return new TruncatedSvd(v, sigma, n, k);
    }

    /// <summary>Orthonormalises the columns of the row-major rows x l block in place (CholeskyQR2, else MGS).</summary>
    public static void Orthonormalise(float[] y, int rows, int l, Random rng)
    {
        if (!CholeskyQr(y, rows, l) || !CholeskyQr(y, rows, l)) GramSchmidt(y, rows, l, rng);
    }

    /// <summary>Y = Q R with G = Y^T Y = R^T R; Y is replaced by Y R^-1. False (Y untouched) when G is not positive definite.</summary>
    private static bool CholeskyQr(float[] y, int rows, int l)
    {
        var g = new float[l * l];
        Blas.Gram(y, rows, l, g);
        var gd = new double[l * l];
        for (int i = 0; i < gd.Length; i++) gd[i] = g[i];
        double maxDiag = 0;
        for (int i = 0; i < l; i++) maxDiag = Math.Max(maxDiag, gd[i * l + i]);
        if (!(maxDiag > 0)) return false;
        // Upper Cholesky R (G = R^T R) in double; a pivot below 1e-10 of the largest means the float block is
        // too close to rank-deficient for R^-1 to be trusted.
        for (int j = 0; j < l; j++)
        {
            double d = gd[j * l + j];
            for (int p = 0; p < j; p++) d -= gd[p * l + j] * gd[p * l + j];
            if (!(d > 1e-10 * maxDiag)) return false;
            double r = Math.Sqrt(d);
            gd[j * l + j] = r;
            for (int c = j + 1; c < l; c++)
            {
                double s = gd[j * l + c];
                for (int p = 0; p < j; p++) s -= gd[p * l + j] * gd[p * l + c];
                gd[j * l + c] = s / r;
            }
        }
        // R^-1 (upper triangular), column by column: R x = e_c.
        var inv = new float[l * l];
        var x = new double[l];
        for (int c = 0; c < l; c++)
        {
            Array.Clear(x);
            for (int i = c; i >= 0; i--)
            {
                double s = i == c ? 1 : 0;
                for (int p = i + 1; p <= c; p++) s -= gd[i * l + p] * x[p];
                x[i] = s / gd[i * l + i];
            }
            for (int i = 0; i <= c; i++) inv[i * l + c] = (float)x[i];
        }
        var copy = (float[])y.Clone();
        Blas.Gemm(rows, l, l, copy, inv, y);
        return true;
    }

    /// <summary>Modified Gram-Schmidt with one re-orthogonalisation, in double; a dependent column becomes a random orthogonal one.</summary>
    private static void GramSchmidt(float[] y, int rows, int l, Random rng)
    {
        var cols = new double[l][];
        for (int j = 0; j < l; j++)
        {
            var c = new double[rows];
            for (int i = 0; i < rows; i++) c[i] = y[(long)i * l + j];
            cols[j] = c;
        }
        for (int j = 0; j < l; j++)
        {
            double original = TensorPrimitives.Norm<double>(cols[j]);
            for (int attempt = 0; ; attempt++)
            {
                for (int pass = 0; pass < 2; pass++)
                    for (int p = 0; p < j; p++)
                        TensorPrimitives.MultiplyAdd(cols[p], -TensorPrimitives.Dot<double>(cols[p], cols[j]), cols[j], cols[j]);
                double norm = TensorPrimitives.Norm<double>(cols[j]);
                if (norm > 1e-8 * Math.Max(original, 1e-300) && norm > 0 || attempt >= 3)
                {
                    if (norm > 0) TensorPrimitives.Divide(cols[j], norm, cols[j]);
                    break;
                }
                for (int i = 0; i < rows; i++) cols[j][i] = Gaussian(rng);
                original = TensorPrimitives.Norm<double>(cols[j]);
            }
        }
        for (int j = 0; j < l; j++) for (int i = 0; i < rows; i++) y[(long)i * l + j] = (float)cols[j][i];
    }

    private static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
