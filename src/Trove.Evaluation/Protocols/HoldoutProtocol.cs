using Trove.Core.Data;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// Random per-user holdout for full-ranking evaluation: each user's distinct items are shuffled
/// (seeded per user) and a fraction goes to test (default 20%), optionally another to validation
/// (RecBole's 80/10/10 is test 0.1, validation 0.1). A user with n items gives round(fraction * n)
/// items to each held-out part, at least 1, always keeping at least 1 in train; users with fewer
/// than 2 items (3 with validation) stay entirely in train. Every row of a held-out (user, item)
/// pair leaves train. The split is a pure function of (interactions by external id, fractions, seed):
/// each user's shuffle is seeded from the user's id and runs over the items in id order, so the same
/// interactions read from a CSV, a folder, universal JSON or a store (whose index orders differ) split alike.
/// </summary>
public static class HoldoutProtocol
{
    public const string Name = "holdout";
    public const double DefaultTestFraction = 0.2;

    public static EvaluationSplit Split(Dataset data, double testFraction = DefaultTestFraction, double validationFraction = 0, int seed = 42)
    {
        SplitBuilder.CheckFractions(testFraction, validationFraction);
        var m = data.UserItems;
        var part = new byte[m.NonZeros];
        var rowPtr = m.RowPointers;
        for (int u = 0; u < m.Rows; u++)
        {
            int n = m.RowLength(u);
            var (nTest, nVal) = SplitBuilder.Counts(n, testFraction, validationFraction);
            if (nTest == 0) continue;
            var order = ItemsInIdOrder(data, m.RowIndices(u));
            new Random(UserSeed(seed, data.Users[u])).Shuffle(order);
            for (int j = 0; j < nTest; j++) part[rowPtr[u] + order[j]] = SplitBuilder.Test;
            for (int j = nTest; j < nTest + nVal; j++) part[rowPtr[u] + order[j]] = SplitBuilder.Validation;
        }
        var desc = $"random per-user holdout: test {SplitBuilder.Percent(testFraction)}"
                   + (validationFraction > 0 ? $", validation {SplitBuilder.Percent(validationFraction)}" : "") + $", seed {seed}; full ranking";
        return SplitBuilder.Build(data, part, Name, desc, seed);
    }

    /// <summary>Positions 0..n-1 of a user's CSR row, ordered by the items' external ids (ordinal).</summary>
    internal static int[] ItemsInIdOrder(Dataset data, ReadOnlySpan<int> items)
    {
        var order = new int[items.Length];
        for (int j = 0; j < order.Length; j++) order[j] = j;
        var ids = new string[items.Length];
        for (int j = 0; j < ids.Length; j++) ids[j] = data.Items[items[j]];
        Array.Sort(ids, order, StringComparer.Ordinal);
        return order;
    }

    /// <summary>A per-user seed from the user's external id (FNV-1a), independent of the user's index and of the process.</summary>
    internal static int UserSeed(int seed, string user)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in user) { h ^= c; h *= 0x100000001B3UL; }
        return UserSeed(seed, h);
    }

    /// <summary>A per-user seed that does not depend on the process (unlike HashCode.Combine).</summary>
    internal static int UserSeed(int seed, int user) => UserSeed(seed, (ulong)(uint)user);

    private static int UserSeed(int seed, ulong user)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + user + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
