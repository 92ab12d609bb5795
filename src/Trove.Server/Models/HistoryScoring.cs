using Trove.Core.Recommending;
using Trove.Models.Factorization;
using Trove.Models.Linear;

namespace Trove.Server.Models;

/// <summary>Scores of every item for a history of (item, weight) pairs.</summary>
public delegate void HistoryScore(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores);

/// <summary>
/// Which models can score a history they were not trained on, and how: <see cref="IHistoryScorer"/>
/// (ItemKnn), EASE (history x B) and ALS (fold-in: one exact least-squares user step against the
/// trained item factors, then dot products). Others (popularity, user-KNN, BPR) only serve their training users.
/// </summary>
public static class HistoryScoring
{
    public static HistoryScore? For(IRecommender model) => model switch
    {
        IHistoryScorer h => h.ScoreHistory,
        Ease ease => ease.ScoreHistory,
        Als als => (items, weights, scores) =>
        {
            var w = weights;
            if (als.Params.BinaryWeights) { var ones = new float[items.Length]; Array.Fill(ones, 1f); w = ones; }
            als.ScoreVector(als.FoldIn(items, w), scores);
        },
        _ => null,
    };

    /// <summary>The fold-in vector of a history for ALS (null for other models).</summary>
    public static float[]? FoldIn(IRecommender model, ReadOnlySpan<int> items, ReadOnlySpan<float> weights)
    {
        if (model is not Als als) return null;
        var w = weights.ToArray();
        if (als.Params.BinaryWeights) Array.Fill(w, 1f);
        return als.FoldIn(items, w);
    }
}
