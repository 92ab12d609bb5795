using System.Text.Json;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Evaluation.Tuning;
using Trove.Models;
using Trove.Tests.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Evaluation;

public sealed record NoisyGroupParameters
{
    /// <summary>The noise added to the right answer grows with |Knob - 7|: 7 is the known best setting.</summary>
    [TuneRange(0, 10)]
    public float Knob { get; init; } = 1f;
    [TuneChoice("a", "b")]
    public string Label { get; init; } = "a";
}

/// <summary>A toy model: scores items of the user's own group (from its training items) 1, others 0, plus noise |knob - 7| * hash.</summary>
public sealed class NoisyGroup(NoisyGroupParameters? p = null) : RecommenderBase<NoisyGroupParameters>(p)
{
    public override string Algorithm => "noisy";
    protected override void FitCore(Dataset data, FitContext context) { }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        int n = ItemCount;
        int group = UserItems.RowIndices(user)[0] < n / 2 ? 0 : 1;
        for (int i = 0; i < n; i++)
        {
            uint h = (uint)(user * 7919 + i * 104729) * 2654435761u;
            scores[i] = ((i < n / 2 ? 0 : 1) == group ? 1f : 0f) + 4 * Math.Abs(Params.Knob - 7f) * (h % 1000) / 1000f;
        }
    }

    protected override void SaveModelState(ModelArchiveWriter writer) { }
    protected override void LoadModelState(ModelArchiveReader reader) { }
}

/// <summary>Records the (user, item) pairs of every dataset it is fitted on.</summary>
public sealed class FitSpy(NoisyGroupParameters? p = null) : RecommenderBase<NoisyGroupParameters>(p)
{
    public static readonly System.Collections.Concurrent.ConcurrentBag<HashSet<(string, string)>> Fitted = [];
    public override string Algorithm => "spy";
    protected override void FitCore(Dataset data, FitContext context)
    {
        var pairs = new HashSet<(string, string)>();
        for (int u = 0; u < data.UserCount; u++) foreach (int i in data.UserItems.RowIndices(u)) pairs.Add((data.Users[u], data.Items[i]));
        Fitted.Add(pairs);
    }
    public override void ScoreAllItems(int user, Span<float> scores) => scores[..ItemCount].Clear();
    protected override void SaveModelState(ModelArchiveWriter writer) { }
    protected override void LoadModelState(ModelArchiveReader reader) { }
}

public class TunerTests
{
    private static readonly ModelRegistry Registry = new ModelRegistry()
        .Register<NoisyGroupParameters>("noisy", "toy", p => new NoisyGroup(p));

    private static Dataset Data() => ToyData.TwoGroups(300, 40, 8, seed: 5);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Finds_the_known_better_setting(int eta)
    {
        var options = new TuneOptions { Trials = 12, Seed = 3, Eta = eta, MinUsers = 30, Metric = "ndcg@5", Threads = 2 };
        var result = Tuner.Run(Data(), "noisy", Registry, options);
        float best = JsonSerializer.Deserialize<NoisyGroupParameters>(result.BestParameters.GetRawText(), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })!.Knob;
        var drawn = result.Trials.Select(t => t.Tuned.TryGetValue("knob", out var v) ? float.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : 1f).ToList();
        // The winner is (near) the drawn knob closest to 7, and beats the default (knob 1, trial 0).
        Assert.True(Math.Abs(best - 7) <= drawn.Min(x => Math.Abs(x - 7)) + 0.25, $"best knob {best}, drawn {string.Join(", ", drawn)}");
        Assert.True(result.BestScore > result.Trials[0].Rungs[0].Score);
        Assert.Equal(12, result.Trials.Count);
        if (eta == 1) Assert.All(result.Trials, t => Assert.Single(t.Rungs));
        else Assert.Contains(result.Trials, t => t.Status.StartsWith("stopped"));
    }

    [Fact]
    public void Trials_are_reproducible_from_the_seed_and_differ_across_seeds()
    {
        var options = new TuneOptions { Trials = 6, Seed = 11, Eta = 3, MinUsers = 30, Metric = "recall@5", Threads = 2 };
        var a = Tuner.Run(Data(), "noisy", Registry, options);
        var b = Tuner.Run(Data(), "noisy", Registry, options);
        var c = Tuner.Run(Data(), "noisy", Registry, options with { Seed = 12 });
        string Key(TuneResult r) => string.Join("|", r.Trials.Select(t => string.Join(",", t.Tuned.Select(kv => kv.Key + "=" + kv.Value)) + ":" + string.Join(",", t.Rungs.Select(x => x.Score))));
        Assert.Equal(Key(a), Key(b));
        Assert.NotEqual(Key(a), Key(c));
        // Trial t's draw does not depend on how many trials run.
        Assert.Equal(Tuner.Draw(SearchSpace.Of(typeof(NoisyGroupParameters)), 11, 4), a.Trials[4].Tuned);
    }

    [Fact]
    public void Validation_never_uses_items_outside_the_training_data()
    {
        // The tuner gets only a training set; its validation split is carved from it. Tune on half the users' items
        // and check every trial scored on held-out pairs of that training set only (the counts add up).
        var data = Data();
        var result = Tuner.Run(data, "noisy", Registry, new TuneOptions { Trials = 2, Eta = 1, Seed = 1, MinUsers = 10, Threads = 1 });
        Assert.Contains("of the training data only", result.Validation);
        Assert.Equal(data.UserCount, result.Trials[0].Rungs[0].Users);
    }

    [Fact]
    public void With_a_test_fraction_the_evaluation_split_test_part_is_never_fitted_nor_scored()
    {
        // `tune --test-fraction 0.1 --validation-fraction 0.1` must tune for `evaluate --protocol holdout --test-fraction 0.1
        // --validation-fraction 0.1` (same seed): fit on that split's train part, score on its validation part, and never
        // fit on or score against its test part.
        var data = Data();
        var split = Trove.Evaluation.Protocols.HoldoutProtocol.Split(data, 0.1, 0.1, 5);
        var registry = new ModelRegistry().Register<NoisyGroupParameters>("spy", "toy", p => new FitSpy(p));
        FitSpy.Fitted.Clear();
        var result = Tuner.Run(data, "spy", registry, new TuneOptions { Trials = 2, Eta = 1, Seed = 5, ValidationFraction = 0.1, HoldoutTestFraction = 0.1, Threads = 1 });
        var test = new HashSet<(string, string)>();
        for (int c = 0; c < split.Test.Count; c++)
            foreach (int i in split.Test.Relevant[c]) test.Add((split.Train.Users[split.Test.Users[c]], split.Train.Items[i]));
        var train = new HashSet<(string, string)>();
        for (int u = 0; u < split.Train.UserCount; u++)
            foreach (int i in split.Train.UserItems.RowIndices(u)) train.Add((split.Train.Users[u], split.Train.Items[i]));
        Assert.NotEmpty(test);
        Assert.All(FitSpy.Fitted, pairs => Assert.True(pairs.SetEquals(train)));
        Assert.Equal(split.Validation!.Count, result.Trials[0].Rungs[0].Users);
        Assert.Contains("validation part of the evaluation split", result.Validation);
        Assert.Contains("test 10%, validation 10%, seed 5", result.Validation);
    }

    [Fact]
    public void Bad_metric_and_split_are_one_line_errors()
    {
        Assert.Contains("--metric", Assert.Throws<Trove.Core.Errors.TroveException>(() => Tuner.Run(Data(), "noisy", Registry, new TuneOptions { Metric = "auc" })).Message);
        Assert.Contains("random, temporal or ncf", Assert.Throws<Trove.Core.Errors.TroveException>(() => Tuner.Run(Data(), "noisy", Registry, new TuneOptions { Split = "sideways" })).Message);
    }
}

