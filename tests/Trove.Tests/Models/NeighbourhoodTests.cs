using Trove.Core.Data;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Neighbourhood;
using Trove.Numerics.Sparse;

namespace Trove.Tests.Models;

public class NeighbourhoodTests
{
    // Items x users:           u0 u1 u2
    //   item a (0):             1  2  0
    //   item b (1):             2  0  3
    //   item c (2):             0  1  1
    private static readonly CsrMatrix ItemUsers = CsrMatrix.FromCoordinates(3, 3,
        [0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 1, 2], [1f, 2f, 2f, 3f, 1f, 1f]);

    private static ItemKnnParameters Settings(SimilarityMetric metric, float shrink = 0) => new()
    {
        Similarity = metric, Shrink = shrink, Weighting = InteractionWeighting.None, Neighbours = 10,
    };

    private static float Sim(CsrMatrix neighbours, int a, int b) => neighbours[a, b];

    [Fact]
    public void Cosine_matches_hand_computation_with_shrinkage()
    {
        // a.b = 1*2 = 2; |a| = sqrt(5); |b| = sqrt(13); a.c = 2; |c| = sqrt(2); b.c = 3.
        var nb = SimilarityBuilder.Neighbours(ItemUsers, Settings(SimilarityMetric.Cosine), threads: 1);
        Assert.Equal(2 / MathF.Sqrt(5 * 13), Sim(nb, 0, 1), 5);
        Assert.Equal(2 / MathF.Sqrt(5 * 2), Sim(nb, 0, 2), 5);
        Assert.Equal(3 / MathF.Sqrt(13 * 2), Sim(nb, 1, 2), 5);
        var shrunk = SimilarityBuilder.Neighbours(ItemUsers, Settings(SimilarityMetric.Cosine, shrink: 5), threads: 1);
        Assert.Equal(2 / (MathF.Sqrt(5 * 13) + 5), Sim(shrunk, 0, 1), 5);
        Assert.Equal(0f, Sim(nb, 0, 0)); // an item is never its own neighbour
    }

    [Fact]
    public void Jaccard_uses_the_overlap_of_user_sets()
    {
        // a = {u0,u1}, b = {u0,u2}, c = {u1,u2}: every pair shares 1 of 3 users.
        var nb = SimilarityBuilder.Neighbours(ItemUsers, Settings(SimilarityMetric.Jaccard), threads: 1);
        Assert.Equal(1f / 3, Sim(nb, 0, 1), 5);
        Assert.Equal(1f / 3, Sim(nb, 1, 2), 5);
    }

    [Fact]
    public void Pearson_centres_each_item_on_its_mean_and_drops_negative_correlation()
    {
        // a centred: u0 -0.5, u1 +0.5 ; b centred: u0 -0.5, u2 +0.5 ; c centred: 0, 0.
        // a.b = 0.25; |a| = |b| = sqrt(0.5) -> 0.5. c has zero norm -> similarity 0 -> dropped.
        var nb = SimilarityBuilder.Neighbours(ItemUsers, Settings(SimilarityMetric.Pearson), threads: 1);
        Assert.Equal(0.5f, Sim(nb, 0, 1), 5);
        Assert.False(nb.Contains(0, 2));

        // Opposite tastes: x = (1, 5), y = (5, 1) over two users -> correlation -1: not a neighbour.
        var opposite = CsrMatrix.FromCoordinates(2, 2, [0, 0, 1, 1], [0, 1, 0, 1], [1f, 5f, 5f, 1f]);
        Assert.Equal(0, SimilarityBuilder.Neighbours(opposite, Settings(SimilarityMetric.Pearson), threads: 1).NonZeros);
    }

    [Fact]
    public void Min_shared_threshold_and_neighbour_count_prune_the_lists()
    {
        var minShared = Settings(SimilarityMetric.Cosine) with { MinShared = 2 };
        Assert.Equal(0, SimilarityBuilder.Neighbours(ItemUsers, minShared, threads: 1).NonZeros);
        var threshold = Settings(SimilarityMetric.Cosine) with { Threshold = 0.5f }; // only a-c (0.632) and b-c (0.588) pass
        var nb = SimilarityBuilder.Neighbours(ItemUsers, threshold, threads: 1);
        Assert.False(nb.Contains(0, 1));
        Assert.True(nb.Contains(0, 2));
        var one = Settings(SimilarityMetric.Cosine) with { Neighbours = 1 };
        var top1 = SimilarityBuilder.Neighbours(ItemUsers, one, threads: 2);
        Assert.Equal(1, top1.RowLength(0));
        Assert.True(top1.Contains(0, 2)); // c (0.632) beats b (0.248) for a
    }

    [Fact]
    public void ItemKnn_scores_sum_the_similarities_of_history_items_and_seen_items_are_excluded()
    {
        var data = Toy();
        var model = new ItemKnn(Settings(SimilarityMetric.Jaccard));
        model.Fit(data, FitContext.Default);
        // user 0 has a (w1) and b (w2); by default each history item counts once: c = sim(a,c) + sim(b,c) = 2/3.
        var scores = new float[3];
        model.ScoreAllItems(0, scores);
        Assert.Equal(2f / 3, scores[2], 5);
        var recs = model.Recommend(0, 5);
        Assert.Equal([2], recs.Select(r => r.Index));
        Assert.Equal(3, model.Recommend(0, 5, ItemFilter.None).Count);

        // With history weights: c = 1*sim(a,c) + 2*sim(b,c) = 1/3 + 2/3 = 1.
        var weighted = new ItemKnn(Settings(SimilarityMetric.Jaccard) with { UseHistoryWeights = true });
        weighted.Fit(data, FitContext.Default);
        weighted.ScoreAllItems(0, scores);
        Assert.Equal(1f, scores[2], 5);
    }

    [Fact]
    public void UserKnn_recommends_what_similar_users_have()
    {
        // Users 0 and 1 share items 0,1; user 1 also has item 2. User 2 only has item 3.
        var users = new IdMap(["u0", "u1", "u2"]);
        var items = new IdMap(["i0", "i1", "i2", "i3"]);
        var log = new InteractionLog([0, 0, 1, 1, 1, 2], [0, 1, 0, 1, 2, 3], [1, 1, 1, 1, 1, 1], new long[6], new short[] { -1, -1, -1, -1, -1, -1 }, []);
        var model = new UserKnn(new UserKnnParameters { Shrink = 0 });
        model.Fit(new Dataset(users, items, log), FitContext.Default);
        var recs = model.Recommend(0, 3);
        Assert.Equal(2, recs[0].Index);
        Assert.Equal(1, model.SimilarUsers(0, 1)[0].Index);
        // cosine(u0,u1) = 2 / (sqrt2 * sqrt3)
        Assert.Equal(2 / MathF.Sqrt(6), recs[0].Score, 5);
    }

    private static Dataset Toy()
    {
        // The same matrix as ItemUsers, as users x items interactions.
        var users = new IdMap(["u0", "u1", "u2"]);
        var items = new IdMap(["a", "b", "c"]);
        var log = new InteractionLog([0, 1, 0, 2, 1, 2], [0, 0, 1, 1, 2, 2], [1f, 2f, 2f, 3f, 1f, 1f], new long[6], new short[] { -1, -1, -1, -1, -1, -1 }, []);
        return new Dataset(users, items, log);
    }
}
