using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// Time-aware splits for full-ranking evaluation. A (user, item) pair's time is its first
/// interaction (when the user discovered the item); every row of a held-out pair leaves train.
/// <list type="bullet">
/// <item><see cref="PerUser"/>: per user, the latest fraction of its items by that time go to test
/// (the ones just before them to validation, when asked); counts as in <see cref="HoldoutProtocol"/>.
/// Ties in time are broken by item index.</item>
/// <item><see cref="GlobalCut"/>: every pair first seen at or after a timestamp goes to test;
/// <see cref="GlobalFraction"/> picks that timestamp so about the latest fraction of rows are after it.</item>
/// </list>
/// Errors clearly when the data has no timestamps. Deterministic (no seed involved).
/// </summary>
public static class TemporalProtocol
{
    public const string Name = "temporal";

    public static EvaluationSplit PerUser(Dataset data, double testFraction = HoldoutProtocol.DefaultTestFraction, double validationFraction = 0)
    {
        SplitBuilder.CheckFractions(testFraction, validationFraction);
        var first = FirstTimes(data);
        var m = data.UserItems;
        var rowPtr = m.RowPointers;
        var part = new byte[m.NonZeros];
        for (int u = 0; u < m.Rows; u++)
        {
            int n = m.RowLength(u);
            var (nTest, nVal) = SplitBuilder.Counts(n, testFraction, validationFraction);
            if (nTest == 0) continue;
            long start = rowPtr[u];
            var order = new int[n];
            for (int j = 0; j < n; j++) order[j] = j;
            // Entries are sorted by item index, so a stable sort by time breaks ties by item index.
            var times = first.AsSpan(checked((int)start), n).ToArray();
            Array.Sort(times, order);
            StableFix(first, start, order);
            for (int j = n - nTest; j < n; j++) part[start + order[j]] = SplitBuilder.Test;
            for (int j = n - nTest - nVal; j < n - nTest; j++) part[start + order[j]] = SplitBuilder.Validation;
        }
        var desc = $"per-user temporal: latest {SplitBuilder.Percent(testFraction)} of each user's items to test"
                   + (validationFraction > 0 ? $", the {SplitBuilder.Percent(validationFraction)} before to validation" : "") + "; full ranking";
        return SplitBuilder.Build(data, part, Name, desc, 0);
    }

    /// <summary>
    /// Pairs first seen at or after <paramref name="cut"/> (Unix seconds) are test. Train holds only
    /// rows before the cut: a later repeat of a pair first seen before the cut is dropped (it is
    /// future information, and not a new item for the user).
    /// </summary>
    public static EvaluationSplit GlobalCut(Dataset data, long cut)
    {
        var first = FirstTimes(data);
        var part = new byte[first.Length];
        int held = 0;
        for (int e = 0; e < first.Length; e++) if (first[e] >= cut) { part[e] = SplitBuilder.Test; held++; }
        if (held == 0) throw new TroveException($"No interaction of {SplitBuilder.Describe(data)} is at or after the time cut {cut} ({DateTimeOffset.FromUnixTimeSeconds(cut):u}).");
        if (held == first.Length) throw new TroveException($"Every interaction of {SplitBuilder.Describe(data)} is at or after the time cut {cut}: nothing is left to train on.");
        var times = data.Interactions.Timestamps;
        return SplitBuilder.Build(data, part, Name,
            $"global time cut at {cut} ({DateTimeOffset.FromUnixTimeSeconds(cut):u}): pairs first seen after it are test, later repeats of earlier pairs are dropped; full ranking",
            0, r => times[r] >= cut);
    }

    /// <summary>A global cut placed so that about <paramref name="testFraction"/> of the rows are at or after it.</summary>
    public static EvaluationSplit GlobalFraction(Dataset data, double testFraction = HoldoutProtocol.DefaultTestFraction)
    {
        SplitBuilder.CheckFractions(testFraction, 0);
        RequireTimestamps(data);
        var times = data.Interactions.Timestamps.ToArray();
        Array.Sort(times);
        int at = Math.Clamp((int)Math.Round(times.Length * (1 - testFraction)), 1, times.Length - 1);
        return GlobalCut(data, times[at]);
    }

    /// <summary>The first interaction time of every entry of <c>data.UserItems</c> (CSR order).</summary>
    private static long[] FirstTimes(Dataset data)
    {
        RequireTimestamps(data);
        var m = data.UserItems;
        var rowPtr = m.RowPointers;
        var first = new long[m.NonZeros];
        Array.Fill(first, long.MaxValue);
        var log = data.Interactions;
        for (int r = 0; r < log.Count; r++)
        {
            int u = log.Users[r];
            long e = rowPtr[u] + m.RowIndices(u).BinarySearch(log.Items[r]);
            if (log.Timestamps[r] < first[e]) first[e] = log.Timestamps[r];
        }
        return first;
    }

    private static void RequireTimestamps(Dataset data)
    {
        if (!data.Interactions.HasTimestamps)
            throw new TroveException($"The temporal protocol needs timestamps, but {SplitBuilder.Describe(data)} has none (every timestamp is 0). Use --protocol holdout instead.");
    }

    // Array.Sort is not stable: restore item-index order among equal times.
    private static void StableFix(long[] first, long start, int[] order)
    {
        int n = order.Length, j = 0;
        while (j < n)
        {
            int k = j + 1;
            while (k < n && first[start + order[k]] == first[start + order[j]]) k++;
            if (k - j > 1) Array.Sort(order, j, k - j);
            j = k;
        }
    }
}
