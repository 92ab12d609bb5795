namespace Trove.Numerics.Selection;

/// <summary>
/// Partial top-K selection with a fixed-size min-heap: O(n log k), no allocation beyond the k results.
/// Ties are broken by the lower index so results are deterministic.
/// </summary>
public static class TopK
{
    /// <summary>Indices of the k largest scores, best first. Scores that are NaN or -inf are never selected.</summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> resultIndices, Span<float> resultScores)
    {
        if (k <= 0) return 0;
        k = Math.Min(k, Math.Min(resultIndices.Length, resultScores.Length));
        int size = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (!(s > float.NegativeInfinity)) continue; // skips NaN and excluded items
            if (size < k)
            {
                resultIndices[size] = i; resultScores[size] = s; size++;
                SiftUp(resultIndices, resultScores, size - 1);
            }
            else if (Better(s, i, resultScores[0], resultIndices[0]))
            {
                resultIndices[0] = i; resultScores[0] = s;
                SiftDown(resultIndices, resultScores, 0, size);
            }
        }
        // Heap sort in place: repeatedly move the worst to the end, leaving best-first order.
        for (int end = size - 1; end > 0; end--)
        {
            (resultIndices[0], resultIndices[end]) = (resultIndices[end], resultIndices[0]);
            (resultScores[0], resultScores[end]) = (resultScores[end], resultScores[0]);
            SiftDown(resultIndices, resultScores, 0, end);
        }
        return size;
    }

    public static (int[] Indices, float[] Scores) Select(ReadOnlySpan<float> scores, int k)
    {
        k = Math.Max(0, Math.Min(k, scores.Length));
        var idx = new int[k];
        var sc = new float[k];
        int n = Select(scores, k, idx, sc);
        if (n < k) { Array.Resize(ref idx, n); Array.Resize(ref sc, n); }
        return (idx, sc);
    }

    // "a is better than b": higher score, or equal score and lower index.
    private static bool Better(float sa, int ia, float sb, int ib) => sa > sb || (sa == sb && ia < ib);

    // Min-heap ordered by "worse first" so the root is the weakest of the current top-k.
    private static void SiftUp(Span<int> idx, Span<float> sc, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Better(sc[parent], idx[parent], sc[i], idx[i])) break;
            (idx[i], idx[parent]) = (idx[parent], idx[i]);
            (sc[i], sc[parent]) = (sc[parent], sc[i]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> idx, Span<float> sc, int i, int size)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < size && Better(sc[worst], idx[worst], sc[l], idx[l])) worst = l;
            if (r < size && Better(sc[worst], idx[worst], sc[r], idx[r])) worst = r;
            if (worst == i) return;
            (idx[i], idx[worst]) = (idx[worst], idx[i]);
            (sc[i], sc[worst]) = (sc[worst], sc[i]);
            i = worst;
        }
    }
}
