namespace Trove.Models.Search;

/// <summary>
/// Reciprocal-rank fusion (Cormack, Clarke and Buettcher, 2009): each ranked list votes for its items with
/// weight / (constant + rank), ranks counted from 1, and the votes add up:
/// <code>fused(i) = sum over lists L holding i:  w_L / (c + rank_L(i))</code>
/// Only ranks are used, so a BM25 score (unbounded) and a cosine (in [-1, 1]) need no common scale; the
/// constant (60 in the paper) keeps one list's first place from outvoting agreement further down.
/// </summary>
public static class RankFusion
{
    /// <summary>The paper's constant.</summary>
    public const float DefaultConstant = 60f;

    /// <summary>The fused ranking, best first (ties: the lower item index first, so the order is deterministic).</summary>
    /// <param name="lists">Each ranked list (item indices, best first) with its weight (0 ignores the list).</param>
    public static IReadOnlyList<(int Item, float Score)> Fuse(IEnumerable<(IReadOnlyList<int> Ranking, float Weight)> lists, float constant = DefaultConstant)
    {
        if (!(constant >= 0)) throw new ArgumentOutOfRangeException(nameof(constant), "The fusion constant must be >= 0.");
        var fused = new Dictionary<int, float>();
        foreach (var (ranking, weight) in lists)
        {
            if (!(weight >= 0) || !float.IsFinite(weight)) throw new ArgumentOutOfRangeException(nameof(lists), "Fusion weights must be finite and >= 0.");
            if (weight == 0) continue;
            for (int r = 0; r < ranking.Count; r++)
                fused[ranking[r]] = fused.GetValueOrDefault(ranking[r]) + weight / (constant + r + 1);
        }
        return fused.OrderByDescending(x => x.Value).ThenBy(x => x.Key).Select(x => (x.Key, x.Value)).ToList();
    }
}
