using Trove.Numerics.Sparse;

namespace Trove.Core.Recommending;

/// <summary>
/// A model that can score items for any interaction history, not only a training user's row:
/// a new user, or a known user with events after training (ItemKnn sums neighbour similarities,
/// ALS folds the history into a user vector). The server uses it to make new events count at once.
/// </summary>
public interface IHistoryScorer
{
    /// <summary>Scores of every item for the history (item indices with their weights). <paramref name="scores"/> has one slot per item.</summary>
    void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores);
}

/// <summary>
/// A model that turns any history into a user vector in its embedding space (fold-in), so a new user or a user's
/// latest events can be served by vector search and compared with other users (ALS: one exact least-squares user step).
/// </summary>
public interface IHistoryEmbedder
{
    /// <summary>The user vector for the history (item indices with their weights), weighted as in training.</summary>
    float[] EmbedHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights);
}

/// <summary>
/// A model whose score of an item for a history is a sum of one term per history item (item-KNN: weight x
/// similarity), so it can say exactly which history items made an item score high ("because you bought...").
/// </summary>
public interface IHistoryExplainer
{
    /// <summary>Writes into <paramref name="contributions"/> (one slot per history item) each history item's term of <paramref name="item"/>'s score.</summary>
    void Contributions(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, int item, Span<float> contributions);
}

/// <summary>A model that keeps its training interactions (users x items), e.g. every <see cref="RecommenderBase{TParameters}"/>.</summary>
public interface ITrainingInteractions
{
    CsrMatrix UserItems { get; }
}
