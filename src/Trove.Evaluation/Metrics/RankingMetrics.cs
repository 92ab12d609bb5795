namespace Trove.Evaluation.Metrics;

/// <summary>
/// Per-user ranking metrics with binary relevance. Everything is computed from the 0-based rank
/// positions of the user's relevant items in the ranked candidate list (best first), so the same
/// code serves full ranking (all unseen items are candidates) and sampled ranking (the held-out
/// item among its sampled negatives).
/// <para>Definitions (K is the cut-off; |R| the number of relevant items; r the 0-based rank):</para>
/// <list type="bullet">
/// <item>HR@K: 1 if any relevant item is in the top K, else 0.</item>
/// <item>Precision@K: hits / K.</item>
/// <item>Recall@K: hits / |R| (RecBole's and most papers' definition; it cannot reach 1 when |R| &gt; K).</item>
/// <item>NDCG@K: DCG / IDCG with DCG = sum over hits of 1/log2(r+2), IDCG = sum_{r=0}^{min(|R|,K)-1} 1/log2(r+2).</item>
/// <item>MAP@K: sum over hits of precision at the hit's position, divided by min(|R|, K) (RecBole's definition).</item>
/// <item>MRR: 1 / (r+1) of the best-ranked relevant item, over the whole ranking (no cut-off).</item>
/// <item>AUC: share of (relevant, non-relevant) pairs where the relevant item scores higher; ties count half.</item>
/// </list>
/// </summary>
public static class RankingMetrics
{
    /// <summary>Number of relevant ranks below <paramref name="k"/>. <paramref name="ranks"/> sorted ascending.</summary>
    public static int Hits(ReadOnlySpan<int> ranks, int k)
    {
        int h = 0;
        foreach (int r in ranks) { if (r < k) h++; else break; }
        return h;
    }

    public static double HitRate(ReadOnlySpan<int> ranks, int k) => ranks.Length > 0 && ranks[0] < k ? 1.0 : 0.0;

    public static double Precision(ReadOnlySpan<int> ranks, int k) => k <= 0 ? 0 : (double)Hits(ranks, k) / k;

    public static double Recall(ReadOnlySpan<int> ranks, int k) => ranks.Length == 0 ? 0 : (double)Hits(ranks, k) / ranks.Length;

    public static double Ndcg(ReadOnlySpan<int> ranks, int k)
    {
        if (ranks.Length == 0 || k <= 0) return 0;
        double dcg = 0;
        foreach (int r in ranks) { if (r >= k) break; dcg += Discount(r); }
        double idcg = 0;
        int ideal = Math.Min(ranks.Length, k);
        for (int r = 0; r < ideal; r++) idcg += Discount(r);
        return dcg / idcg;
    }

    public static double AveragePrecision(ReadOnlySpan<int> ranks, int k)
    {
        if (ranks.Length == 0 || k <= 0) return 0;
        double sum = 0;
        for (int m = 0; m < ranks.Length && ranks[m] < k; m++) sum += (m + 1.0) / (ranks[m] + 1.0);
        return sum / Math.Min(ranks.Length, k);
    }

    public static double ReciprocalRank(ReadOnlySpan<int> ranks) => ranks.Length == 0 ? 0 : 1.0 / (ranks[0] + 1.0);

    /// <summary>
    /// Expected Recall@K and NDCG@K of a uniformly random ranking for one case with
    /// <paramref name="relevant"/> relevant items among <paramref name="nonRelevant"/> other candidates:
    /// each relevant item's rank among the non-relevant ones is uniform on 0..nonRelevant.
    /// </summary>
    public static (double Recall, double Ndcg) RandomExpectation(int relevant, int nonRelevant, int k)
    {
        if (relevant <= 0 || k <= 0) return (0, 0);
        int positions = nonRelevant + 1, reachable = Math.Min(k, positions);
        double discounts = 0, idcg = 0;
        for (int r = 0; r < reachable; r++) discounts += Discount(r);
        for (int r = 0; r < Math.Min(relevant, k); r++) idcg += Discount(r);
        return ((double)reachable / positions, relevant * discounts / positions / idcg);
    }

    /// <summary>1 / log2(rank + 2) for a 0-based rank.</summary>
    public static double Discount(int rank) => 1.0 / Math.Log2(rank + 2.0);

    /// <summary>
    /// Ranks of the relevant items and the user's AUC, from the scores of the relevant items and of
    /// the non-relevant candidates. Ties between a relevant and a non-relevant item count against
    /// the relevant item in the ranks (pessimistic, as in the NCF protocol) and half in the AUC.
    /// Ties among relevant items are broken by their order in <paramref name="relevantScores"/>.
    /// NaN scores are treated as -infinity.
    /// </summary>
    /// <param name="relevantScores">Scores of the relevant items.</param>
    /// <param name="candidateScores">Scores of the non-relevant candidates.</param>
    /// <param name="ranks">Receives the relevant items' 0-based ranks, sorted ascending (length = relevant count).</param>
    /// <returns>The AUC (NaN when there are no relevant items or no candidates).</returns>
    public static double RankRelevant(ReadOnlySpan<float> relevantScores, ReadOnlySpan<float> candidateScores, Span<int> ranks) =>
        RankRelevant(relevantScores, candidateScores, ranks, relevantScores.Length <= ScanLimit);

    /// <summary>Up to this many relevant items, one vectorised counting pass per relevant item beats a binary search per candidate.</summary>
    internal const int ScanLimit = 24;

