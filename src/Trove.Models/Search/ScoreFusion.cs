namespace Trove.Models.Search;

/// <summary>How <see cref="ItemSearch"/> merges the dense and the BM25 lists in mode hybrid.</summary>
public enum SearchFusion
{
    /// <summary>Reciprocal-rank fusion (<see cref="RankFusion"/>): ranks only, scores ignored.</summary>
    Rrf,
    /// <summary>Convex combination of the scores, each list min-max scaled to 0..1 per query (<see cref="ScoreFusion.MinMax"/>).</summary>
    MinMax,
    /// <summary>Distribution-based score fusion: each list scaled by its mean +- 3 standard deviations per query (<see cref="ScoreFusion.Distribution"/>).</summary>
    Dbsf,
}

/// <summary>Parsing and naming <see cref="SearchFusion"/> as users type it.</summary>
public static class SearchFusions
{
    /// <summary>The accepted names, for messages.</summary>
    public const string Names = "rrf, minmax or dbsf";

    /// <summary>rrf, minmax or dbsf (case-insensitive).</summary>
    public static bool TryParse(string? text, out SearchFusion fusion)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "rrf": fusion = SearchFusion.Rrf; return true;
            case "minmax": fusion = SearchFusion.MinMax; return true;
            case "dbsf": fusion = SearchFusion.Dbsf; return true;
            default: fusion = SearchFusion.Rrf; return false;
        }
    }

    /// <summary>The lower-case name.</summary>
    public static string Name(SearchFusion fusion) => fusion.ToString().ToLowerInvariant();
}

/// <summary>
/// Score-based fusion of scored lists (item, score), for retrievers whose scores live on different scales (a cosine
/// in [-1, 1], an unbounded BM25 score). Each list is first scaled per query to about 0..1, then
/// <code>fused(i) = sum over lists L holding i:  w_L * scaled_L(i)</code>
/// (an item missing from a list gets nothing from it). Unlike reciprocal ranks, the scaled scores keep how far
/// apart the hits are: a BM25 list whose first hits match every query word and whose rest match one word keeps
/// that gap, where ranks would make the first and the tenth almost equal votes.
/// </summary>
public static class ScoreFusion
{
    /// <summary>
    /// Min-max scaling: (s - min) / (max - min) over the list, so its best hit scores 1 and its worst 0. A list
    /// whose scores are all equal scales to 1 for every hit (being retrieved at all is its only evidence).
    /// </summary>
    public static IReadOnlyList<(int Item, float Score)> MinMax(IEnumerable<(IReadOnlyList<(int Item, float Score)> Hits, float Weight)> lists) =>
        Fuse(lists, hits =>
        {
            float lo = hits.Min(h => h.Score), hi = hits.Max(h => h.Score);
            return s => hi > lo ? (s - lo) / (hi - lo) : 1f;
        });

    /// <summary>
    /// Distribution-based score fusion (DBSF, as in Qdrant): (s - (mean - 3 sd)) / (6 sd) with the list's mean and
    /// population standard deviation, clamped to 0..1, so one outlying score does not squash the others as min-max
    /// does. A list whose scores are all equal scales to 1 for every hit.
    /// </summary>
    public static IReadOnlyList<(int Item, float Score)> Distribution(IEnumerable<(IReadOnlyList<(int Item, float Score)> Hits, float Weight)> lists) =>
        Fuse(lists, hits =>
        {
            double mean = hits.Average(h => (double)h.Score);
            double sd = Math.Sqrt(hits.Average(h => (h.Score - mean) * (h.Score - mean)));
            return s => sd > 0 ? (float)Math.Clamp((s - (mean - 3 * sd)) / (6 * sd), 0, 1) : 1f;
        });

    /// <summary>The fused ranking, best first (ties: the lower item index first, so the order is deterministic).</summary>
    private static IReadOnlyList<(int Item, float Score)> Fuse(IEnumerable<(IReadOnlyList<(int Item, float Score)> Hits, float Weight)> lists,
        Func<IReadOnlyList<(int Item, float Score)>, Func<float, float>> scaler)
    {
        var fused = new Dictionary<int, float>();
        foreach (var (hits, weight) in lists)
        {
            if (!(weight >= 0) || !float.IsFinite(weight)) throw new ArgumentOutOfRangeException(nameof(lists), "Fusion weights must be finite and >= 0.");
            if (weight == 0 || hits.Count == 0) continue;
            if (hits.Any(h => !float.IsFinite(h.Score))) throw new ArgumentException("Scores to fuse must be finite.", nameof(lists));
            var scale = scaler(hits);
            foreach (var (item, score) in hits) fused[item] = fused.GetValueOrDefault(item) + weight * scale(score);
        }
        return fused.OrderByDescending(x => x.Value).ThenBy(x => x.Key).Select(x => (x.Key, x.Value)).ToList();
    }
}
