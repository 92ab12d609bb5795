using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Evaluation.Reports;
using Trove.Models;

namespace Trove.Tests.Evaluation;

public class ColdStartProtocolTests
{
    private const int Groups = 6, UsersPerGroup = 20, ItemsPerGroup = 20;

    /// <summary>
    /// Taste follows an item feature: users and items in 6 groups, every user interacts with about
    /// half of its group's items and nothing else, and each item's "genre" names its group. Users
    /// carry no features, so a model must learn each user's taste from the training interactions
    /// and transfer it to new items through their genre.
    /// </summary>
    private static Dataset GenreTaste(int seed = 11)
    {
        var rng = new Random(seed);
        int users = Groups * UsersPerGroup, items = Groups * ItemsPerGroup;
        var b = new InteractionLogBuilder();
        for (int u = 0; u < users; u++)
            for (int k = 0; k < ItemsPerGroup; k++)
                if (rng.NextDouble() < 0.5) b.Add(u, u / UsersPerGroup * ItemsPerGroup + k, 1f, 0);
        var itemFeatures = new FeatureTable();
        itemFeatures.Categorical["genre"] = Enumerable.Range(0, items).Select(i => "genre" + i / ItemsPerGroup).ToArray();
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(u => $"u{u}")), new IdMap(Enumerable.Range(0, items).Select(i => $"i{i}")),
            b.Build(), null, itemFeatures, "genre-taste");
    }

    [Fact]
    public void Withheld_items_leave_training_entirely_and_are_the_shared_candidates()
    {
        var data = GenreTaste();
        var split = ColdStartProtocol.Split(data, 0.2, seed: 5);
        var candidates = split.Test.Candidates!;
        Assert.Equal(24, candidates.Length); // 20% of the 120 items with interactions
        Assert.Equal(candidates.Order(), candidates);
        Assert.True(split.ColdItems);
        var withheld = candidates.ToHashSet();
        Assert.DoesNotContain(split.Train.Interactions.Items.ToArray(), withheld.Contains);
        Assert.Equal(data.Interactions.Count, split.Train.Interactions.Count + split.TestInteractions!.Count);
        Assert.All(split.TestInteractions.Items.ToArray(), i => Assert.Contains(i, withheld));
        // every user who interacted with a withheld item (and kept training data) is a case, with exactly those items
        for (int c = 0; c < split.Test.Count; c++)
        {
            int u = split.Test.Users[c];
            var expected = data.UserItems.RowIndices(u).ToArray().Where(withheld.Contains).ToArray();
            Assert.Equal(expected, split.Test.Relevant[c]);
        }
        Assert.Equal(Enumerable.Range(0, data.UserCount).Count(u => data.UserItems.RowIndices(u).ToArray().Any(withheld.Contains)), split.Test.Count);
        // features of the withheld items are still there for the models
        Assert.All(candidates, i => Assert.NotNull(split.Train.ItemFeatures.Categorical["genre"][i]));
        // seeded: same seed, same items; another seed, other items
        Assert.Equal(candidates, ColdStartProtocol.Split(data, 0.2, seed: 5).Test.Candidates);
        Assert.NotEqual(candidates, ColdStartProtocol.Split(data, 0.2, seed: 6).Test.Candidates);
    }

    [Fact]
    public void A_bad_fraction_is_a_clear_error()
    {
        var e = Assert.Throws<TroveException>(() => ColdStartProtocol.Split(GenreTaste(), 1.0));
        Assert.Contains("fraction", e.Message);
    }

    [Fact]
    public void Random_ranking_expectation_matches_hand_computed_values()
    {
        // 2 relevant among 3 others, K = 2: each relevant item's rank is uniform on 0..3, so P(rank < 2) = 1/2;
        // E[DCG] = 2 * (1 + 1/log2(3)) / 4, IDCG = 1 + 1/log2(3), so NDCG = 1/2.
        var (recall, ndcg) = Trove.Evaluation.Metrics.RankingMetrics.RandomExpectation(2, 3, 2);
        Assert.Equal(0.5, recall, 12);
        Assert.Equal(0.5, ndcg, 12);
        // K beyond the candidates: the item is always found, at a uniformly random one of 4 positions
        var all = Trove.Evaluation.Metrics.RankingMetrics.RandomExpectation(1, 3, 10);
        Assert.Equal(1.0, all.Recall, 12);
        Assert.Equal((1 + 1 / Math.Log2(3) + 1 / Math.Log2(4) + 1 / Math.Log2(5)) / 4, all.Ndcg, 12);
        // 1 relevant among 9 others, K = 1: recall 1/10, NDCG 1/10
        var one = Trove.Evaluation.Metrics.RankingMetrics.RandomExpectation(1, 9, 1);
        Assert.Equal(0.1, one.Recall, 12);
        Assert.Equal(0.1, one.Ndcg, 12);
    }

    [Fact]
    public void Two_tower_ranks_cold_items_from_features_and_models_without_features_are_not_applicable()
    {
        var data = GenreTaste();
        var split = ColdStartProtocol.Split(data, 0.2, seed: 5);
        var tower = new Dictionary<string, string>
        {
            ["epochs"] = "25", ["learning_rate"] = "0.01", ["batch_size"] = "64", ["validation"] = "false",
            ["dimensions"] = "16", ["embedding_dim"] = "16", ["hidden"] = "32", ["id_dropout"] = "0.3",
        };
        var specs = new[]
        {
            new ModelSpec("popularity"), new ModelSpec("als"),
            new ModelSpec("twotower", tower, "twotower"),
            new ModelSpec("twotower", new Dictionary<string, string>(tower) { ["use_features"] = "false" }, "twotower-ids"),
            new ModelSpec("content"),
        };
        var options = new EvaluationOptions { Ks = [5], Threads = 2 };
        var result = Evaluator.Compare(split, specs, BuiltInAlgorithms.Registry, options, new FitContext { Seed = 3, Threads = 2 });
        var byLabel = result.Models.ToDictionary(m => m.Label);

        foreach (var label in new[] { "popularity", "als", "twotower-ids" })
        {
            Assert.Equal(Evaluator.NoColdItemScoring, byLabel[label].NotApplicable);
            Assert.Empty(byLabel[label].Test.Metrics);
        }
        double random = split.Test.RandomExpectation(5).Recall;
        Assert.Equal(random, result.RandomRanking!["recall@5"]);
        Assert.InRange(random, 0.15, 0.3);
        foreach (var label in new[] { "twotower", "content" })
        {
            Assert.Null(byLabel[label].NotApplicable);
            double recall = byLabel[label].Test["recall@5"];
            Assert.True(recall > 2.5 * random, $"{label}: recall@5 {recall:0.000} vs random {random:0.000}");
        }
        // the report says which models were skipped and why, instead of printing zeros
        var text = ComparisonReport.ToText(result);
        Assert.Contains("als: not applicable, cannot score items without training interactions", text);
        Assert.Contains("among the withheld (cold-start) items only", text);
        Assert.Contains("random ranking of the candidates (expected): recall@5 ", text);
        Assert.Contains("\"not_applicable\"", ComparisonReport.ToJson(result));

        // seeded and deterministic: the same run gives the same numbers
        var again = Evaluator.Compare(split, [specs[2]], BuiltInAlgorithms.Registry, options, new FitContext { Seed = 3, Threads = 2 });
        Assert.Equal(byLabel["twotower"].Test.Metrics, again.Models[0].Test.Metrics);
    }
}
