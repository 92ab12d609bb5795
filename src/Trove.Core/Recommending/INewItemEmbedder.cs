using Trove.Core.Data;

namespace Trove.Core.Recommending;

/// <summary>
/// An embedding model that places items added to the catalogue after training in its embedding space from their
/// features alone (content encoders, a feature tower), so a new item is scored by the same dot product as the
/// trained items, <c>score = query · vector</c>, without retraining. The server uses it to recommend an item the
/// moment it is added (<c>PUT /items/{id}</c>).
/// </summary>
public interface INewItemEmbedder
{
    /// <summary>True when the fitted model reads item features, so a vector from features alone means something.</summary>
    bool CanEmbedNewItems { get; }

    /// <summary>
    /// Vectors (<paramref name="ids"/>.Count x <see cref="IEmbeddingModel.Dimensions"/>, row-major) of the items
    /// <paramref name="ids"/> described by <paramref name="features"/> (one row per id, columns named and typed as in the
    /// training data's item features). Each vector is scored against the same user/query vectors as
    /// <see cref="IEmbeddingModel.ItemVector"/>.
    /// </summary>
    float[] EmbedNewItems(IdMap ids, FeatureTable features);
}
