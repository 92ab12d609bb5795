using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;

namespace Trove.Tests.Numerics;

public class RandomizedSvdTests
{
    private static CsrMatrix RandomSparse(int rows, int cols, double density, int seed)
    {
        var rng = new Random(seed);
        var r = new List<int>(); var c = new List<int>(); var v = new List<float>();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                if (rng.NextDouble() < density) { r.Add(i); c.Add(j); v.Add((float)(0.5 + rng.NextDouble())); }
        return CsrMatrix.FromCoordinates(rows, cols, r.ToArray(), c.ToArray(), v.ToArray());
    }

    /// <summary>Dense reference: eigenvalues/vectors of A^T A in double.</summary>
    private static (double[] Values, double[] Vectors) Reference(CsrMatrix a)
    {
        var d = SparseDense.ToDense(a);
        int m = a.Rows, n = a.Columns;
        var g = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { double s = 0; for (int r = 0; r < m; r++) s += (double)d[r * n + i] * d[r * n + j]; g[i * n + j] = s; }
        return SymmetricEigen.Decompose(g, n);
    }

    [Fact]
    public void Jacobi_reconstructs_a_symmetric_matrix_with_orthonormal_vectors()
    {
        var rng = new Random(4);
        int n = 12;
        var a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.NextDouble() - 0.5;
        var (values, v) = SymmetricEigen.Jacobi(a, n);
        for (int j = 1; j < n; j++) Assert.True(values[j - 1] >= values[j]);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double rebuilt = 0, dot = 0;
                for (int k = 0; k < n; k++) { rebuilt += v[i * n + k] * values[k] * v[j * n + k]; dot += v[k * n + i] * v[k * n + j]; }
                Assert.Equal(a[i * n + j], rebuilt, 10);
                Assert.Equal(i == j ? 1 : 0, dot, 10);
            }
    }

    [Fact]
    public void Native_eigen_solver_agrees_with_jacobi()
    {
        if (!NativeBlas.Required()) return;
        var rng = new Random(6);
        int n = 20;
        var a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rng.NextDouble() - 0.5;
        var (nv, nvec) = SymmetricEigen.Decompose(a, n);
        var (jv, jvec) = SymmetricEigen.Jacobi(a, n);
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(jv[j], nv[j], 10);
            double dot = 0;
            for (int k = 0; k < n; k++) dot += nvec[k * n + j] * jvec[k * n + j];
            Assert.Equal(1.0, Math.Abs(dot), 8); // same vector up to sign
        }
    }

    [Fact]
    public void Singular_values_and_subspace_match_the_dense_reference()
    {
        var a = RandomSparse(80, 50, 0.15, seed: 7);
        int k = 6;
        var svd = RandomizedSvd.RightSingularVectors(a, k, oversampling: 10, powerIterations: 6, seed: 1);
        var (values, vectors) = Reference(a);
        int n = a.Columns;
        Assert.Equal(k, svd.Rank);
        for (int j = 0; j < k; j++) Assert.Equal(Math.Sqrt(values[j]), svd.Values[j], 3);
        // Each singular vector equals the reference one up to sign (the values are distinct here).
        for (int j = 0; j < k; j++)
        {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += svd.Vectors[i * k + j] * vectors[i * n + j];
            Assert.Equal(1.0, Math.Abs(dot), 3);
        }
    }

    [Fact]
    public void Rank_deficient_matrix_falls_back_to_gram_schmidt_and_stays_orthonormal()
    {
        // Rank 2: every row is a multiple of one of two patterns.
        var r = new List<int>(); var c = new List<int>(); var v = new List<float>();
        for (int i = 0; i < 30; i++)
            foreach (int j in i % 2 == 0 ? new[] { 0, 1, 2 } : new[] { 3, 4 })
            { r.Add(i); c.Add(j); v.Add(1 + i % 3); }
        var a = CsrMatrix.FromCoordinates(30, 8, r.ToArray(), c.ToArray(), v.ToArray());
        var svd = RandomizedSvd.RightSingularVectors(a, 5, oversampling: 3, powerIterations: 2, seed: 2);
        var (values, _) = Reference(a);
        Assert.Equal(Math.Sqrt(values[0]), svd.Values[0], 3);
        Assert.Equal(Math.Sqrt(values[1]), svd.Values[1], 3);
        Assert.True(svd.Values[2] < 1e-2);
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
            {
                double dot = 0;
                for (int i = 0; i < 8; i++) dot += svd.Vectors[i * 5 + x] * svd.Vectors[i * 5 + y];
                Assert.Equal(x == y ? 1 : 0, dot, 3);
            }
    }

    [Fact]
    public void Same_seed_same_vectors()
    {
        var a = RandomSparse(40, 30, 0.2, seed: 9);
        var x = RandomizedSvd.RightSingularVectors(a, 4, seed: 5);
        var y = RandomizedSvd.RightSingularVectors(a, 4, seed: 5);
        Assert.Equal(x.Vectors, y.Vectors);
    }
}
