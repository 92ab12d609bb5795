using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Linear;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

[Collection("ease-memory")] // the memory seam is static
public class EaseTests
{
    /// <summary>
    /// Naive closed form in double precision: P = (X^T X + Lambda)^-1, B = I - P / diag(P), with Steck's (2020) EDLAE
    /// penalty Lambda = lambda I + p/(1-p) dMat(diag(X^T X)) (p = 0: EASE).
    /// </summary>
    private static double[,] NaiveB(Trove.Core.Data.Dataset data, double lambda, double dropout = 0)
    {
        int n = data.ItemCount;
        var g = new double[n, 2 * n];
        var ui = data.UserItems;
        for (int u = 0; u < ui.Rows; u++)
            foreach (int i in ui.RowIndices(u))
                foreach (int j in ui.RowIndices(u)) g[i, j] += 1;
        for (int i = 0; i < n; i++) { g[i, i] += lambda + dropout / (1 - dropout) * g[i, i]; g[i, n + i] = 1; }
        for (int c = 0; c < n; c++) // Gauss-Jordan (SPD: no pivoting needed)
        {
            double d = g[c, c];
            for (int j = 0; j < 2 * n; j++) g[c, j] /= d;
            for (int r = 0; r < n; r++)
                if (r != c) { double f = g[r, c]; for (int j = 0; j < 2 * n; j++) g[r, j] -= f * g[c, j]; }
        }
        var b = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                b[i, j] = (i == j ? 1 : 0) - g[i, n + j] / g[j, n + j];
        return b;
    }

