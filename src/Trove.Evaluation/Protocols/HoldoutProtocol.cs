using Trove.Core.Data;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// Random per-user holdout for full-ranking evaluation: each user's distinct items are shuffled
/// (seeded per user) and a fraction goes to test (default 20%), optionally another to validation
/// (RecBole's 80/10/10 is test 0.1, validation 0.1). A user with n items gives round(fraction * n)
/// items to each held-out part, at least 1, always keeping at least 1 in train; users with fewer
/// than 2 items (3 with validation) stay entirely in train. Every row of a held-out (user, item)
/// pair leaves train. The split is a pure function of (dataset, fractions, seed).
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
            var order = new int[n];
            for (int j = 0; j < n; j++) order[j] = j;
            new Random(UserSeed(seed, u)).Shuffle(order);
            for (int j = 0; j < nTest; j++) part[rowPtr[u] + order[j]] = SplitBuilder.Test;
            for (int j = nTest; j < nTest + nVal; j++) part[rowPtr[u] + order[j]] = SplitBuilder.Validation;
        }
        var desc = $"random per-user holdout: test {SplitBuilder.Percent(testFraction)}"
                   + (validationFraction > 0 ? $", validation {SplitBuilder.Percent(validationFraction)}" : "") + $", seed {seed}; full ranking";
        return SplitBuilder.Build(data, part, Name, desc, seed);
    }

    /// <summary>A per-user seed that does not depend on the process (unlike HashCode.Combine).</summary>
    internal static int UserSeed(int seed, int user)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)user + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
