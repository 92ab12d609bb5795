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
}
