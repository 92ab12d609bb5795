using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Numerics.Sparse;

namespace Trove.Models.Neighbourhood;

/// <summary>Settings of `trove similarities` (seed 004's algorithm settings): metric, threshold, max similar users, min shared items.</summary>
public sealed record UserSimilaritySettings : INeighbourhoodSettings
{
    /// <summary>Similar users kept per user (max_similar_users).</summary>
    public int Neighbours { get; init; } = 50;
    public SimilarityMetric Similarity { get; init; } = SimilarityMetric.Cosine;
    /// <summary>Added to the denominator; 0 gives the textbook values.</summary>
    public float Shrink { get; init; }
    /// <summary>Pairs at or below this similarity are dropped (similarity_threshold).</summary>
    public float Threshold { get; init; } = 0.1f;
    /// <summary>Minimum items two users must share (min_shared_items).</summary>
    public int MinShared { get; init; } = 5;
    /// <summary>How interaction weights (e.g. play counts) enter the vectors; Jaccard ignores them.</summary>
    public InteractionWeighting Weighting { get; init; } = InteractionWeighting.None;
    public float Bm25K1 { get; init; } = 100f;
    public float Bm25B { get; init; } = 0.8f;

    public static SimilarityMetric ParseMetric(string name) => name.Trim().ToLowerInvariant() switch
    {
        "cosine" => SimilarityMetric.Cosine,
        "jaccard" => SimilarityMetric.Jaccard,
        "pearson" => SimilarityMetric.Pearson,
        _ => throw new TroveException($"Unknown similarity metric '{name}': use cosine, jaccard or pearson."),
    };

    public static InteractionWeighting ParseWeighting(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" or "raw" => InteractionWeighting.None,
        "binary" => InteractionWeighting.Binary,
        "tfidf" => InteractionWeighting.TfIdf,
        "bm25" => InteractionWeighting.Bm25,
        _ => throw new TroveException($"Unknown weighting '{name}': use none, binary, tfidf or bm25."),
    };
}

/// <summary>One user's similar user: indices into the dataset's users.</summary>
public readonly record struct SimilarUser(int User, int Rank, int Other, float Similarity, int SharedItems);

/// <summary>
/// User-user similarities over the user x item matrix (weights of repeated pairs summed), computed with
/// <see cref="SimilarityBuilder"/>: per user the top <c>Neighbours</c> other users above the threshold that share
/// at least <c>MinShared</c> items, ranked by similarity (ties by user index).
/// </summary>
public static class UserSimilarities
{
    public static IEnumerable<SimilarUser> Compute(Dataset data, UserSimilaritySettings settings, int threads = 1, Action<int>? rowsDone = null, CancellationToken cancel = default)
    {
        if (settings.Neighbours < 1) throw new TroveException($"--max-similar must be at least 1, got {settings.Neighbours}.");
        if (settings.MinShared < 1) throw new TroveException($"--min-shared must be at least 1, got {settings.MinShared}.");
        var m = data.UserItems;
        var neighbours = SimilarityBuilder.Neighbours(m, settings, threads, rowsDone, cancel);
        return Enumerate(m, neighbours);
    }

    private static IEnumerable<SimilarUser> Enumerate(CsrMatrix m, CsrMatrix neighbours)
    {
        for (int u = 0; u < neighbours.Rows; u++)
        {
            var idx = neighbours.RowIndices(u).ToArray();
            var sim = neighbours.RowValues(u).ToArray();
            var order = Enumerable.Range(0, idx.Length).Where(k => float.IsFinite(sim[k]))
                .OrderByDescending(k => sim[k]).ThenBy(k => idx[k]).ToArray();
            for (int r = 0; r < order.Length; r++)
            {
                int k = order[r];
                yield return new SimilarUser(u, r + 1, idx[k], sim[k], Shared(m.RowIndices(u), m.RowIndices(idx[k])));
            }
        }
    }

    /// <summary>Size of the intersection of two sorted index lists.</summary>
    public static int Shared(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { n++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return n;
    }
}
