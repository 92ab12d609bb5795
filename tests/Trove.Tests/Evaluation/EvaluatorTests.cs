using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Evaluation;

namespace Trove.Tests.Evaluation;

/// <summary>A model with fixed scores per user, for hand-computed evaluations.</summary>
internal sealed class FixedScores(float[][] scores) : RecommenderBase<FixedScores.Settings>(null)
{
    public sealed record Settings;
    public override string Algorithm => "fixed";
    protected override void FitCore(Dataset data, FitContext context) { }
    public override void ScoreAllItems(int user, Span<float> s) => scores[user].CopyTo(s);
    protected override void SaveModelState(ModelArchiveWriter writer) { }
    protected override void LoadModelState(ModelArchiveReader reader) { }

    public static Dataset Data(int users, int items, params (int User, int Item)[] pairs)
    {
        var b = new InteractionLogBuilder();
        foreach (var (u, i) in pairs) b.Add(u, i, 1f);
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(u => "u" + u)), new IdMap(Enumerable.Range(0, items).Select(i => "i" + i)), b.Build());
    }
}

public class EvaluatorTests
{
    // Six items. User 0 saw item 0 and holds out item 3; user 1 saw item 1 and holds out items 2 and 5.
    private static readonly float[][] Scores =
    [
        [9, 5, 4, 6, 1, 0],
        [3, 9, 3, 1, 2, 3],
    ];

    private static (FixedScores Model, Dataset Train) Setup()
    {
        var train = FixedScores.Data(2, 6, (0, 0), (1, 1));
        var model = new FixedScores(Scores);
        model.Fit(train, FitContext.Default);
        return (model, train);
    }

    [Fact]
    public void FullRankingMatchesHandComputation()
    {
        var (model, train) = Setup();
        var heldOut = FixedScores.Data(2, 6, (0, 3), (1, 2), (1, 5)).Interactions;
        var test = TestSet.FullRanking("test", train, heldOut);
        Assert.Equal([0, 1], test.Users);
        Assert.Equal([0], test.Excluded![0]);

        var r = Evaluator.Evaluate(model, test, new EvaluationOptions { Ks = [1, 2], Threads = 2 });
        // User 0: item 3 (6) vs unseen 1 (5), 2 (4), 4 (1), 5 (0): rank 0.
        // User 1: items 2 and 5 (both 3) vs unseen 0 (3, tie counts against), 3 (1), 4 (2): ranks 1 and 2.
        Assert.Equal(0.5, r["hr@1"], 12);                          // (1 + 0) / 2
        Assert.Equal(1.0, r["hr@2"], 12);
        Assert.Equal((1 + 0.5) / 2, r["recall@2"], 12);           // user 1: 1 of 2
        Assert.Equal((0.5 + 0.5) / 2, r["precision@2"], 12);      // user 0: 1 hit in 2; user 1: 1 in 2
        Assert.Equal((1 + 0.386853) / 2, r["ndcg@2"], 6);         // user 1: (1/log2 3) / (1 + 1/log2 3)
        Assert.Equal((1 + 0.25) / 2, r["map@2"], 12);             // user 1: (1/2) / min(2,2)
        Assert.Equal((1 + 0.5) / 2, r["mrr"], 12);
        Assert.Equal((1 + 2.5 / 3) / 2, r["auc"], 12);            // user 1: each wins 2 of 3 and ties 1
        // Top-1: user 0 -> item 3; user 1 -> item 0 (ties at 3 broken by lower index). Top-2 adds 1 and 2.
        Assert.Equal(2.0 / 6, r["coverage@1"], 12);
        Assert.Equal(4.0 / 6, r["coverage@2"], 12);
        Assert.Equal(2, r.Cases);
        Assert.False(r.Sampled);
    }

