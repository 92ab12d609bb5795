using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Baselines;
using Trove.Models.Content;
using Trove.Models.Features;
using Trove.Workflows;
using Trove.Tests.Support;

namespace Trove.Tests.Content;

public class ContentModelTests
{
    /// <summary>
    /// 12 items in 3 categories (4 each, items 4k..4k+3 are category k), 9 users; user u likes
    /// category u % 3 and has interacted with two of its items. Popularity: item 0 is the most popular.
    /// </summary>
    internal static Dataset Catalogue()
    {
        string[] cats = ["books", "music", "games"];
        var items = new IdMap(Enumerable.Range(0, 12).Select(i => $"i{i}"));
        var users = new IdMap(Enumerable.Range(0, 9).Select(u => $"u{u}"));
        var features = new FeatureTable();
        features.Categorical["category"] = Enumerable.Range(0, 12).Select(i => (string?)cats[i / 4]).ToArray();
        features.Text["title"] = Enumerable.Range(0, 12).Select(i => (string?)$"{cats[i / 4]} volume {i}").ToArray();
        features.Numeric["price"] = Enumerable.Range(0, 12).Select(i => (float)(10 * (i / 4) + i % 4)).ToArray();
        var b = new InteractionLogBuilder();
        for (int u = 0; u < 9; u++)
        {
            int c = u % 3;
            b.Add(u, 4 * c + u / 3 % 4, 1f);
            b.Add(u, 4 * c + (u / 3 + 1) % 4, 1f);
            b.Add(u, 0, 0.5f); // everyone touched item 0 (popular)
        }
        return new Dataset(users, items, b.Build(), null, features, "catalogue");
    }

    [Fact]
    public void Content_recommends_items_similar_in_features()
    {
        var data = Catalogue();
        var model = new ContentBased(new ContentParameters { ItemFeatures = [new EncoderSpec { Group = "categorical" }] });
        model.Fit(data, FitContext.Default);
        for (int u = 1; u < 9; u++)
        {
            if (u % 3 == 0) continue; // category 0 users also have item 0 of their own category
            var recs = model.Recommend(u, 2);
            int c = u % 3;
            Assert.All(recs, r => Assert.Equal(c, r.Index / 4));
        }
        // Similar items: same category first.
        var similar = model.SimilarItems(5, 3);
        Assert.All(similar, s => Assert.Equal(1, s.Index / 4));
        Assert.Equal(1f, similar[0].Score, 4);
    }

    [Fact]
    public void A_new_item_embedded_from_features_gets_the_vector_a_trained_item_with_those_features_has()
    {
        var data = Catalogue();
        var model = new ContentBased();
        model.Fit(data, FitContext.Default);
        INewItemEmbedder embedder = model;
        Assert.True(embedder.CanEmbedNewItems);
        // Items i5 and i9 described again as new items: the fitted encoders give them their trained vectors.
        var features = new FeatureTable();
        features.Categorical["category"] = ["music", "games"];
        features.Text["title"] = [data.ItemFeatures.Text["title"][5], data.ItemFeatures.Text["title"][9]];
        features.Numeric["price"] = [data.ItemFeatures.Numeric["price"][5], data.ItemFeatures.Numeric["price"][9]];
        var vectors = embedder.EmbedNewItems(new IdMap(["x5", "x9"]), features);
        Assert.Equal(2 * model.Dimensions, vectors.Length);
        for (int d = 0; d < model.Dimensions; d++)
        {
            Assert.Equal(model.ItemVector(5)[d], vectors[d], 5);
            Assert.Equal(model.ItemVector(9)[d], vectors[model.Dimensions + d], 5);
        }
    }

    [Fact]
    public void Content_scores_cold_start_items_with_features()
    {
        var data = Catalogue();
        // Add an item nobody interacted with, in category "music".
        var items = new IdMap(data.Items.Ids.Append("new"));
        var f = data.ItemFeatures;
        var features = new FeatureTable();
        features.Categorical["category"] = [.. f.Categorical["category"], "music"];
        var cold = new Dataset(data.Users, items, data.Interactions, null, features, "cold");
        var model = new ContentBased();
        model.Fit(cold, FitContext.Default);
        var scores = new float[items.Count];
        model.ScoreAllItems(1, scores); // user 1 likes music
        Assert.True(scores[12] > 0.5f, $"cold item score {scores[12]}");
        Assert.Contains(model.Recommend(1, 3), r => r.Index == 12);
        Assert.Equal(4, model.SimilarItems(12, 3).Count(s => s.Index / 4 == 1) + 1);
    }

