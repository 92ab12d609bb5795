using Trove.Core.Training;
using Trove.Models.Linear;
using Trove.Numerics.Dense;

using Trove.Tests.Support;

namespace Trove.Tests.Models;

public class GraphFilterTests
{
    /// <summary>
    /// GF-CF against a direct dense computation: R~ = D_u^-a R D_i^-b, P = R~^T R~, V_k the top eigenvectors of P
    /// (Jacobi in double), s_u = r_u P + alpha r_u D_i^-b V_k V_k^T D_i^b.
    /// </summary>
    [Theory]
    [InlineData(0.5f, 0.5f, 0.3f, 4, 0f)]
    [InlineData(0.3f, 0.7f, 1.0f, 3, 0f)]
    [InlineData(0.5f, 0.5f, 0.0f, 0, 0f)]
    [InlineData(0.5f, 0.5f, 0.3f, 4, 0.7f)]
    [InlineData(0.4f, 0.6f, 0.0f, 0, 1.2f)]
    public void Scores_match_a_dense_computation(float a, float b, float alpha, int k, float sharpen)
    {
        var data = ToyData.Random(40, 15, 6, seed: 8);
        var model = new GraphFilter(new GraphFilterParameters { UserExponent = a, ItemExponent = b, Alpha = alpha, Factors = k, PowerIterations = 8, Oversampling = 8, Sharpen = sharpen });
        model.Fit(data, new FitContext { Seed = 1, Threads = 1 });
        int m = data.UserCount, n = data.ItemCount;
        var (r, di, p, v) = DenseItemGraph.Of(data.UserItems, a, b);
        var scores = new float[n];
        var blurred = new double[n];
        for (int u = 0; u < m; u++)
        {
            model.ScoreAllItems(u, scores);
            for (int j = 0; j < n; j++)
            {
                double linear = 0, low = 0;
                for (int i = 0; i < n; i++)
                {
                    if (r[u, i] == 0) continue;
                    linear += p[i * n + j];
                    double vv = 0;
                    for (int c = 0; c < k; c++) vv += v[i * n + c] * v[j * n + c];
                    low += Math.Pow(di[i], -b) * vv * Math.Pow(di[j], b);
                }
                blurred[j] = linear + alpha * low;
            }
            // BSPM sharpening, one Euler step: s = b - T_s b P.
            for (int j = 0; j < n; j++)
            {
                double bp = 0;
                for (int i = 0; i < n; i++) bp += blurred[i] * p[i * n + j];
                double expected = blurred[j] - sharpen * bp;
                Assert.True(Math.Abs(expected - scores[j]) < 1e-4, $"user {u} item {j}: {expected} vs {scores[j]}");
            }
        }
    }

    [Fact]
    public void Two_groups_recommend_within_the_group_and_history_of_a_new_user()
    {
        var data = ToyData.TwoGroups(40, 20, 5, 3);
        var model = new GraphFilter(new GraphFilterParameters { Factors = 4 });
        model.Fit(data, FitContext.Default);
        for (int u = 0; u < 40; u++)
            Assert.All(model.Recommend(u, 3), x => Assert.Equal(ToyData.Group(u, 40), ToyData.Group(x.Index, 20)));
        var scores = new float[20];
        model.ScoreHistory([12, 15], [1f, 1f], scores); // a new user in the second group
        int best = Enumerable.Range(0, 20).Where(i => i != 12 && i != 15).MaxBy(i => scores[i]);
        Assert.Equal(1, ToyData.Group(best, 20));
        Assert.All(model.SimilarItems(3, 4), s => Assert.Equal(0, ToyData.Group(s.Index, 20)));
    }

    [Fact]
    public void Invalid_parameters_are_one_line_errors()
    {
        var data = ToyData.Random(10, 8, 3, seed: 1);
        Assert.Contains("factors", Assert.Throws<Trove.Core.Errors.TroveException>(() => new GraphFilter(new GraphFilterParameters { Factors = -1 }).Fit(data, FitContext.Default)).Message);
        Assert.Contains("finite", Assert.Throws<Trove.Core.Errors.TroveException>(() => new GraphFilter(new GraphFilterParameters { Alpha = float.NaN }).Fit(data, FitContext.Default)).Message);
    }
}
