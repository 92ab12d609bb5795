using Trove.Numerics.Selection;

namespace Trove.Numerics.Index;

/// <summary>
/// Brute-force k-nearest-neighbour search with SIMD dot products / distances (TensorPrimitives):
/// exact, O(n * d) per query. The reference the HNSW index is measured against, and the better
/// choice for small sets or very selective filters.
/// </summary>
public sealed class ExactIndex : IVectorIndex
{
    private readonly float[] _data;

    /// <param name="vectors">Count x dimensions floats, row-major (copied).</param>
    public ExactIndex(ReadOnlySpan<float> vectors, int dimensions, VectorMetric metric = VectorMetric.Cosine)
    {
        VectorMath.CheckShape(vectors.Length, dimensions);
        Dimensions = dimensions;
        Metric = metric;
        Count = vectors.Length / dimensions;
        _data = vectors.ToArray();
        if (metric == VectorMetric.Cosine)
            for (int i = 0; i < Count; i++) VectorMath.Normalize(_data.AsSpan(i * dimensions, dimensions));
    }

    public int Count { get; }
    public int Dimensions { get; }
    public VectorMetric Metric { get; }

    public ReadOnlySpan<float> Vector(int index) => _data.AsSpan(index * Dimensions, Dimensions);

    public VectorMatch[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? filter = null)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"The query has {query.Length} dimensions; the index has {Dimensions}.");
        var q = VectorMath.Prepare(Metric, query);
        var scores = new float[Count];
        for (int i = 0; i < Count; i++)
            scores[i] = filter is not null && !filter(i)
                ? float.NegativeInfinity
                : VectorMath.ScoreOf(VectorMath.Distance(Metric, q, _data.AsSpan(i * Dimensions, Dimensions)));
        var (idx, sc) = TopK.Select(scores, k);
        var result = new VectorMatch[idx.Length];
        for (int j = 0; j < idx.Length; j++) result[j] = new VectorMatch(idx[j], sc[j]);
        return result;
    }
}
