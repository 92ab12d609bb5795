using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// Cold-start items: a seeded random fraction of the items that have interactions is withheld from
/// training entirely (every interaction with them leaves the training data; their features stay).
/// Test cases are the users who interacted with withheld items and still have training
/// interactions; each user's withheld items are ranked against <b>the withheld items only</b> (the
/// cold catalogue, shared by all users), not against the items seen in training, so the metrics
/// measure how well a model orders new items by their features. Models that cannot score items
/// without interactions are reported as not applicable (<see cref="EvaluationSplit.ColdItems"/>).
/// The split is a pure function of (dataset, fraction, seed).
/// </summary>
public static class ColdStartProtocol
{
    public const string Name = "coldstart";

    public static EvaluationSplit Split(Dataset data, double itemFraction = HoldoutProtocol.DefaultTestFraction, int seed = 42)
    {
        SplitBuilder.CheckFractions(itemFraction, 0);
        var log = data.Interactions;
        var itemUsers = data.ItemUsers;
        var active = Enumerable.Range(0, data.ItemCount).Where(i => itemUsers.RowLength(i) > 0).ToArray();
        if (active.Length < 2)
            throw new TroveException($"The {Name} protocol needs at least 2 items with interactions in {SplitBuilder.Describe(data)}, found {active.Length}.");
        int count = Math.Clamp((int)Math.Round(itemFraction * active.Length, MidpointRounding.AwayFromZero), 1, active.Length - 1);
        new Random(seed).Shuffle(active);
        var withheld = active[..count];
        Array.Sort(withheld);
        var isWithheld = new bool[data.ItemCount];
        foreach (int i in withheld) isWithheld[i] = true;

        var trainRows = new List<int>(log.Count); var testRows = new List<int>();
        for (int r = 0; r < log.Count; r++) (isWithheld[log.Items[r]] ? testRows : trainRows).Add(r);
        var train = data.WithInteractions(log.Select(trainRows.ToArray()));
        var testLog = log.Select(testRows.ToArray());

        var relevantOf = new SortedSet<int>?[data.UserCount];
        for (int r = 0; r < testLog.Count; r++) (relevantOf[testLog.Users[r]] ??= []).Add(testLog.Items[r]);
        var trainMatrix = train.UserItems;
        var users = new List<int>(); var relevant = new List<int[]>();
        int skipped = 0;
        for (int u = 0; u < data.UserCount; u++)
        {
            if (relevantOf[u] is not { } items) continue;
            if (trainMatrix.RowLength(u) == 0) { skipped++; continue; }
            users.Add(u); relevant.Add(items.ToArray());
        }
        if (users.Count == 0)
            throw new TroveException($"The {Name} split of {SplitBuilder.Describe(data)} left no user with both training interactions and interactions with withheld items.");
        var test = new TestSet("test", data.ItemCount, users.ToArray(), relevant.ToArray(), candidates: withheld);
        return new EvaluationSplit
        {
            Protocol = Name,
            Description = $"cold-start items: {SplitBuilder.Percent(itemFraction)} of the items with interactions ({count:N0} of {active.Length:N0}) withheld from training "
                          + $"with all {testLog.Count:N0} of their interactions, seed {seed}; each test user's withheld items ranked against all {count:N0} withheld items only"
                          + (skipped > 0 ? $"; {skipped} users with no training interactions left skipped" : ""),
            DatasetName = data.Source,
            Seed = seed,
            Train = train,
            Test = test,
            TestInteractions = testLog,
            ColdItems = true,
        };
    }
}