    internal static double RankRelevant(ReadOnlySpan<float> relevantScores, ReadOnlySpan<float> candidateScores, Span<int> ranks, bool scan)
    {
        int n = relevantScores.Length;
        if (n == 0) return double.NaN;
        // Relevant scores sorted descending.
        Span<float> rel = n <= 256 ? stackalloc float[n] : new float[n];
        for (int m = 0; m < n; m++) rel[m] = Clean(relevantScores[m]);
        if (n > 1) SortDescending(rel);
        // geq[m]: candidates scored >= rel[m] (NaN counts as -inf); gt[m]: candidates scored > rel[m].
        Span<int> geq = n <= 256 ? stackalloc int[n] : new int[n];
        Span<int> gt = n <= 256 ? stackalloc int[n] : new int[n];
        if (scan) CountByScan(rel, candidateScores, geq, gt);
        else CountByBinarySearch(rel, candidateScores, geq, gt);
        double aucSum = 0;
        int negatives = candidateScores.Length;
        for (int m = 0; m < n; m++)
        {
            ranks[m] = geq[m] + m;
            if (negatives > 0) aucSum += (negatives - geq[m] + 0.5 * (geq[m] - gt[m])) / negatives;
        }
        return negatives > 0 ? aucSum / n : double.NaN;
    }

    private static void CountByScan(ReadOnlySpan<float> rel, ReadOnlySpan<float> candidates, Span<int> geq, Span<int> gt)
    {
        var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(candidates);
        int tail = System.Numerics.Vector.IsHardwareAccelerated ? vectors.Length * System.Numerics.Vector<float>.Count : 0;
        for (int m = 0; m < rel.Length; m++)
        {
            float x = rel[m];
            if (m > 0 && x == rel[m - 1]) { geq[m] = geq[m - 1]; gt[m] = gt[m - 1]; continue; }
            if (float.IsNegativeInfinity(x))
            {
                // Everything (NaN included, as -inf) is >= -inf; NaN is not above it.
                geq[m] = candidates.Length;
                int above = 0;
                foreach (float c in candidates) if (c > x) above++;
                gt[m] = above;
                continue;
            }
            int ge = 0, g = 0;
            if (tail > 0)
            {
                var vx = new System.Numerics.Vector<float>(x);
                var accGe = System.Numerics.Vector<int>.Zero;
                var accGt = System.Numerics.Vector<int>.Zero;
                // Comparison masks are -1 where true. NaN compares false, as -inf does against a finite x.
                foreach (var v in vectors)
                {
                    accGe -= System.Numerics.Vector.GreaterThanOrEqual(v, vx);
                    accGt -= System.Numerics.Vector.GreaterThan(v, vx);
                }
                ge = System.Numerics.Vector.Sum(accGe);
                g = System.Numerics.Vector.Sum(accGt);
            }
            for (int i = tail; i < candidates.Length; i++)
            {
                float c = candidates[i];
                if (c >= x) ge++;
                if (c > x) g++;
            }
            geq[m] = ge; gt[m] = g;
        }
    }

    private static void CountByBinarySearch(ReadOnlySpan<float> rel, ReadOnlySpan<float> candidates, Span<int> geq, Span<int> gt)
    {
        int n = rel.Length;
        // Difference arrays: a candidate adds to atLeast[p] for every relevant item from p on.
        Span<int> atLeast = n + 1 <= 256 ? stackalloc int[n + 1] : new int[n + 1];
        Span<int> above = n + 1 <= 256 ? stackalloc int[n + 1] : new int[n + 1];
        atLeast.Clear(); above.Clear();
        float lowest = rel[n - 1];
        foreach (float raw in candidates)
        {
            // Most candidates score below every relevant item and change nothing (NaN fails the test too and is -inf).
            if (!(raw >= lowest)) { if (!float.IsNaN(raw) || lowest > float.NegativeInfinity) continue; }
            float s = Clean(raw);
            int p = FirstAtMost(rel, s);
            atLeast[p]++;                     // counts against every relevant item scored <= s
            while (p < n && rel[p] == s) p++; // (ties: first relevant item scored strictly below s)
            above[p]++;                       // beats every relevant item scored < s
        }
        int ge = 0, g = 0;
        for (int m = 0; m < n; m++)
        {
            ge += atLeast[m]; g += above[m];
            geq[m] = ge; gt[m] = g;
        }
    }

    private static float Clean(float s) => float.IsNaN(s) ? float.NegativeInfinity : s;

    // First index p in a descending array with a[p] <= s (a.Length when none).
    private static int FirstAtMost(ReadOnlySpan<float> a, float s)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (a[mid] <= s) hi = mid; else lo = mid + 1; }
        return lo;
    }

    private static void SortDescending(Span<float> a)
    {
        // Insertion sort: relevant sets are small (a user's held-out items).
        if (a.Length > 64) { a.Sort(); a.Reverse(); return; }
        for (int i = 1; i < a.Length; i++)
        {
            float x = a[i]; int j = i - 1;
            while (j >= 0 && a[j] < x) { a[j + 1] = a[j]; j--; }
            a[j + 1] = x;
        }
    }

    /// <summary>
    /// Convenience for tests and small callers: the 0-based positions of the relevant items in an
    /// explicit ranked list (best first). Relevant items missing from the list are ranked after it.
    /// </summary>
    public static int[] RanksInList(IReadOnlyList<int> rankedItems, IReadOnlyCollection<int> relevant)
    {
        var set = relevant as ISet<int> ?? new HashSet<int>(relevant);
        var ranks = new List<int>();
        for (int r = 0; r < rankedItems.Count; r++) if (set.Contains(rankedItems[r])) ranks.Add(r);
        int missing = set.Count - ranks.Count;
        for (int j = 0; j < missing; j++) ranks.Add(rankedItems.Count + j);
        return ranks.ToArray();
    }
}
