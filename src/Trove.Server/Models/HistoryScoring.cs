using Trove.Core.Recommending;

namespace Trove.Server.Models;

/// <summary>Scores of every item for a history of (item, weight) pairs.</summary>
public delegate void HistoryScore(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores);

/// <summary>
/// Which models can score a history they were not trained on: those that declare <see cref="IHistoryScorer"/>
/// in the contract (item-KNN, EASE, RP3beta, ALS fold-in...). Others (popularity, user-KNN, BPR) only serve
/// their training users.
/// </summary>
public static class HistoryScoring
{
    public static HistoryScore? For(IRecommender model) => model is IHistoryScorer h ? h.ScoreHistory : null;

    /// <summary>The user vector of a history for models that fold histories in (<see cref="IHistoryEmbedder"/>); null for others.</summary>
    public static float[]? FoldIn(IRecommender model, ReadOnlySpan<int> items, ReadOnlySpan<float> weights) =>
        model is IHistoryEmbedder embedder ? embedder.EmbedHistory(items, weights) : null;
}
