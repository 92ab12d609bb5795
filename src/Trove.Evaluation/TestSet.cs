using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Evaluation;

/// <summary>
/// What a model is evaluated on: test cases, each a user with the items held out for it. With
/// <see cref="Negatives"/> the held-out items are ranked only against those sampled items (the NCF
/// protocol); without, against every item of the catalogue except <see cref="Excluded"/> (full ranking:
/// the user's training items, plus the validation items when this is the test part of a
/// train/validation/test split). All indices are the dense indices of the training dataset.
/// </summary>
public sealed class TestSet
{
    public TestSet(string name, int itemCount, int[] users, int[][] relevant, int[][]? negatives = null, int[][]? excluded = null, int[]? candidates = null)
    {
        if (candidates is not null && negatives is not null) throw new ArgumentException("A test set ranks against sampled negatives or against shared candidates, not both.");
        if (relevant.Length != users.Length) throw new ArgumentException("One relevant list per test case is required.");
        if (negatives is not null && negatives.Length != users.Length) throw new ArgumentException("One negatives list per test case is required.");
        if (excluded is not null && excluded.Length != users.Length) throw new ArgumentException("One excluded list per test case is required.");
        Name = name; ItemCount = itemCount; Users = users; Relevant = relevant; Negatives = negatives; Excluded = excluded; Candidates = candidates;
    }

    /// <summary>"test" or "validation".</summary>
    public string Name { get; }
    public int ItemCount { get; }
    /// <summary>The user of each test case (a user appears once per case).</summary>
    public int[] Users { get; }
    /// <summary>The held-out (relevant) items of each case; never empty.</summary>
    public int[][] Relevant { get; }
    /// <summary>Sampled negatives per case (sampled ranking), or null for full ranking.</summary>
    public int[][]? Negatives { get; }
    /// <summary>Items removed from the candidates per case in full ranking (sorted), or null for none.</summary>
    public int[][]? Excluded { get; }

    /// <summary>
    /// The items every case is ranked among (sorted), shared by all cases, or null: each case's relevant
    /// items are ranked against the candidates that are not relevant to it (the cold-start protocol's
    /// withheld items). <see cref="Excluded"/> does not apply then.
    /// </summary>
    public int[]? Candidates { get; }

    /// <summary>
    /// Expected Recall@K and NDCG@K (mean over cases) of ranking the candidates at random: the
    /// reference line of a ranking restricted to <see cref="Candidates"/> or sampled negatives.
    /// </summary>
    public (double Recall, double Ndcg) RandomExpectation(int k)
    {
        if (Candidates is null && Negatives is null) throw new InvalidOperationException("The random expectation is defined for rankings among candidates or sampled negatives.");
        double recall = 0, ndcg = 0;
        for (int c = 0; c < Count; c++)
        {
            int others = Negatives is not null ? Negatives[c].Length : Candidates!.Length - Relevant[c].Length;
            var (r, n) = Metrics.RankingMetrics.RandomExpectation(Relevant[c].Length, others, k);
            recall += r; ndcg += n;
        }
        return Count == 0 ? (0, 0) : (recall / Count, ndcg / Count);
    }

    public bool IsSampled => Negatives is not null;
    /// <summary>Ranking among <see cref="Candidates"/> instead of the whole catalogue.</summary>
    public bool IsRestricted => Candidates is not null;
    public int Count => Users.Length;
    public long RelevantCount => Relevant.Sum(r => (long)r.Length);

    /// <summary>
    /// Full-ranking test cases from held-out interactions: one case per user with held-out items,
    /// excluding the user's items in <paramref name="train"/> (and in <paramref name="alsoExclude"/>).
    /// Users without training interactions are skipped (no model can rank for them by history).
    /// </summary>
    public static TestSet FullRanking(string name, Dataset train, InteractionLog heldOut, InteractionLog? alsoExclude = null)
    {
        var byUser = GroupItems(heldOut, train.UserCount);
        var extra = alsoExclude is null ? null : GroupItems(alsoExclude, train.UserCount);
        var m = train.UserItems;
        var users = new List<int>(); var rel = new List<int[]>(); var exc = new List<int[]>();
        for (int u = 0; u < byUser.Length; u++)
        {
            if (byUser[u] is not { Count: > 0 } items || m.RowLength(u) == 0) continue;
            users.Add(u);
            rel.Add(items.Order().ToArray());
            var seen = m.RowIndices(u).ToArray();
            if (extra?[u] is { Count: > 0 } more) seen = seen.Concat(more).Distinct().Order().ToArray();
            exc.Add(seen);
        }
        return new TestSet(name, train.ItemCount, users.ToArray(), rel.ToArray(), null, exc.ToArray());
    }

    private static HashSet<int>?[] GroupItems(InteractionLog log, int userCount)
    {
        var result = new HashSet<int>?[userCount];
        for (int r = 0; r < log.Count; r++) (result[log.Users[r]] ??= new HashSet<int>()).Add(log.Items[r]);
        return result;
    }
}

/// <summary>
/// A protocol's output: the data to train on and the cases to evaluate on (plus an optional
/// validation part for early stopping / tuning). Pure function of (dataset, protocol settings, seed).
/// </summary>
public sealed class EvaluationSplit
{
    /// <summary>"ncf", "holdout" or "temporal".</summary>
    public required string Protocol { get; init; }
    /// <summary>Human-readable settings, e.g. "test 20%, seed 42".</summary>
    public string Description { get; init; } = "";
    /// <summary>Where the data came from (for reports).</summary>
    public string DatasetName { get; init; } = "";
    public int Seed { get; init; }
    public required Dataset Train { get; init; }
    public required TestSet Test { get; init; }
    public TestSet? Validation { get; init; }
    /// <summary>The held-out test interactions (full-ranking protocols; null for NCF files).</summary>
    public InteractionLog? TestInteractions { get; init; }
    public InteractionLog? ValidationInteractions { get; init; }
    /// <summary>
    /// True when the test items have no training interactions at all (cold-start items): only models
    /// that score items from their features (<see cref="Trove.Core.Recommending.IColdItemScorer"/>) apply.
    /// </summary>
    public bool ColdItems { get; init; }

    /// <summary>
    /// The same split with the validation interactions moved into training: the last step of a tuned evaluation
    /// (Dacrema et al. 2019): hyperparameters are chosen on validation with the model fitted on train, then the final
    /// model is fitted on train + validation with those hyperparameters and scored once on the unchanged test part
    /// (each test user's train and validation items stay excluded from the ranking, as before).
    /// </summary>
    /// <exception cref="TroveException">The split has no validation part.</exception>
    public EvaluationSplit WithValidationInTrain()
    {
        if (ValidationInteractions is not { } val || TestInteractions is not { } testLog)
            throw new TroveException($"The {Protocol} split has no validation part to fit on; give --validation-fraction.");
        var t = Train.Interactions;
        InteractionLog merged = new(
            [.. t.Users, .. val.Users], [.. t.Items, .. val.Items], [.. t.Weights, .. val.Weights],
            [.. t.Timestamps, .. val.Timestamps], [.. t.Events, .. val.Events], t.EventNames)
        {
            Scores = t.Scores is null || val.Scores is null ? null : [.. t.Scores, .. val.Scores],
        };
        var train = Train.WithInteractions(merged);
        return new EvaluationSplit
        {
            Protocol = Protocol,
            Description = Description + "; final fit on train + validation",
            DatasetName = DatasetName,
            Seed = Seed,
            Train = train,
            Test = TestSet.FullRanking("test", train, testLog),
            TestInteractions = testLog,
        };
    }
}
