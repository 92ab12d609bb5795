using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Training;

namespace Trove.Core.Recommending;

/// <summary>An item (or user) index with its score, best first in every returned list.</summary>
public readonly record struct Scored(int Index, float Score);

/// <summary>
/// The one contract every algorithm implements. Indices are the dense indices of the training
/// dataset's id maps. Implementations derive from <see cref="RecommenderBase{TParameters}"/>, which supplies
/// filtering, top-K selection and the model-file plumbing.
/// </summary>
public interface IRecommender
{
    /// <summary>Registered algorithm name, e.g. "itemknn".</summary>
    string Algorithm { get; }

    /// <summary>The hyper-parameters as a record (serialised into the model file).</summary>
    object Parameters { get; }

    void Fit(Dataset data, FitContext context);

    /// <summary>Scores of every item for a user (higher is better). <paramref name="scores"/> has one slot per item.</summary>
    void ScoreAllItems(int user, Span<float> scores);

    /// <summary>Scores of the given items for a user.</summary>
    void Score(int user, ReadOnlySpan<int> items, Span<float> scores);

    /// <summary>Top-k items for a user after the filter (seen items excluded by default).</summary>
    IReadOnlyList<Scored> Recommend(int user, int k, ItemFilter? filter = null);

    /// <summary>The k items most similar to an item (the item itself excluded).</summary>
    IReadOnlyList<Scored> SimilarItems(int item, int k);

    /// <summary>The k users most similar to a user (the user itself excluded).</summary>
    IReadOnlyList<Scored> SimilarUsers(int user, int k);

    /// <summary>Writes the learned state (arrays) into a model archive.</summary>
    void SaveState(ModelArchiveWriter writer);

    /// <summary>Restores the learned state written by <see cref="SaveState"/>.</summary>
    void LoadState(ModelArchiveReader reader);
}