    [Fact]
    public void Content_without_item_features_is_a_clear_error()
    {
        var data = Catalogue();
        var bare = new Dataset(data.Users, data.Items, data.Interactions);
        var e = Assert.Throws<TroveException>(() => new ContentBased().Fit(bare, FitContext.Default));
        Assert.Contains("no features", e.Message);
    }

    [Fact]
    public void Hybrid_with_only_popularity_weight_ranks_like_popularity()
    {
        var data = Catalogue();
        var pop = new Popularity();
        pop.Fit(data, FitContext.Default);
        foreach (var norm in new[] { "minmax", "rank", "zscore" })
        {
            var hybrid = new Hybrid(new HybridParameters { ContentWeight = 0, CollaborativeWeight = 0, PopularityWeight = 1, Normalization = norm });
            hybrid.Fit(data, FitContext.Default);
            Assert.Null(hybrid.Content);
            Assert.Null(hybrid.CollaborativeModel);
            for (int u = 0; u < data.UserCount; u++)
                Assert.Equal(pop.Recommend(u, 5).Select(r => r.Index), hybrid.Recommend(u, 5).Select(r => r.Index));
        }
    }

    [Fact]
    public void Hybrid_blends_normalised_components_by_weight()
    {
        var data = Catalogue();
        var hybrid = new Hybrid(new HybridParameters { ContentWeight = 0.5f, CollaborativeWeight = 0.3f, PopularityWeight = 0.2f, Normalization = "minmax" });
        hybrid.Fit(data, FitContext.Default);
        int u = 4, n = data.ItemCount;
        var content = new float[n]; hybrid.Content!.ScoreAllItems(u, content);
        var cf = new float[n]; hybrid.CollaborativeModel!.ScoreAllItems(u, cf);
        var pop = hybrid.Popularity.ToArray();
        Hybrid.Normalise(content, "minmax"); Hybrid.Normalise(cf, "minmax"); Hybrid.Normalise(pop, "minmax");
        var scores = new float[n];
        hybrid.ScoreAllItems(u, scores);
        for (int i = 0; i < n; i++) Assert.Equal(0.5f * content[i] + 0.3f * cf[i] + 0.2f * pop[i], scores[i], 5);
        Assert.InRange(scores.Max(), 0f, 1f + 1e-5f);
    }

    [Fact]
    public void Hybrid_without_item_features_skips_the_content_part()
    {
        var data = Catalogue();
        var bare = new Dataset(data.Users, data.Items, data.Interactions);
        var hybrid = new Hybrid();
        hybrid.Fit(bare, FitContext.Default);
        Assert.Null(hybrid.Content);
        Assert.NotNull(hybrid.CollaborativeModel);
        Assert.Equal(3, hybrid.Recommend(0, 3).Count);
        // Explicit features that do not exist are an error, not silently skipped.
        Assert.Throws<TroveException>(() => new Hybrid(new HybridParameters { ItemFeatures = [new EncoderSpec { Group = "text" }] }).Fit(bare, FitContext.Default));
    }

    [Fact]
    public void Normalisation_methods_hand_computed()
    {
        float[] a = [2, 4, 4, 10];
        var minmax = (float[])a.Clone(); Hybrid.Normalise(minmax, "minmax");
        Assert.Equal([0f, 0.25f, 0.25f, 1f], minmax);
        var rank = (float[])a.Clone(); Hybrid.Normalise(rank, "rank");
        Assert.Equal([0f, 0.5f, 0.5f, 1f], rank);
        var z = (float[])a.Clone(); Hybrid.Normalise(z, "zscore");
        Assert.Equal(-1f, z[0], 4); // mean 5, std 3
        Assert.Equal(5f / 3f, z[3], 4);
    }

    [Fact]
    public void Hybrid_collaborative_part_is_configurable_and_validated()
    {
        var data = Catalogue();
        var hybrid = new Hybrid(new HybridParameters { Collaborative = "userknn", CollaborativeParameters = JsonSerializer.SerializeToElement(new { neighbours = 3 }) });
        hybrid.Fit(data, FitContext.Default);
        Assert.Equal("userknn", hybrid.CollaborativeModel!.Algorithm);
        Assert.Throws<TroveException>(() => new Hybrid(new HybridParameters { PopularityWeight = -1 }).Fit(data, FitContext.Default));
        Assert.Throws<TroveException>(() => new Hybrid(new HybridParameters { Normalization = "softmax" }).Fit(data, FitContext.Default));
        Assert.Throws<TroveException>(() => new Hybrid(new HybridParameters { Collaborative = "nope" }).Fit(data, FitContext.Default));
    }