    [Fact]
    public void SampledRankingUsesOnlyTheNegatives()
    {
        var (model, _) = Setup();
        // User 0: item 3 (6) vs negatives 0 (9), 4 (1): rank 1. User 1: item 2 (3) vs 0 (3, tie), 5 (3, tie), 3 (1): rank 2.
        var test = new TestSet("test", 6, [0, 1], [[3], [2]], [[0, 4], [0, 5, 3]]);
        var r = Evaluator.Evaluate(model, test, new EvaluationOptions { Ks = [1, 2, 3] });
        Assert.Equal(0.0, r["hr@1"]);
        Assert.Equal(0.5, r["hr@2"], 12);
        Assert.Equal(1.0, r["hr@3"], 12);
        Assert.Equal((0.630930 + 0.5) / 2, r["ndcg@3"], 6);
        Assert.Equal((0.5 + 1.0 / 3) / 2, r["mrr"], 12);
        Assert.Equal((0.5 + 2.0 / 3) / 2, r["auc"], 12);          // user 0: wins 1 of 2; user 1: (1 win + 2 half ties) / 3
        Assert.True(r.Sampled);
    }

    [Fact]
    public void ResultsDoNotDependOnThreads()
    {
        var rng = new Random(3);
        int users = 200, items = 50;
        var scores = Enumerable.Range(0, users).Select(_ => Enumerable.Range(0, items).Select(_ => (float)rng.Next(10)).ToArray()).ToArray();
        var pairs = Enumerable.Range(0, users).SelectMany(u => new[] { (u, rng.Next(items)), (u, rng.Next(items)) }).Distinct().ToArray();
        var train = FixedScores.Data(users, items, pairs);
        var model = new FixedScores(scores);
        model.Fit(train, FitContext.Default);
        var heldOut = FixedScores.Data(users, items, Enumerable.Range(0, users).Select(u => (u, (u * 7) % items)).Where(p => !pairs.Contains(p)).ToArray()).Interactions;
        var test = TestSet.FullRanking("test", train, heldOut);
        var one = Evaluator.Evaluate(model, test, new EvaluationOptions { Threads = 1 });
        var two = Evaluator.Evaluate(model, test, new EvaluationOptions { Threads = 2 });
        Assert.Equal(one.Metrics, two.Metrics);
    }
}

/// <summary>Records the validation score its Fit receives (as iterative models do after each epoch).</summary>
internal sealed class ValidatingModel(float[][] scores) : RecommenderBase<ValidatingModel.Settings>(null)
{
    public sealed record Settings;
    public double? SeenValidation { get; private set; }
    public override string Algorithm => "validating";
    protected override void FitCore(Dataset data, FitContext context) => SeenValidation = context.Validate?.Invoke(this);
    public override void ScoreAllItems(int user, Span<float> s) => scores[user].CopyTo(s);
    protected override void SaveModelState(ModelArchiveWriter writer) { }
    protected override void LoadModelState(ModelArchiveReader reader) { }
}

public class CompareTests
{
    [Fact]
    public void CompareWiresTheValidationSetIntoFit()
    {
        var rng = new Random(11);
        var b = new InteractionLogBuilder();
        for (int u = 0; u < 40; u++) foreach (int i in Enumerable.Range(0, 30).OrderBy(_ => rng.Next()).Take(10)) b.Add(u, i, 1f);
        var data = new Dataset(new IdMap(Enumerable.Range(0, 40).Select(u => $"u{u}")), new IdMap(Enumerable.Range(0, 30).Select(i => $"i{i}")), b.Build());
        var split = Trove.Evaluation.Protocols.HoldoutProtocol.Split(data, 0.2, 0.2, seed: 4);
        var scores = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 30).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray();
        var model = new ValidatingModel(scores);
        var result = Evaluator.Compare(split, [("v", (IRecommender)model)]);
        Assert.NotNull(model.SeenValidation);
        Assert.Equal(result.Models[0].Validation!["ndcg@10"], model.SeenValidation!.Value, 12);
        Assert.NotEqual(result.Models[0].Validation!["ndcg@10"], result.Models[0].Test["ndcg@10"]);
        Assert.Contains("val ndcg@10", Trove.Evaluation.Reports.ComparisonReport.ToText(result));
    }

    [Fact]
    public void ModelErrorsInsideTheParallelLoopAreNotWrapped()
    {
        var train = FixedScores.Data(2, 3, (0, 0), (1, 1));
        var model = new FixedScores([[1, 2, 3], [3, 2, 1]]);
        model.Fit(train, FitContext.Default);
        // User 5 is unknown to the model: RecommenderBase.Score raises a TroveException.
        var test = new TestSet("test", 3, [5], [[2]], [[1]]);
        Assert.Throws<Trove.Core.Errors.TroveException>(() => Evaluator.Evaluate(model, test));
    }
}
