using System.Text.Json;
using Trove.Core.Data;
using Trove.Models.Search;

namespace Trove.Tests.Search;

/// <summary>BM25, reciprocal-rank fusion, the saved index and personalised re-ranking (TF-IDF as the dense encoder: fast).</summary>
public class SearchTests
{
    private static (FeatureTable Features, IdMap Items) Catalogue(params string?[] titles)
    {
        var t = new FeatureTable();
        t.Text["title"] = titles;
        return (t, new IdMap(Enumerable.Range(0, titles.Length).Select(i => $"i{i}")));
    }

    /// <summary>The formula written out for one document, independently of the index's postings and precomputed norms.</summary>
    private static double Bm25Reference(string[] query, string[][] docs, int d, double k1 = 1.2, double b = 0.75)
    {
        double avgdl = docs.Average(x => x.Length), score = 0;
        foreach (var term in query.Distinct())
        {
            int df = docs.Count(x => x.Contains(term));
            int tf = docs[d].Count(t => t == term);
            if (tf == 0) continue;
            double idf = Math.Log(1 + (docs.Length - df + 0.5) / (df + 0.5));
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * docs[d].Length / avgdl));
        }
        return score;
    }

    [Fact]
    public void Bm25_matches_the_scalar_reference_and_a_hand_computed_value()
    {
        string[] docs = ["Red apple", "red RED car", "green car wash"];
        var index = new Bm25Index(docs);
        var hits = index.Search("red car", 10);
        var tokens = docs.Select(d => d.ToLowerInvariant().Split(' ')).ToArray();
        Assert.Equal([1, 0, 2], hits.Select(h => h.Index));
        foreach (var h in hits) Assert.Equal(Bm25Reference(["red", "car"], tokens, h.Index), h.Score, 5);
        // By hand: idf(red) = idf(car) = ln(1 + 1.5 / 2.5) = ln 1.6; avgdl = 8/3; document 1 has red twice and car once in 3 tokens:
        // ln 1.6 * (2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / (8/3))) + 2.2 / (1 + 1.3125)) = 0.4700036 * 2.2796530 = 1.0714452
        Assert.Equal(1.0714452, hits[0].Score, 5);
        Assert.Empty(index.Search("bicycle", 10));
        Assert.Empty(new Bm25Index(["The Lord of the Rings"]).Search("the of", 10)); // stop words never match
        Assert.Equal([2], index.Search("car", 10, filter: i => i != 1).Select(h => h.Index));
    }

    [Fact]
    public void Reciprocal_rank_fusion_adds_weighted_votes_by_rank()
    {
        var fused = RankFusion.Fuse([([1, 2, 3], 1f), ([3, 1], 1f)]);
        // 1: 1/61 + 1/62; 3: 1/63 + 1/61; 2: 1/62
        Assert.Equal([1, 3, 2], fused.Select(f => f.Item));
        Assert.Equal(1 / 61f + 1 / 62f, fused[0].Score, 6);
        var favourSecond = RankFusion.Fuse([([1, 2, 3], 1f), ([3, 1], 3f)]);
        // 3: 1/63 + 3/61 = 0.06505 beats 1: 1/61 + 3/62 = 0.06478
        Assert.Equal([3, 1, 2], favourSecond.Select(f => f.Item));
        Assert.Equal([1, 2, 3], RankFusion.Fuse([([1, 2, 3], 1f), ([3, 1], 0f)]).Select(f => f.Item));
    }

    /// <summary>Per-list scaling then the weighted sum, written out in doubles, independently of ScoreFusion.</summary>
    private static Dictionary<int, double> ScoreFusionReference((int Item, float Score)[][] lists, float[] weights, bool distribution)
    {
        var fused = new Dictionary<int, double>();
        for (int l = 0; l < lists.Length; l++)
        {
            if (weights[l] == 0 || lists[l].Length == 0) continue;
            double[] s = lists[l].Select(h => (double)h.Score).ToArray();
            double lo = s.Min(), hi = s.Max(), mean = s.Average(), sd = Math.Sqrt(s.Select(v => (v - mean) * (v - mean)).Sum() / s.Length);
            for (int j = 0; j < s.Length; j++)
            {
                double scaled = distribution
                    ? (sd > 0 ? Math.Min(1, Math.Max(0, (s[j] - (mean - 3 * sd)) / (6 * sd))) : 1)
                    : (hi > lo ? (s[j] - lo) / (hi - lo) : 1);
                fused[lists[l][j].Item] = fused.GetValueOrDefault(lists[l][j].Item) + weights[l] * scaled;
            }
        }
        return fused;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Score_fusion_matches_the_scalar_reference(bool distribution)
    {
        var random = new Random(7);
        for (int trial = 0; trial < 100; trial++)
        {
            // A cosine-like list and a BM25-like list over 60 items, overlapping at random; some empty, some weights 0,
            // some with one outlier (where min-max and mean +- 3 sd differ most), some all equal.
            var lists = Enumerable.Range(0, 2).Select(l => Enumerable.Range(0, 60).OrderBy(_ => random.Next()).Take(random.Next(0, 30))
                .Select((item, j) => (item, Score: trial % 7 == 3 ? 2.5f : l == 0 ? (float)(random.NextDouble() * 2 - 1) : (float)(random.NextDouble() * 12) + (j == 0 && trial % 3 == 0 ? 40 : 0)))
                .OrderByDescending(h => h.Score).ToArray()).ToArray();
            var weights = new[] { (float)(random.NextDouble() * 3), trial % 5 == 0 ? 0f : (float)(random.NextDouble() * 3) };
            var input = lists.Select((hits, l) => ((IReadOnlyList<(int, float)>)hits, weights[l])).ToList();
            var fused = distribution ? ScoreFusion.Distribution(input) : ScoreFusion.MinMax(input);
            var reference = ScoreFusionReference(lists, weights, distribution);
            Assert.Equal(reference.Keys.Order(), fused.Select(f => f.Item).Order());
            foreach (var (item, score) in fused) Assert.Equal(reference[item], score, 1e-5);
            for (int j = 1; j < fused.Count; j++)
                Assert.True(fused[j - 1].Score > fused[j].Score || (fused[j - 1].Score == fused[j].Score && fused[j - 1].Item < fused[j].Item), $"trial {trial}: not best first at {j}");
        }
    }

    [Fact]
    public void Min_max_fusion_by_hand_and_the_adaptive_weight_scales_only_the_keyword_list()
    {
        IReadOnlyList<(int, float)> dense = [(1, 0.9f), (2, 0.5f), (3, 0.1f)], sparse = [(3, 10f), (4, 4f)];
        // dense scaled 1, 0.5, 0; sparse 1, 0: item 1 = 1, item 3 = 0 + 1 (tie with 1: lower index first), item 2 = 0.5, item 4 = 0.
        var fused = ScoreFusion.MinMax([(dense, 1f), (sparse, 1f)]);
        Assert.Equal([1, 3, 2, 4], fused.Select(f => f.Item));
        Assert.Equal([1.0, 1.0, 0.5, 0.0], fused.Select(f => (double)f.Score), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal([(7, 2f)], ScoreFusion.MinMax([([(7, 0.3f)], 2f)])); // one hit (all scores equal) scales to 1

        var request = new SearchRequest { Query = "x", Fusion = SearchFusion.MinMax, DenseWeight = 1.5f, SparseWeight = 2f, Adaptive = true };
        Assert.Equal(ScoreFusion.MinMax([(dense, 1.5f), (sparse, 2f * 0.25f)]), ItemSearch.Fuse(request, dense, sparse, 0.25f));
        Assert.Equal(ScoreFusion.Distribution([(dense, 1.5f), (sparse, 2f * 0.25f)]), ItemSearch.Fuse(request with { Fusion = SearchFusion.Dbsf }, dense, sparse, 0.25f));
        Assert.Equal(RankFusion.Fuse([([1, 2, 3], 1.5f), ([3, 4], 0.5f)], 10), ItemSearch.Fuse(request with { Fusion = SearchFusion.Rrf, FusionConstant = 10 }, dense, sparse, 0.25f));
    }

    [Fact]
    public void Coverage_is_the_share_of_the_query_idf_mass_a_document_holds()
    {
        var index = new Bm25Index(["red apple", "red car", "green car wash"]);
        double red = Math.Log(1 + 1.5 / 2.5), green = Math.Log(1 + 2.5 / 1.5), unseen = Math.Log(1 + 3.5 / 0.5); // N = 3; df 2, 1, 0
        Assert.Equal(red / (red + green), index.Coverage("red green", 0), 5);
        Assert.Equal(1.0, index.Coverage("Green wash", 2), 5);
        Assert.Equal(red / (red + unseen), index.Coverage("the red unicorn", 1), 5); // a word no document has still counts in the mass
        Assert.Equal(0f, index.Coverage("apple", 2));
        Assert.Equal(0f, index.Coverage("the of", 0)); // stop words only: no terms
    }

    [Fact]
    public void A_search_with_the_adaptive_weight_trusts_keywords_only_as_far_as_the_best_hit_holds_the_query()
    {
        // "car wash": item 2 holds both words, so BM25 counts fully; "car spaceship": no item holds both, so the BM25
        // weight drops to the best hit's idf share and the fused order equals a plain fusion at that weight.
        var (features, items) = Catalogue("red apple", "red car", "green car wash", "blue spaceship toy");
        var search = new ItemSearch(SearchIndex.Build(features, items, SearchIndex.Spec("tfidf")));
        foreach (var query in new[] { "car wash", "car spaceship" })
        {
            var request = new SearchRequest { Query = query, Fusion = SearchFusion.MinMax, Adaptive = true, K = 4 };
            var sparse = search.Index.Sparse.Search(query, 100).Select(h => (h.Index, h.Score)).ToList();
            var dense = search.Search(request with { Mode = SearchMode.Dense, K = 100 }).Select(h => (h.Item, h.Score)).ToList();
            float coverage = search.Index.Sparse.Coverage(query, sparse[0].Index);
            Assert.Equal(ItemSearch.Fuse(request with { Adaptive = false, SparseWeight = coverage }, dense, sparse, 1f).Take(4).Select(f => f.Item),
                search.Search(request).Select(h => h.Item));
            Assert.Equal(query == "car wash", coverage == 1f);
        }
    }

    [Fact]
    public void Bad_fusion_settings_are_one_line_errors()
    {
        var (features, items) = Catalogue("shirt");
        var search = new ItemSearch(SearchIndex.Build(features, items, SearchIndex.Spec("tfidf")));
        foreach (var (request, expected) in new[]
                 {
                     (new SearchRequest { Query = "shirt", DenseWeight = 0, SparseWeight = 0 }, "not both 0"),
                     (new SearchRequest { Query = "shirt", SparseWeight = float.NaN }, "Fusion weights"),
                     (new SearchRequest { Query = "shirt", FusionConstant = -1 }, "fusion constant"),
                     (new SearchRequest { Query = "shirt", Fusion = (SearchFusion)9 }, "rrf, minmax or dbsf"),
                 })
        {
            var e = Assert.Throws<Trove.Core.Errors.TroveException>(() => search.Search(request));
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.False(SearchFusions.TryParse("borda", out _));
        Assert.True(SearchFusions.TryParse(" DBSF ", out var dbsf) && dbsf == SearchFusion.Dbsf);
    }

    [Fact]
    public void A_saved_index_is_reused_for_the_same_items_and_refused_for_changed_ones()
    {
        var (features, items) = Catalogue("wireless mouse", "mechanical keyboard", "usb cable", null);
        var index = SearchIndex.Build(features, items, SearchIndex.Spec("tfidf"));
        using var ms = new MemoryStream();
        index.Save(ms);
        ms.Position = 0;
        var loaded = SearchIndex.TryLoad(ms, "mem", features, items, out var stale, out _);
        Assert.NotNull(loaded);
        Assert.Null(stale);
        var request = new SearchRequest { Query = "keyboard", K = 2 };
        Assert.Equal(new ItemSearch(index).Search(request).Select(h => h.Item), new ItemSearch(loaded!).Search(request).Select(h => h.Item));
        Assert.Equal(1, new ItemSearch(loaded!).Search(request)[0].Item);

        features.Text["title"][2] = "hdmi cable";
        ms.Position = 0;
        Assert.Null(SearchIndex.TryLoad(ms, "mem", features, items, out stale, out _));
        Assert.Contains("other item texts", stale);
    }

    [Fact]
    public void A_host_without_the_index_encoder_searches_from_memory_and_leaves_the_file_alone()
    {
        var dir = Trove.Tests.Support.TestPaths.NewTempDirectory();
        var data = Trove.Tests.Server.ServerHost.Toy();
        var path = Path.Combine(dir, "pop.trove");
        var trained = Trove.Core.Persistence.ModelFile.Save(path, FitPopularity(data), data);
        SearchIndexFile.LoadOrBuild(path, trained, "minilm", persist: true, null, out var first);
        Assert.Equal("built", first);
        var saved = File.ReadAllBytes(SearchIndexFile.PathFor(path));

        // A host that registered only the built-in encoders (no Trove.Semantic).
        var builtIn = new Trove.Models.Features.FeatureEncoderRegistry()
            .Register("tfidf", "test", s => new Trove.Models.Features.TfidfEncoder(s), "text");
        var index = SearchIndexFile.LoadOrBuild(path, trained, null, persist: true, null, out var source, registry: builtIn);
        Assert.Equal("tfidf", index.Encoder.Encoder);
        Assert.StartsWith("rebuilt", source);
        Assert.Contains("Trove.Semantic", source);
        Assert.Equal(saved, File.ReadAllBytes(SearchIndexFile.PathFor(path)));
        Assert.Equal(2, new ItemSearch(index).Search(new SearchRequest { Query = "Cosmos", K = 1 })[0].Item);
    }

    private static Trove.Models.Baselines.Popularity FitPopularity(Trove.Core.Data.Dataset data)
    {
        var model = new Trove.Models.Baselines.Popularity();
        model.Fit(data, Trove.Core.Training.FitContext.Default);
        return model;
    }

    [Fact]
    public void Categorical_labels_are_searchable_and_modes_use_their_own_scores()
    {
        var (features, items) = Catalogue("The Matrix", "Toy Story", "Heat");
        features.Categorical["genre"] = ["Action|Sci-Fi", "Animation|Comedy", "Action|Crime"];
        var search = new ItemSearch(SearchIndex.Build(features, items, SearchIndex.Spec("tfidf")));
        var sparse = search.Search(new SearchRequest { Query = "comedy", Mode = SearchMode.Sparse });
        Assert.Equal([1], sparse.Select(h => h.Item));
        Assert.Equal(sparse[0].SparseScore, sparse[0].Score);
        var hybrid = search.Search(new SearchRequest { Query = "action", Mode = SearchMode.Hybrid, Fusion = SearchFusion.Rrf, K = 2 });
        Assert.Equal([0, 2], hybrid.Select(h => h.Item).Order());
        // Both found by the keyword; a reciprocal-rank score is at most the two lists' first-place votes.
        Assert.All(hybrid, h => { Assert.NotNull(h.SparseRank); Assert.True(h.Score <= 2f / 61 + 1e-6); });
        // The default (scaled scores): at most the sum of the weights, each list scaled into 0..1.
        var scaled = search.Search(new SearchRequest { Query = "action", K = 2 });
        Assert.Equal([0, 2], scaled.Select(h => h.Item).Order());
        Assert.All(scaled, h => Assert.True(h.Score is > 0 and <= 2f));
        Assert.Equal([0, 2], search.Search(new SearchRequest { Query = "action", K = 5, Filter = i => i != 1 }).Select(h => h.Item).Order());
    }

    [Fact]
    public void A_user_score_reranks_the_candidates_by_the_configured_blend()
    {
        var (features, items) = Catalogue("blue shirt", "blue shirt with pocket", "red shirt");
        var search = new ItemSearch(SearchIndex.Build(features, items, SearchIndex.Spec("tfidf")));
        var anonymous = search.Search(new SearchRequest { Query = "blue shirt", Mode = SearchMode.Sparse });
        Assert.Equal(0, anonymous[0].Item);
        // This user's model prefers the red shirt, then the one with a pocket.
        float[] Prefers(IReadOnlyList<int> candidates) => candidates.Select(i => i switch { 2 => 5f, 1 => 3f, _ => 0f }).ToArray();
        var personal = search.Search(new SearchRequest { Query = "blue shirt", Mode = SearchMode.Sparse, UserScores = Prefers, PersonalWeight = 1f });
        Assert.Equal([2, 1, 0], personal.Select(h => h.Item));
        Assert.Equal(5f, personal[0].UserScore);
        var slight = search.Search(new SearchRequest { Query = "blue shirt", Mode = SearchMode.Sparse, UserScores = Prefers, PersonalWeight = 0.1f });
        Assert.Equal(0, slight[0].Item); // relevance still dominates
        Assert.Equal(anonymous.Select(h => h.Item), search.Search(new SearchRequest { Query = "blue shirt", Mode = SearchMode.Sparse, UserScores = Prefers, PersonalWeight = 0 }).Select(h => h.Item));
    }

    [Theory]
    [InlineData("", 10, "empty")]
    [InlineData("shirt", 0, "k must be between 1 and 10000")]
    public void Bad_requests_are_one_line_errors(string query, int k, string expected)
    {
        var (features, items) = Catalogue("shirt");
        var search = new ItemSearch(SearchIndex.Build(features, items, SearchIndex.Spec("tfidf")));
        var e = Assert.Throws<Trove.Core.Errors.TroveException>(() => search.Search(new SearchRequest { Query = query, K = k }));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}

/// <summary>Dense retrieval with the pretrained encoder finds what keywords cannot (tiny corpus: MiniLM encodes ~140 texts/s).</summary>
public class SemanticSearchTests
{
    [Fact]
    public void Hybrid_search_finds_an_item_by_paraphrase_where_keyword_search_finds_nothing()
    {
        var t = new FeatureTable();
        t.Text["title"] = ["Slapstick comedy full of hilarious pranks", "Documentary about deep sea creatures", "Space war epic with laser battles",
            "Romantic drama set in Paris", "Horror story in a haunted house"];
        var items = new IdMap(Enumerable.Range(0, 5).Select(i => $"m{i}"));
        var index = SearchIndex.Build(t, items);
        Assert.Equal("minilm", index.Encoder.Encoder); // the default once Trove.Semantic is registered
        var search = new ItemSearch(index);
        Assert.Empty(search.Search(new SearchRequest { Query = "funny jokes", Mode = SearchMode.Sparse }));
        Assert.Equal(0, search.Search(new SearchRequest { Query = "funny jokes", Mode = SearchMode.Dense })[0].Item);
        Assert.Equal(0, search.Search(new SearchRequest { Query = "funny jokes", Mode = SearchMode.Hybrid })[0].Item);
        Assert.Equal(1, search.Search(new SearchRequest { Query = "ocean animals film", Mode = SearchMode.Hybrid })[0].Item);
        // A keyword the embedding may rank lower still counts through BM25.
        Assert.Equal(3, search.Search(new SearchRequest { Query = "Paris", Mode = SearchMode.Hybrid })[0].Item);
    }
}
