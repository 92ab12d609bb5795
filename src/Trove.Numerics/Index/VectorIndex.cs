using System.Numerics.Tensors;

namespace Trove.Numerics.Index;

/// <summary>How vectors are compared. Every index reports a score where higher is closer.</summary>
public enum VectorMetric
{
    /// <summary>Cosine similarity (vectors are normalised when added; score in [-1, 1]).</summary>
    Cosine,
    /// <summary>Dot product (maximum inner product search; score is the dot product).</summary>
    InnerProduct,
    /// <summary>Euclidean distance (score is minus the distance).</summary>
    Euclidean,
}

/// <summary>A row of the index and its score (higher is closer), best first in every returned list.</summary>
public readonly record struct VectorMatch(int Index, float Score);

/// <summary>A k-nearest-neighbour index over fixed-length float vectors numbered 0..Count-1.</summary>
public interface IVectorIndex
{
    int Count { get; }
    int Dimensions { get; }
    VectorMetric Metric { get; }

    /// <summary>The k rows closest to <paramref name="query"/> that pass <paramref name="filter"/> (all rows when null).</summary>
    VectorMatch[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? filter = null);
}

/// <summary>Distance and score helpers shared by the exact and the HNSW index.</summary>
internal static class VectorMath
{
    /// <summary>Smaller is closer. Cosine vectors are pre-normalised, so cosine and inner product both use minus the dot product.</summary>
    public static float Distance(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => metric switch
    {
        VectorMetric.Euclidean => TensorPrimitives.Distance(a, b),
        _ => -TensorPrimitives.Dot(a, b),
    };

    public static float ScoreOf(float distance) => -distance;

    /// <summary>A copy of <paramref name="vector"/> ready for comparison (unit length for cosine).</summary>
    public static float[] Prepare(VectorMetric metric, ReadOnlySpan<float> vector)
    {
        var copy = vector.ToArray();
        if (metric == VectorMetric.Cosine) Normalize(copy);
        return copy;
    }

    public static void Normalize(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0) TensorPrimitives.Divide(v, norm, v);
    }

    public static void CheckShape(int length, int dimensions)
    {
        if (dimensions <= 0) throw new ArgumentOutOfRangeException(nameof(dimensions), "Vector dimensions must be positive.");
        if (length % dimensions != 0) throw new ArgumentException($"{length} floats are not a whole number of {dimensions}-dimensional vectors.");
    }
}
