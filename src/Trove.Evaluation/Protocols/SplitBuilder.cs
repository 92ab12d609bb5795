using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// Shared plumbing of the full-ranking protocols: they assign each distinct (user, item) pair to
/// train, validation or test, and every row of a pair follows it, so a held-out item can never
/// leak into train through a repeated interaction.
/// </summary>
internal static class SplitBuilder
{
    public const byte Train = 0, Validation = 1, Test = 2;

    /// <summary>
    /// Builds the split from a part per entry of <c>data.UserItems</c> (CSR entry order).
    /// </summary>
    /// <param name="dropTrainRow">Optional: training rows to leave out entirely (e.g. repeats after a global time cut).</param>
    public static EvaluationSplit Build(Dataset data, byte[] entryPart, string protocol, string description, int seed, Func<int, bool>? dropTrainRow = null)
    {
        var m = data.UserItems;
        var log = data.Interactions;
        var rowsOf = new List<int>[3] { new(log.Count), new(), new() };
        var rowPtr = m.RowPointers;
        for (int r = 0; r < log.Count; r++)
        {
            int u = log.Users[r];
            var items = m.RowIndices(u);
            int at = items.BinarySearch(log.Items[r]);
            byte part = entryPart[rowPtr[u] + at];
            if (part == Train && dropTrainRow is not null && dropTrainRow(r)) continue;
            rowsOf[part].Add(r);
        }
        var train = data.WithInteractions(log.Select(rowsOf[Train].ToArray()));
        var testLog = log.Select(rowsOf[Test].ToArray());
        var valLog = rowsOf[Validation].Count > 0 ? log.Select(rowsOf[Validation].ToArray()) : null;
        var test = TestSet.FullRanking("test", train, testLog, valLog);
        if (test.Count == 0)
            throw new TroveException($"The {protocol} split of {Describe(data)} left no user with both training and test interactions; the data set is too small or too sparse.");
        return new EvaluationSplit
        {
            Protocol = protocol,
            Description = description,
            DatasetName = data.Source,
            Seed = seed,
            Train = train,
            Test = test,
            Validation = valLog is null ? null : TestSet.FullRanking("validation", train, valLog),
            TestInteractions = testLog,
            ValidationInteractions = valLog,
        };
    }

    /// <summary>How many of a user's n distinct items go to test and validation (0, 0 when the user is too small to split).</summary>
    public static (int Test, int Validation) Counts(int n, double testFraction, double validationFraction)
    {
        bool withValidation = validationFraction > 0;
        int minimum = withValidation ? 3 : 2;
        if (n < minimum) return (0, 0);
        int test = Math.Clamp((int)Math.Round(testFraction * n, MidpointRounding.AwayFromZero), 1, n - (withValidation ? 2 : 1));
        int val = withValidation ? Math.Clamp((int)Math.Round(validationFraction * n, MidpointRounding.AwayFromZero), 1, n - 1 - test) : 0;
        return (test, val);
    }

    public static void CheckFractions(double testFraction, double validationFraction)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new TroveException($"The test fraction must be between 0 and 1 (exclusive), got {testFraction}.");
        if (!(validationFraction >= 0 && validationFraction < 1) || testFraction + validationFraction >= 1)
            throw new TroveException($"The validation fraction must be at least 0 and leave training data (test + validation < 1), got {validationFraction}.");
    }

    public static string Describe(Dataset data) => string.IsNullOrEmpty(data.Source) ? "the data set" : data.Source;

    public static string Percent(double f) => $"{f * 100:0.##}%";
}