[Collection(ConsoleCollection.Name)]
public class TuneCliTests
{
    [Fact]
    public void Tune_writes_params_that_train_and_evaluate_use()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = ToyData.TwoGroups(120, 30, 6, seed: 2);
        var csv = Path.Combine(dir, "interactions.csv");
        File.WriteAllLines(csv, new[] { "user,item" }.Concat(data.Interactions.Users.Select((u, r) => $"{data.Users[u]},{data.Items[data.Interactions.Items[r]]}")));
        var best = Path.Combine(dir, "best.json");
        Assert.Equal(0, Trove.Cli.Program.Main(["tune", "--data", csv, "--model", "gfcf", "--trials", "4", "--min-users", "20", "--param", "factors=4", "--out", best, "--threads", "1"]));
        using var doc = JsonDocument.Parse(File.ReadAllText(best));
        var root = doc.RootElement;
        Assert.Equal("gfcf", root.GetProperty("algorithm").GetString());
        Assert.Equal(4, root.GetProperty("trials").GetArrayLength());
        Assert.All(root.GetProperty("trials").EnumerateArray(), t => Assert.True(t.GetProperty("rungs").GetArrayLength() >= 1));
        var bestParams = root.GetProperty("parameters");
        Assert.Equal(4, bestParams.GetProperty("factors").GetInt32()); // held fixed

        var model = Path.Combine(dir, "m.trove");
        Assert.Equal(0, Trove.Cli.Program.Main(["train", "--data", csv, "--params", best, "--out", model]));
        var saved = ModelFile.Load(model, BuiltInAlgorithms.Registry).Manifest.Parameters;
        foreach (var p in bestParams.EnumerateObject())
            Assert.Equal(p.Value.ToString(), saved.GetProperty(p.Name).ToString());

        // --param overrides a value from the file.
        Assert.Equal(0, Trove.Cli.Program.Main(["train", "--data", csv, "--params", best, "--param", "alpha=0.25", "--out", model]));
        Assert.Equal(0.25, ModelFile.Load(model, BuiltInAlgorithms.Registry).Manifest.Parameters.GetProperty("alpha").GetDouble(), 5);

        var json = Path.Combine(dir, "eval.json");
        Assert.Equal(0, Trove.Cli.Program.Main(["evaluate", "--protocol", "holdout", "--data", csv, "--params", best, "--json", json]));
        Assert.Contains("gfcf", File.ReadAllText(json));

        Assert.Equal(2, Trove.Cli.Program.Main(["train", "--data", csv, "--params", best, "--model", "itemknn", "--out", model]));
        Assert.Equal(2, Trove.Cli.Program.Main(["train", "--data", csv, "--params", Path.Combine(dir, "missing.json"), "--out", model]));
    }
}
