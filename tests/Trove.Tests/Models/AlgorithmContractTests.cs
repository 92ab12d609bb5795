using Trove.Numerics.Selection;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

/// <summary>
/// The contract every registered algorithm must keep, run over the whole registry (a new model is tested by
/// being registered): scores are finite, Recommend agrees with ScoreAllItems and Score and leaves seen items
/// out, a saved model scores the same after loading, the optional capabilities (history scoring, batch
/// scoring) agree with per-user scoring, and the declared search space binds to valid parameters.
/// </summary>
public class AlgorithmContractTests
{
    /// <summary>Small settings per algorithm so the suite stays fast; everything else is the default.</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> Fast = new(StringComparer.OrdinalIgnoreCase)
    {
        ["als"] = new() { ["iterations"] = "3", ["factors"] = "8" },
        ["bpr"] = new() { ["epochs"] = "3", ["factors"] = "8" },
        ["ncf"] = new() { ["epochs"] = "1", ["factors"] = "4", ["layers"] = "8,4", ["validation"] = "false" },
        ["twotower"] = new() { ["epochs"] = "1", ["dimensions"] = "8", ["validation"] = "false" },
        ["gfcf"] = new() { ["factors"] = "6", ["sharpen"] = "0.5" },
    };

    public static TheoryData<string> Algorithms()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in BuiltInAlgorithms.Registry.Algorithms) data.Add(name);
        return data;
    }

    private static Dataset Data()
    {
        var baseData = ToyData.Random(50, 24, 8, seed: 11);
        var features = new FeatureTable();
        string[] cats = ["a", "b", "c"];
        features.Categorical["category"] = Enumerable.Range(0, 24).Select(i => (string?)cats[i % 3]).ToArray();
        features.Numeric["price"] = Enumerable.Range(0, 24).Select(i => (float)(i % 7)).ToArray();
        return new Dataset(baseData.Users, baseData.Items, baseData.Interactions, null, features, "contract");
    }

    private static IRecommender Create(string name) =>
        BuiltInAlgorithms.Registry.Create(name, Fast.TryGetValue(name, out var o) ? o : null);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Scores_recommendations_and_model_files_agree(string algorithm)
    {
        var data = Data();
        var model = Create(algorithm);
        model.Fit(data, new FitContext { Seed = 3, Threads = 2 });
        int n = data.ItemCount;
        var all = new float[n];
        for (int u = 0; u < 10; u++)
        {
            model.ScoreAllItems(u, all);
            Assert.All(all, s => Assert.True(float.IsFinite(s), $"{algorithm}: non-finite score"));
            var recs = model.Recommend(u, 5);
            var seen = data.UserItems.RowIndices(u).ToArray();
            Assert.All(recs, r => Assert.DoesNotContain(r.Index, seen));
            for (int j = 1; j < recs.Count; j++) Assert.True(recs[j - 1].Score >= recs[j].Score);
            float bestUnseen = Enumerable.Range(0, n).Where(i => !seen.Contains(i)).Max(i => all[i]);
            Assert.Equal(bestUnseen, recs[0].Score, 4);
            int[] some = [0, n / 2, n - 1];
            var picked = new float[3];
            model.Score(u, some, picked);
            for (int t = 0; t < 3; t++) Assert.Equal(all[some[t]], picked[t], 4);
        }

        if (model is IHistoryScorer history)
        {
            // Models that score a history directly give a training user's own scores; fold-in models (a fresh least-squares
            // user step against the final item factors) rank like the user without equal scores.
            var h = new float[n];
            double overlap = 0;
            for (int u = 0; u < 5; u++)
            {
                model.ScoreAllItems(u, all);
                history.ScoreHistory(data.UserItems.RowIndices(u), data.UserItems.RowValues(u), h);
                if (model is IHistoryEmbedder)
                    overlap += TopK.Select(all, 10).Indices.Intersect(TopK.Select(h, 10).Indices).Count() / 10.0 / 5;
                else
                    for (int i = 0; i < n; i++) Assert.Equal(all[i], h[i], 4);
            }
            if (model is IHistoryEmbedder) Assert.True(overlap >= 0.7, $"{algorithm}: fold-in top-10 shares {overlap:P0} with the user's own top-10");
        }

        if (model is IBatchScorer batch)
        {
            int[] users = [4, 0, 9, 4];
            var scores = new float[users.Length * n];
            batch.ScoreAllItems(users, scores);
            for (int b = 0; b < users.Length; b++)
            {
                model.ScoreAllItems(users[b], all);
                for (int i = 0; i < n; i++) Assert.Equal(all[i], scores[b * n + i], 4);
            }
        }

        var path = Path.Combine(TestPaths.NewTempDirectory(), algorithm + ".trove");
        ModelFile.Save(path, model, data);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        var again = new float[n];
        for (int u = 0; u < 10; u++)
        {
            model.ScoreAllItems(u, all);
            loaded.ScoreAllItems(u, again);
            Assert.Equal(all, again);
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Filters_hold_and_similar_lists_leave_out_their_subject(string algorithm)
    {
        var data = Data();
        var model = Create(algorithm);
        model.Fit(data, new FitContext { Seed = 3, Threads = 2 });
        int n = data.ItemCount;
        int[] allowed = [1, 5, 9, 14, 20];
        int[] excluded = [5, 14];
        for (int u = 0; u < 10; u++)
        {
            var seen = data.UserItems.RowIndices(u).ToArray();
            // Out of stock (Exclude), a category page (AllowOnly) and a business rule (Predicate) together, seen items kept out.
            var filter = new ItemFilter { AllowOnly = allowed, Exclude = excluded, Predicate = i => i != 9 };
            var recs = model.Recommend(u, 10, filter);
            var expected = allowed.Except(excluded).Where(i => i != 9 && !seen.Contains(i)).ToArray();
            Assert.Equal(expected.OrderBy(i => i), recs.Select(r => r.Index).OrderBy(i => i));
            Assert.All(recs, r => Assert.True(float.IsFinite(r.Score), $"{algorithm}: a filtered list carries a non-finite score"));

            // Without the seen-item exclusion the user's own items may come back, and only then.
            var everything = model.Recommend(u, n, ItemFilter.None);
            Assert.Equal(n, everything.Select(r => r.Index).Distinct().Count());
        }

        foreach (int item in new[] { 0, 7, n - 1 })
        {
            IReadOnlyList<Scored> similar;
            try { similar = model.SimilarItems(item, 5); }
            catch (Trove.Core.Errors.TroveException) { continue; } // the model says plainly it has no item similarities
            Assert.DoesNotContain(item, similar.Select(s => s.Index));
            Assert.Equal(similar.Count, similar.Select(s => s.Index).Distinct().Count());
            for (int j = 1; j < similar.Count; j++) Assert.True(similar[j - 1].Score >= similar[j].Score);
        }
        foreach (int user in new[] { 0, 13 })
        {
            IReadOnlyList<Scored> similar;
            try { similar = model.SimilarUsers(user, 5); }
            catch (Trove.Core.Errors.TroveException) { continue; }
            Assert.DoesNotContain(user, similar.Select(s => s.Index));
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Cancellation_stops_training(string algorithm)
    {
        var data = Data();
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.ThrowsAny<OperationCanceledException>(() =>
                Create(algorithm).Fit(data, new FitContext { Seed = 3, Threads = 2, Cancellation = cancelled.Token }));
        }

        // Cancelled while it runs: at the first progress report (every long step reports), the fit ends with
        // OperationCanceledException, never with a model that looks trained.
        using var midway = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(midway);
        var model = Create(algorithm);
        var fit = () => model.Fit(data, new FitContext { Seed = 3, Threads = 2, Cancellation = midway.Token, Progress = progress });
        if (!WillReport(algorithm, data)) return;
        Assert.ThrowsAny<OperationCanceledException>(fit);
    }

    /// <summary>True when a plain fit of this algorithm reports progress at least once (so cancelling at the first report is possible).</summary>
    private static bool WillReport(string algorithm, Dataset data)
    {
        var counter = new CancelOnFirstReport(null);
        Create(algorithm).Fit(data, new FitContext { Seed = 3, Threads = 2, Progress = counter });
        return counter.Reports > 0;
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource? source) : IProgressReporter, IProgressTask
    {
        public int Reports;
        private void Report() { Interlocked.Increment(ref Reports); source?.Cancel(); }
        public IProgressTask Start(string description, long total) { Report(); return this; }
        public void Info(string message) => Report();
        public void Advance(long amount = 1) => Report();
        public void Status(string status) => Report();
        public void Dispose() { }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Declared_search_space_binds_at_both_ends(string algorithm)
    {
        var type = BuiltInAlgorithms.Registry.ParametersType(algorithm);
        foreach (var d in SearchSpace.Of(type))
            foreach (double u in new[] { 0.0, 0.5, 0.999 })
            {
                var parameters = SearchSpace.With(type, new Dictionary<string, object> { [d.Name] = d.Draw(u) });
                Assert.IsType(type, parameters);
                ParameterRules.Validate(parameters, algorithm); // the tuner never proposes a value the model refuses
            }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Out_of_range_parameters_fail_at_creation_with_their_name(string algorithm)
    {
        var type = BuiltInAlgorithms.Registry.ParametersType(algorithm);
        ParameterRules.Validate(Activator.CreateInstance(type)!, algorithm); // the defaults are valid
        foreach (var property in type.GetProperties())
        {
            if (property.GetCustomAttributes(typeof(ValidRangeAttribute), true).FirstOrDefault() is not ValidRangeAttribute range) continue;
            string name = Trove.Core.Algorithms.ParameterBinder.Normalise(property.Name);
            double below = range.MinExclusive ? range.Min : range.Min - 1;
            var error = Assert.Throws<Trove.Core.Errors.TroveException>(() =>
                BuiltInAlgorithms.Registry.Create(algorithm, new Dictionary<string, string> { [property.Name] = below.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            Assert.Contains("must be", error.Message);
            Assert.Contains(name, ParameterBinder.Normalise(error.Message));
        }
    }
}
