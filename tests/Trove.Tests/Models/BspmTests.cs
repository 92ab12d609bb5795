using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Models.Linear;
using Trove.Numerics.Dense;

using Trove.Tests.Support;

namespace Trove.Tests.Models;

public class BspmTests
{
    /// <summary>
    /// BSPM against a dense double-precision computation of its definition: R~ = D_u^-a R D_i^-b, P = R~^T R~,
    /// V_k the top eigenvectors of P (Jacobi), B = r P, S0 = B + beta r D_i^-b V_k V_k^T D_i^b, then K steps of classical RK4
    /// (the four stages written out, not the Taylor polynomial the model uses) for dS/dt = -S P, and the mean of B and
    /// the states after each step (or the last state).
    /// </summary>
    [Theory]
    [InlineData(0.5f, 0.5f, 0.2f, 4, 2.5f, 1, true)]
    [InlineData(0.3f, 0.7f, 0.5f, 3, 1.0f, 2, false)]
    [InlineData(0.5f, 0.5f, 0.0f, 0, 1.7f, 3, true)]
    [InlineData(0.4f, 0.6f, 0.3f, 5, 0.0f, 1, true)]
    public void Scores_match_a_dense_rk4_integration(float a, float b, float beta, int k, float time, int steps, bool combine)
    {
        var data = ToyData.Random(40, 15, 6, seed: 8);
        var model = new Bspm(new BspmParameters
        {
            UserExponent = a, ItemExponent = b, IdealWeight = beta, Factors = k, SharpenTime = time, SharpenSteps = steps,
            CombineSteps = combine, PowerIterations = 8, Oversampling = 8,
        });
        model.Fit(data, new FitContext { Seed = 1, Threads = 1 });
        int m = data.UserCount, n = data.ItemCount;
        var (r, di, p, v) = DenseItemGraph.Of(data.UserItems, a, b);
        double[] TimesP(double[] x) { var y = new double[n]; for (int j = 0; j < n; j++) for (int i = 0; i < n; i++) y[j] += x[i] * p[i * n + j]; return y; }
        double[] Axpy(double[] x, double c, double[] y) => x.Select((xi, i) => xi + c * y[i]).ToArray();

        var scores = new float[n];
        for (int u = 0; u < m; u++)
        {
            var row = Enumerable.Range(0, n).Select(i => r[u, i]).ToArray();
            var blurred = TimesP(row);
            var state = new double[n];
            for (int j = 0; j < n; j++)
            {
                double low = 0;
                for (int i = 0; i < n; i++)
                {
                    if (row[i] == 0) continue;
                    double vv = 0;
                    for (int c = 0; c < k; c++) vv += v[i * n + c] * v[j * n + c];
                    low += Math.Pow(di[i], -b) * vv * Math.Pow(di[j], b);
                }
                state[j] = blurred[j] + beta * low;
            }
            double h = time / steps;
            var sum = (double[])blurred.Clone();
            for (int s = 0; s < steps; s++)
            {
                double[] F(double[] x) => TimesP(x).Select(y => -y).ToArray();
                var k1 = F(state); var k2 = F(Axpy(state, h / 2, k1)); var k3 = F(Axpy(state, h / 2, k2)); var k4 = F(Axpy(state, h, k3));
                state = state.Select((x, i) => x + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])).ToArray();
                sum = Axpy(sum, 1, state);
            }
            var expected = combine ? sum.Select(x => x / (steps + 1)).ToArray() : state;
            model.ScoreAllItems(u, scores);
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(expected[j] - scores[j]) < 1e-4 * Math.Max(1, Math.Abs(expected[j])), $"user {u} item {j}: {expected[j]} vs {scores[j]}");
        }
    }

    /// <summary>The batched path (used by evaluation, 8-wide SIMD kernel for batches of 8, 16, 32 users) gives the per-user scores.</summary>
    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    [InlineData(13)]
    public void Batches_score_as_single_users(int batch)
    {
        var data = ToyData.Random(60, 25, 7, seed: 3);
        var model = new Bspm(new BspmParameters { Factors = 6, SharpenSteps = 2 });
        model.Fit(data, new FitContext { Seed = 2, Threads = 1 });
        int n = data.ItemCount;
        var users = Enumerable.Range(5, batch).ToArray();
        var together = new float[batch * n];
        model.ScoreAllItems(users, together);
        var one = new float[n];
        for (int j = 0; j < batch; j++)
        {
            model.ScoreAllItems(users[j], one);
            for (int i = 0; i < n; i++) Assert.Equal(one[i], together[j * n + i], 1e-4f * Math.Max(1, Math.Abs(one[i])));
        }
    }

    [Fact]
    public void Two_groups_recommend_within_the_group_and_history_of_a_new_user()
    {
        var data = ToyData.TwoGroups(40, 20, 5, 3);
        var model = new Bspm(new BspmParameters { Factors = 4 });
        model.Fit(data, FitContext.Default);
        for (int u = 0; u < 40; u++)
            Assert.All(model.Recommend(u, 3), x => Assert.Equal(ToyData.Group(u, 40), ToyData.Group(x.Index, 20)));
        var scores = new float[20];
        model.ScoreHistory([12, 15], [1f, 1f], scores);
        int best = Enumerable.Range(0, 20).Where(i => i != 12 && i != 15).MaxBy(i => scores[i]);
        Assert.Equal(1, ToyData.Group(best, 20));
    }

    [Fact]
    public void Invalid_parameters_are_one_line_errors_naming_the_parameter()
    {
        Assert.Contains("sharpen_steps", Assert.Throws<TroveException>(() => Trove.Models.BuiltInAlgorithms.Registry.Create("bspm", new Dictionary<string, string> { ["sharpen_steps"] = "0" })).Message);
        Assert.Contains("factors", Assert.Throws<TroveException>(() => Trove.Models.BuiltInAlgorithms.Registry.Create("bspm", new Dictionary<string, string> { ["factors"] = "-3" })).Message);
    }
}
