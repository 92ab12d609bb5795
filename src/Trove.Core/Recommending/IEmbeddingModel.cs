namespace Trove.Core.Recommending;

/// <summary>
/// A model whose scores are dot products of user and item vectors (ALS, BPR, two-tower...).
/// The base class uses it for similar items/users, and the server for embeddings and vector search.
/// </summary>
public interface IEmbeddingModel
{
    int Dimensions { get; }
    ReadOnlySpan<float> UserVector(int user);
    ReadOnlySpan<float> ItemVector(int item);

    /// <summary>
    /// True when the model's score of every item is exactly UserVector(u)·ItemVector(i), so its top-K
    /// is a maximum-inner-product search over item vectors (what the server's HNSW retrieval answers).
    /// </summary>
    bool ScoresAreDotProducts => true;
}
