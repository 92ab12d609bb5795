using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Models.Linear;
using Trove.Numerics.Sparse;

namespace Trove.Tests.Models;

public class SparseEaseTests
{
    /// <summary>40 users with 4-7 of 9 items each: every pair of items co-occurs, so the neighbourhoods can hold every other item.</summary>
    private static Dataset Dense()
    {
        var rng = new Random(11);
        var b = new InteractionLogBuilder();
        for (int u = 0; u < 40; u++)
            foreach (int i in Enumerable.Range(0, 9).OrderBy(_ => rng.Next()).Take(4 + rng.Next(4))) b.Add(u, i, 1f);
        return new Dataset(new IdMap(Enumerable.Range(0, 40).Select(u => $"u{u}")), new IdMap(Enumerable.Range(0, 9).Select(i => $"i{i}")), b.Build());
    }

    private static double[,] Gram(Dataset data)
    {
        int n = data.ItemCount;
        var g = new double[n, n];
        for (int u = 0; u < data.UserCount; u++)
            foreach (int i in data.UserItems.RowIndices(u))
                foreach (int j in data.UserItems.RowIndices(u)) g[i, j] += 1;
        return g;
    }

    /// <summary>Solves A x = y in double precision (Gaussian elimination; A is symmetric positive definite).</summary>
    private static double[] Solve(double[,] a, double[] y)
    {
        int k = y.Length;
        var m = (double[,])a.Clone(); var x = (double[])y.Clone();
        for (int c = 0; c < k; c++)
            for (int r = c + 1; r < k; r++)
            {
                double f = m[r, c] / m[c, c];
                for (int t = c; t < k; t++) m[r, t] -= f * m[c, t];
                x[r] -= f * x[c];
            }
        for (int r = k - 1; r >= 0; r--)
        {
            for (int t = r + 1; t < k; t++) x[r] -= m[r, t] * x[t];
            x[r] /= m[r, r];
        }
        return x;
    }

    /// <summary>B[S_j, j] = (G_SS + Lambda_S)^-1 G_Sj with S_j the given neighbours of j, Lambda_ii = lambda + p/(1-p) G_ii.</summary>
    private static double[] Column(double[,] g, int j, int[] neighbours, double lambda, double dropout)
    {
        int k = neighbours.Length;
        var a = new double[k, k]; var y = new double[k];
        for (int r = 0; r < k; r++)
        {
            for (int c = 0; c < k; c++) a[r, c] = g[neighbours[r], neighbours[c]];
            a[r, r] += lambda + dropout / (1 - dropout) * g[neighbours[r], neighbours[r]];
            y[r] = g[neighbours[r], j];
        }
        return Solve(a, y);
    }

    private static double Weight(CsrMatrix b, int i, int j) => b.RowIndices(i).BinarySearch(j) is int at and >= 0 ? b.RowValues(i)[at] : 0;

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    public void With_every_other_item_as_neighbour_it_is_ease(float dropout)
    {
        var data = Dense();
        var sparse = new SparseEase(new SparseEaseParameters { Lambda = 4f, Dropout = dropout, Neighbours = 100 });
        sparse.Fit(data, new FitContext { Threads = 2 });
        var dense = new Ease(new EaseParameters { Lambda = 4f, Dropout = dropout });
        dense.Fit(data, FitContext.Default);
        int n = data.ItemCount;
        Assert.Equal(n * (n - 1), sparse.Weights.NonZeros);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(dense.Weights[i * n + j] - Weight(sparse.Weights, i, j)) < 1e-4, $"B[{i},{j}]: ease {dense.Weights[i * n + j]}, sparse {Weight(sparse.Weights, i, j)}");
        var a = new float[n]; var b = new float[n];
        for (int u = 0; u < 10; u++)
        {
            dense.ScoreAllItems(u, a); sparse.ScoreAllItems(u, b);
            for (int j = 0; j < n; j++) Assert.Equal(a[j], b[j], 4);
        }
    }

    [Fact]
    public void Each_column_is_the_ridge_regression_on_its_strongest_co_occurring_items()
    {
        var data = ToyData.Random(60, 15, 6, 4);
        var sparse = new SparseEase(new SparseEaseParameters { Lambda = 2f, Dropout = 0.2f, Neighbours = 3 });
        sparse.Fit(data, new FitContext { Threads = 2 });
        var g = Gram(data);
        int n = data.ItemCount;
        for (int j = 0; j < n; j++)
        {
            var neighbours = Enumerable.Range(0, n).Where(i => i != j && g[i, j] > 0)
                .OrderByDescending(i => g[i, j]).ThenBy(i => i).Take(3).Order().ToArray();
            var expected = Column(g, j, neighbours, 2, 0.2);
            for (int i = 0; i < n; i++)
            {
                int at = Array.IndexOf(neighbours, i);
                double want = at >= 0 ? expected[at] : 0;
                Assert.True(Math.Abs(want - Weight(sparse.Weights, i, j)) < 1e-4, $"B[{i},{j}]: expected {want}, got {Weight(sparse.Weights, i, j)}");
            }
        }
    }

    [Fact]
    public void Refuses_when_memory_is_insufficient_and_bad_parameters_with_one_line()
    {
        var data = ToyData.Random(40, 30, 6, 2);
        // 1M items with 2 billion pairs: 16 GB of Gram matrix alone, refused against 8 GiB.
        var e = Assert.Throws<TroveException>(() => SparseEase.CheckMemory(1_000_000, 2_000_000_000, 128, 8L << 30));
        Assert.Contains("2,000,000,000 co-occurring pairs", e.Message);
        SparseEase.CheckMemory(1_000_000, 100_000_000, 128, 8L << 30); // 0.8 GB + 2 GB fits
        Assert.Contains("dropout", Assert.Throws<TroveException>(() => new SparseEase(new SparseEaseParameters { Dropout = 1f }).Fit(data, FitContext.Default)).Message);
        Assert.Contains("neighbours", Assert.Throws<TroveException>(() => new SparseEase(new SparseEaseParameters { Neighbours = 0 }).Fit(data, FitContext.Default)).Message);
    }
}
