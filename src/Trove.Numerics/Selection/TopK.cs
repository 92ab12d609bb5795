using System.Numerics;
using System.Runtime.InteropServices;

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
        int size = 0, i = 0;
        for (; i < scores.Length && size < k; i++)
        {
            float s = scores[i];
            if (!(s > float.NegativeInfinity)) continue; // skips NaN and excluded items
            resultIndices[size] = i; resultScores[size] = s; size++;
            SiftUp(resultIndices, resultScores, size - 1);
        }
        // The heap is full: a later item enters only with a score above the weakest kept one (an equal score
        // loses the tie, its index being higher), so whole vectors with no such score are skipped.
        if (size == k && Vector.IsHardwareAccelerated)
        {
            int width = Vector<float>.Count;
            ref float start = ref MemoryMarshal.GetReference(scores);
            for (; i <= scores.Length - width; i += width)
            {
                if (!Vector.GreaterThanAny(Vector.LoadUnsafe(ref start, (nuint)i), new Vector<float>(resultScores[0]))) continue;
                for (int j = i; j < i + width; j++) Offer(scores[j], j, resultIndices, resultScores, size);
            }
        }
        for (; i < scores.Length; i++) Offer(scores[i], i, resultIndices, resultScores, size);
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

    /// <summary>Puts item <paramref name="i"/> in the full heap in place of the weakest when it is better.</summary>
    private static void Offer(float s, int i, Span<int> idx, Span<float> sc, int size)
    {
        if (!(s > float.NegativeInfinity) || !Better(s, i, sc[0], idx[0])) return; // NaN and excluded items never enter
        idx[0] = i; sc[0] = s;
        SiftDown(idx, sc, 0, size);
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