    [Fact]
    public void Closed_form_matches_naive_computation()
    {
        var data = ToyData.Random(40, 12, 6, 2);
        var ease = new Ease(new EaseParameters { Lambda = 3f });
        ease.Fit(data, new FitContext { Threads = 2 });
        var expected = NaiveB(data, 3.0);
        int n = data.ItemCount;
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0f, ease.Weights[i * n + i]);
            for (int j = 0; j < n; j++)
                Assert.True(Math.Abs(expected[i, j] - ease.Weights[i * n + j]) < 1e-4, $"B[{i},{j}] {expected[i, j]} vs {ease.Weights[i * n + j]}");
        }
        // Scores are x_u B.
        var scores = new float[n];
        ease.ScoreAllItems(4, scores);
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            foreach (int i in data.UserItems.RowIndices(4)) s += expected[i, j];
            Assert.Equal(s, scores[j], 3);
        }
        var some = new[] { 3, 0, 7 }; var sub = new float[3];
        ease.Score(4, some, sub);
        for (int t = 0; t < 3; t++) Assert.Equal(scores[some[t]], sub[t], 5);
    }

    [Fact]
    public void Edlae_dropout_matches_the_naive_closed_form_and_differs_from_ease()
    {
        var data = ToyData.Random(40, 12, 6, 2);
        var edlae = new Ease(new EaseParameters { Lambda = 3f, Dropout = 0.4f });
        edlae.Fit(data, new FitContext { Threads = 2 });
        var expected = NaiveB(data, 3.0, 0.4);
        var plain = NaiveB(data, 3.0);
        int n = data.ItemCount;
        double largestChange = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                Assert.True(Math.Abs(expected[i, j] - edlae.Weights[i * n + j]) < 1e-4, $"B[{i},{j}] {expected[i, j]} vs {edlae.Weights[i * n + j]}");
                largestChange = Math.Max(largestChange, Math.Abs(expected[i, j] - plain[i, j]));
            }
        Assert.True(largestChange > 1e-3, "the dropout penalty must change the weights");
        var e = Assert.Throws<TroveException>(() => new Ease(new EaseParameters { Dropout = 1f }).Fit(data, FitContext.Default));
        Assert.Contains("dropout", e.Message);
    }

    [Fact]
    public void Two_groups_are_recommended_within_their_group()
    {
        var data = ToyData.TwoGroups(40, 20, 5, 3);
        var ease = new Ease(new EaseParameters { Lambda = 1f });
        ease.Fit(data, FitContext.Default);
        for (int u = 0; u < 40; u++)
            Assert.All(ease.Recommend(u, 3), r => Assert.Equal(ToyData.Group(u, 40), ToyData.Group(r.Index, 20)));
        Assert.All(ease.SimilarItems(1, 5), r => Assert.Equal(0, ToyData.Group(r.Index, 20)));
    }

    /// <summary>30 users, 12 items, distinct timestamps; each user's pairs also appear once more, earlier (the latest timestamp counts).</summary>
    private static Trove.Core.Data.Dataset Timed()
    {
        var rng = new Random(5);
        var b = new Trove.Core.Data.InteractionLogBuilder();
        for (int u = 0; u < 30; u++)
            foreach (int i in Enumerable.Range(0, 12).OrderBy(_ => rng.Next()).Take(3 + rng.Next(6)))
            {
                long t = 1_000_000 + rng.Next(1_000_000);
                b.Add(u, i, 1f, t);
                if (i % 3 == 0) b.Add(u, i, 1f, t - 500_000);
            }
        return new Trove.Core.Data.Dataset(new Trove.Core.Data.IdMap(Enumerable.Range(0, 30).Select(u => $"u{u}")),
            new Trove.Core.Data.IdMap(Enumerable.Range(0, 12).Select(i => $"i{i}")), b.Build());
    }

    [Fact]
    public void Recency_weights_the_kth_latest_history_item_by_two_to_minus_k_over_the_half_life()
    {
        var data = Timed();
        var plain = new Ease(new EaseParameters { Lambda = 3f });
        plain.Fit(data, FitContext.Default);
        var recent = new Ease(new EaseParameters { Lambda = 3f, RecencyHalfLife = 2f });
        recent.Fit(data, FitContext.Default);
        int n = data.ItemCount;
        var log = data.Interactions;
        var path = Path.Combine(TestPaths.NewTempDirectory(), "ease-recency.trove");
        ModelFile.Save(path, recent, data);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        for (int u = 0; u < 30; u++)
        {
            // The user's items, newest first by their latest timestamp.
            var history = Enumerable.Range(0, log.Count).Where(r => log.Users[r] == u)
                .GroupBy(r => log.Items[r]).Select(g => (Item: g.Key, Latest: g.Max(r => log.Timestamps[r])))
                .OrderByDescending(x => x.Latest).Select(x => x.Item).ToArray();
            var expected = new double[n];
            for (int k = 0; k < history.Length; k++)
                for (int j = 0; j < n; j++) expected[j] += Math.Pow(2, -k / 2.0) * plain.Weights[history[k] * n + j];
            var got = new float[n];
            recent.ScoreAllItems(u, got);
            for (int j = 0; j < n; j++) Assert.Equal(expected[j], got[j], 4);
            // A history given oldest first scores the same; so does the saved model.
            var fromHistory = new float[n];
            recent.ScoreHistory(history.Reverse().ToArray(), Enumerable.Repeat(1f, history.Length).ToArray(), fromHistory);
            for (int j = 0; j < n; j++) Assert.Equal(got[j], fromHistory[j], 4);
            var again = new float[n];
            loaded.ScoreAllItems(u, again);
            Assert.Equal(got, again);
        }
        var untimed = ToyData.Random(20, 8, 4, 1);
        Assert.Contains("timestamps", Assert.Throws<TroveException>(() => new Ease(new EaseParameters { RecencyHalfLife = 5 }).Fit(untimed, FitContext.Default)).Message);
    }

    [Fact]
    public void Refuses_when_memory_is_insufficient_and_says_how_much_it_needs()
    {
        var data = ToyData.Random(40, 2000, 6, 2);
        Ease.AvailableMemoryOverride = () => 1L << 20; // 1 MiB
        try
        {
            var e = Assert.Throws<TroveException>(() => new Ease().Fit(data, FitContext.Default));
            Assert.Contains("2,000 items", e.Message);
            Assert.Contains("15.3 MiB", e.Message); // 2000^2 x 4 bytes
            Assert.Contains("1.0 MiB", e.Message);
        }
        finally { Ease.AvailableMemoryOverride = null; }
        Assert.Equal(16_000_000L, Ease.RequiredBytes(2000));
    }

    [Fact]
    public void Saved_and_loaded_model_scores_identically()
    {
        var data = ToyData.Random(40, 30, 6, 4);
        var ease = new Ease(new EaseParameters { Lambda = 7 });
        ease.Fit(data, FitContext.Default);
        var path = Path.Combine(TestPaths.NewTempDirectory(), "ease.trove");
        ModelFile.Save(path, ease, data);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        Assert.Equal(7f, ((Ease)loaded).Params.Lambda);
        var a = new float[30]; var b = new float[30];
        ease.ScoreAllItems(5, a); loaded.ScoreAllItems(5, b);
        Assert.Equal(a, b);
    }
}
