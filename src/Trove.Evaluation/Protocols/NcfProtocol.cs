using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// The NCF leave-one-out protocol (He et al. 2017): each user's latest interaction is held out and
/// ranked against sampled items the user never interacted with (99 in the paper). HR@K / NDCG@K over
/// the 1 + negatives candidates; ties count against the held-out item.
/// </summary>
public static class NcfProtocol
{
    public const string Name = "ncf";
    public const int DefaultNegatives = 99;

    /// <summary>The split given by the paper's three files (<c>*.train.rating</c>, <c>*.test.rating</c>, <c>*.test.negative</c>).</summary>
    public static EvaluationSplit FromFiles(string trainPath, string testPath, string negativesPath)
    {
        var ncf = NcfSplitReader.Read(trainPath, testPath, negativesPath);
        return FromNcfSplit(ncf, Path.GetFileName(trainPath));
    }

    /// <summary>
    /// The split from the files sharing a prefix, e.g. <c>.../ncf-ml-100k/ml-100k</c> for
    /// <c>ml-100k.train.rating</c>, <c>ml-100k.test.rating</c> and <c>ml-100k.test.negative</c>.
    /// </summary>
    public static EvaluationSplit FromPrefix(string prefix) =>
        FromFiles(prefix + ".train.rating", prefix + ".test.rating", prefix + ".test.negative");

    public static EvaluationSplit FromNcfSplit(NcfSplit ncf, string datasetName = "")
    {
        var relevant = ncf.TestItems.Select(i => new[] { i }).ToArray();
        var test = new TestSet("test", ncf.Train.ItemCount, ncf.TestUsers, relevant, ncf.Negatives);
        int negs = ncf.Negatives.Length > 0 ? ncf.Negatives[0].Length : 0;
        return new EvaluationSplit
        {
            Protocol = Name,
            Description = $"leave-one-out, held-out item vs {negs} sampled negatives (NCF files)",
            DatasetName = datasetName.Length > 0 ? datasetName : ncf.Train.Source,
            Train = ncf.Train,
            Test = test,
        };
    }

    /// <summary>
    /// Builds the protocol from any dataset: per user the latest interaction (by timestamp, later rows
    /// win ties; without timestamps a random one, seeded) is held out with every row of that (user, item) pair,
    /// and <paramref name="negatives"/> items the user never interacted with are sampled uniformly
    /// without replacement. Users with fewer than 2 distinct items stay in train untested.
    /// </summary>
    public static EvaluationSplit FromDataset(Dataset data, int seed = 42, int negatives = DefaultNegatives)
    {
        if (negatives <= 0) throw new TroveException("The NCF protocol needs at least one negative per user.");
        var log = data.Interactions;
        var m = data.UserItems;
        int users = data.UserCount;
        bool timed = log.HasTimestamps;
        var heldItem = new int[users];
        Array.Fill(heldItem, -1);
        if (timed)
        {
            var latestRow = new int[users];
            Array.Fill(latestRow, -1);
            for (int r = 0; r < log.Count; r++)
            {
                int u = log.Users[r];
                if (latestRow[u] < 0 || log.Timestamps[r] >= log.Timestamps[latestRow[u]]) latestRow[u] = r;
            }
            for (int u = 0; u < users; u++)
                if (latestRow[u] >= 0 && m.RowLength(u) >= 2) heldItem[u] = log.Items[latestRow[u]];
        }
        else
        {
            // No time order: the row order of a file often follows item ids, so hold out a random item instead.
            for (int u = 0; u < users; u++)
                if (m.RowLength(u) >= 2) heldItem[u] = m.RowIndices(u)[new Random(HoldoutProtocol.UserSeed(seed, u)).Next(m.RowLength(u))];
        }

        var trainRows = new List<int>(log.Count); var testRows = new List<int>();
        for (int r = 0; r < log.Count; r++)
            (heldItem[log.Users[r]] == log.Items[r] ? testRows : trainRows).Add(r);
        var train = data.WithInteractions(log.Select(trainRows.ToArray()));

        var testUsers = new List<int>(); var relevant = new List<int[]>(); var negs = new List<int[]>();
        var rng = new Random(seed);
        var seen = new bool[data.ItemCount];
        for (int u = 0; u < users; u++)
        {
            if (heldItem[u] < 0) continue;
            var items = m.RowIndices(u);
            foreach (int i in items) seen[i] = true;
            int available = data.ItemCount - items.Length;
            int want = Math.Min(negatives, available);
            if (want > 0)
            {
                var chosen = new HashSet<int>();
                var list = new int[want];
                int n = 0;
                if (want * 2 > available)
                {
                    // Dense case: shuffle the unseen items and take a prefix.
                    var pool = Enumerable.Range(0, data.ItemCount).Where(i => !seen[i]).ToArray();
                    rng.Shuffle(pool);
                    pool.AsSpan(0, want).CopyTo(list); n = want;
                }
                else
                    while (n < want) { int i = rng.Next(data.ItemCount); if (!seen[i] && chosen.Add(i)) list[n++] = i; }
                testUsers.Add(u); relevant.Add([heldItem[u]]); negs.Add(list);
            }
            foreach (int i in items) seen[i] = false;
        }
        return new EvaluationSplit
        {
            Protocol = Name,
            Description = $"leave-one-out ({(timed ? "latest interaction" : "random interaction: the data has no timestamps")}), held-out item vs {negatives} sampled negatives, seed {seed}",
            DatasetName = data.Source,
            Seed = seed,
            Train = train,
            Test = new TestSet("test", data.ItemCount, testUsers.ToArray(), relevant.ToArray(), negs.ToArray()),
            TestInteractions = log.Select(testRows.ToArray()),
        };
    }
}