    [Theory]
    [InlineData("content")]
    [InlineData("hybrid")]
    public void Models_save_and_load_with_the_model_file(string algorithm)
    {
        var data = Catalogue();
        var path = Path.Combine(TestPaths.NewTempDirectory(), "m.trove");
        var trained = ModelTrainer.Train(data, algorithm, null, FitContext.Default, path);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry);
        Assert.Equal(algorithm, loaded.Manifest.Algorithm);
        for (int u = 0; u < data.UserCount; u++)
        {
            var a = new float[data.ItemCount]; var b = new float[data.ItemCount];
            trained.Model.ScoreAllItems(u, a);
            loaded.Model.ScoreAllItems(u, b);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 5);
        }
        Assert.Equal(trained.Model.SimilarItems(3, 4), loaded.Model.SimilarItems(3, 4));
    }

    [Fact]
    public void Samples_never_use_a_users_own_items_as_negatives()
    {
        var data = Catalogue();
        foreach (var strategy in new[] { "uniform", "popularity" })
        {
            var s = SampleGenerator.Generate(data, new SampleSettings { NegativeRatio = 3, Strategy = strategy }, seed: 7);
            var m = data.UserItems;
            int pairs = Enumerable.Range(0, data.UserCount).Sum(u => m.RowLength(u));
            Assert.Equal(26, pairs); // user 0's two events on item 0 are one pair
            Assert.Equal(pairs, s.Positives);
            Assert.Equal(pairs * 4, s.Count);
            for (int k = 0; k < s.Count; k++)
            {
                bool own = m.RowIndices(s.Users[k]).Contains(s.Items[k]);
                Assert.Equal(s.Labels[k] > 0, own);
            }
            Assert.Equal(s.Items, SampleGenerator.Generate(data, new SampleSettings { NegativeRatio = 3, Strategy = strategy }, seed: 7).Items);
        }
    }

    [Fact]
    public void Negatives_per_user_and_csv_export()
    {
        var data = Catalogue();
        var s = SampleGenerator.Generate(data, new SampleSettings { NegativesPerUser = 5 }, 2);
        Assert.Equal(26 + 9 * 5, s.Count);
        for (int u = 0; u < data.UserCount; u++)
            Assert.Equal(5, Enumerable.Range(0, s.Count).Count(k => s.Users[k] == u && s.Labels[k] == 0));
        var path = Path.Combine(TestPaths.NewTempDirectory(), "pairs.csv");
        SampleGenerator.WriteCsv(s, data, path);
        var lines = File.ReadAllLines(path);
        Assert.Equal("user_id,item_id,label", lines[0]);
        Assert.Equal(s.Count + 1, lines.Length);
        Assert.Equal($"u0,i{s.Items[0]},1", lines[1]);
    }

    [Fact]
    public void Popularity_weighted_negatives_favour_popular_items()
    {
        // 100 items; item 50 is touched by users 10..59; users 0..9 touched only item 0.
        int users = 60, items = 100;
        var b = new InteractionLogBuilder();
        for (int u = 0; u < 10; u++) b.Add(u, 0, 1f);
        for (int u = 10; u < users; u++) b.Add(u, 50, 1f);
        var data = new Dataset(new IdMap(Enumerable.Range(0, users).Select(x => $"u{x}")), new IdMap(Enumerable.Range(0, items).Select(x => $"i{x}")), b.Build());
        double Share50(string strategy)
        {
            var s = SampleGenerator.Generate(data, new SampleSettings { NegativeRatio = 20, Strategy = strategy }, 1);
            var negatives = Enumerable.Range(0, s.Count).Where(k => s.Users[k] < 10 && s.Labels[k] == 0).ToList();
            Assert.Equal(200, negatives.Count);
            return negatives.Count(k => s.Items[k] == 50) / (double)negatives.Count;
        }
        Assert.True(Share50("popularity") > 0.9, $"popularity share {Share50("popularity")}");
        Assert.True(Share50("uniform") < 0.1, $"uniform share {Share50("uniform")}");
    }

    [Fact]
    public void Sampled_auc_is_high_for_a_model_that_separates_pairs()
    {
        var data = Catalogue();
        var model = new ContentBased(new ContentParameters { ItemFeatures = [new EncoderSpec { Group = "categorical" }] });
        model.Fit(data, FitContext.Default);
        var s = SampleGenerator.Generate(data, new SampleSettings { NegativeRatio = 4 }, 3);
        Assert.True(SampleGenerator.Auc(model, s) > 0.8);
    }
}
