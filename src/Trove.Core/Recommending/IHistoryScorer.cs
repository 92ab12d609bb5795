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

/// <summary>A model that keeps its training interactions (users x items), e.g. every <see cref="RecommenderBase{TParameters}"/>.</summary>
public interface ITrainingInteractions
{
    CsrMatrix UserItems { get; }
}
