using System.Text.Json;
using Trove.Core.Training;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Evaluation.Reports;
using Trove.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Evaluation;

public class ReportAndCliTests
{
    private static string Ncf(string file) => Path.Combine(TestPaths.Dataset("ncf-ml-100k"), "ml-100k." + file);
    // The shared loader reads the MovieLens folder (u.data + u.item + u.user).
    private static string UData => TestPaths.Dataset("ml-100k");

    private static ComparisonResult SmallComparison()
    {
        var split = NcfProtocol.FromPrefix(Path.Combine(TestPaths.Dataset("ncf-ml-100k"), "ml-100k"));
        return Evaluator.Compare(split,
            [new ModelSpec("popularity"), new ModelSpec("popularity", new Dictionary<string, string> { ["count_users"] = "false" })],
            BuiltInAlgorithms.Registry, new EvaluationOptions { Ks = [10] });
    }

    [Fact]
    public void CompareTrainsEveryModelOnTheSameSplit()
    {
        var r = SmallComparison();
        Assert.Equal(2, r.Models.Count);
        Assert.Equal("popularity", r.Models[0].Label);
        Assert.Equal("popularity(count_users=false)", r.Models[1].Label);
        Assert.True(r.Models[0].Parameters.GetProperty("count_users").GetBoolean());
        Assert.False(r.Models[1].Parameters.GetProperty("count_users").GetBoolean());
        // Every rating has weight 1, so both counts agree.
        Assert.Equal(r.Models[0].Test["hr@10"], r.Models[1].Test["hr@10"]);
        Assert.All(r.Models, m => Assert.True(m.TrainSeconds >= 0 && m.EvaluationSeconds >= 0));
    }

    [Fact]
    public void TextTableIsAligned()
    {
        var text = ComparisonReport.ToText(SmallComparison());
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int header = lines.FindIndex(l => l.StartsWith("metric"));
        Assert.True(header > 0);
        var table = lines.Skip(header).TakeWhile(l => l.Length > 0).ToList();
        Assert.Contains(table, l => l.StartsWith("hr@10"));
        Assert.Contains(table, l => l.StartsWith("train s"));
        Assert.Single(table.Where(l => !l.StartsWith("-")).Select(l => l.Length).Distinct());
    }

    [Fact]
    public void JsonHasTheStableSchema()
    {
        using var doc = JsonDocument.Parse(ComparisonReport.ToJson(SmallComparison()));
        var root = doc.RootElement;
        Assert.Equal("trove.evaluation.v1", root.GetProperty("schema").GetString());
        Assert.Equal("ncf", root.GetProperty("protocol").GetString());
        Assert.Equal(10, root.GetProperty("k")[0].GetInt32());
        Assert.Equal(943, root.GetProperty("split").GetProperty("test_cases").GetInt32());
        var model = root.GetProperty("models")[0];
        Assert.Equal("popularity", model.GetProperty("name").GetString());
        Assert.InRange(model.GetProperty("metrics").GetProperty("hr@10").GetDouble(), 0.30, 0.33);
        // The bootstrap interval over the 943 users holds the mean and is about -/+ 1.96 sqrt(0.31 x 0.69 / 943) = 0.03 wide.
        var interval = model.GetProperty("confidence_95").GetProperty("hr@10");
        double mean = model.GetProperty("metrics").GetProperty("hr@10").GetDouble(), low = interval[0].GetDouble(), high = interval[1].GetDouble();
        Assert.True(low < mean && mean < high, $"{low} < {mean} < {high}");
        Assert.InRange(high - low, 0.045, 0.075);
        Assert.True(model.GetProperty("parameters").TryGetProperty("count_users", out _));
        Assert.True(model.GetProperty("train_seconds").GetDouble() >= 0);
        Assert.Equal("false", root.GetProperty("models")[1].GetProperty("overrides").GetProperty("count_users").GetString());
    }

    [Fact]
    public void MarkdownHasATableAndATieIsNotMarkedBest()
    {
        var md = ComparisonReport.ToMarkdown(SmallComparison());
        Assert.Contains("| metric | popularity | popularity(count_users=false) |", md);
        Assert.Contains("|---|---:|---:|", md);
        // The two variants tie on every user: neither is significantly best, so neither is marked.
        Assert.Contains("| hr@10 | 0.3128 | 0.3128 |", md);
        Assert.Matches(@"\| hr@10 95% CI \| 0\.2\d{3}-0\.3\d{3} \| 0\.2\d{3}-0\.3\d{3} \|", md);
    }

    [Fact]
    public void The_best_is_marked_when_a_paired_test_over_users_says_it_is_better()
    {
        var split = NcfProtocol.FromPrefix(Path.Combine(TestPaths.Dataset("ncf-ml-100k"), "ml-100k"));
        var r = Evaluator.Compare(split, [new ModelSpec("popularity"), new ModelSpec("itemknn")], BuiltInAlgorithms.Registry, new EvaluationOptions { Ks = [10] });
        Assert.Equal(943, r.Models[1].Test.PerCase!["hr@10"].Length);
        Assert.Equal(r.Models[1].Test["hr@10"], r.Models[1].Test.PerCase!["hr@10"].Average(), 9);
        var hr = ComparisonReport.ToMarkdown(r).Split('\n').Single(l => l.StartsWith("| hr@10 |"));
        Assert.Matches(@"^\| hr@10 \| 0\.\d{4} \| \*\*0\.\d{4}\*\* \|", hr); // itemknn (0.53 vs 0.31 on 943 users)
        Assert.True(ComparisonReport.SignificantlyBest(r, "hr@10", 1));
        Assert.False(ComparisonReport.SignificantlyBest(r, "hr@10", 0));
    }

    [Fact]
    public void Paired_t_matches_a_hand_computation()
    {
        // differences 1, 2, 3: mean 2, sample sd 1, se 1/sqrt(3): t = 2 sqrt(3)
        Assert.Equal(2 * Math.Sqrt(3), ComparisonReport.PairedT([1, 2, 3], [0, 0, 0]), 12);
        Assert.Equal(0, ComparisonReport.PairedT([1, 1], [1, 1]));
        Assert.Equal(double.PositiveInfinity, ComparisonReport.PairedT([2, 2], [1, 1]));
    }

    [Fact]
    public void EvaluateCommandWritesJsonAndMarkdownForNcf()
    {
        var dir = TestPaths.NewTempDirectory();
        var json = Path.Combine(dir, "out.json"); var md = Path.Combine(dir, "out.md");
        int rc = Trove.Cli.Program.BuildRoot().Parse([
            "evaluate", "--protocol", "ncf", "--train", Ncf("train.rating"), "--test", Ncf("test.rating"), "--negatives", Ncf("test.negative"),
            "--model", "popularity", "--k", "5,10", "--json", json, "--markdown", md]).Invoke();
        Assert.Equal(0, rc);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2, doc.RootElement.GetProperty("k").GetArrayLength());
        Assert.Equal(0.312831, doc.RootElement.GetProperty("models")[0].GetProperty("metrics").GetProperty("hr@10").GetDouble(), 5);
        Assert.Contains("| hr@10 | 0.3128 |", File.ReadAllText(md));
    }

    [Fact]
    public void EvaluateCommandRunsHoldoutOnMl100k()
    {
        var dir = TestPaths.NewTempDirectory();
        var json = Path.Combine(dir, "out.json");
        int rc = Trove.Cli.Program.BuildRoot().Parse([
            "evaluate", "--protocol", "holdout", "--data", UData, "--model", "popularity", "--seed", "1", "--json", json]).Invoke();
        Assert.Equal(0, rc);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("holdout", root.GetProperty("protocol").GetString());
        Assert.False(root.GetProperty("sampled").GetBoolean());
        Assert.Equal(100_000, root.GetProperty("split").GetProperty("train_interactions").GetInt32() + (int)root.GetProperty("split").GetProperty("test_items").GetInt64());
        // Full ranking over ~1,600 items, ~21 held-out items per user: measured HR@10 0.7688 with seed 1
        // (random ranking would give about 1 - (1 - 21/1600)^10 ~ 0.12).
        double hr = root.GetProperty("models")[0].GetProperty("metrics").GetProperty("hr@10").GetDouble();
        Assert.InRange(hr, 0.72, 0.82);
    }

    [Fact]
    public void EvaluateCommandRunsTemporalOnMl100k()
    {
        var dir = TestPaths.NewTempDirectory();
        var json = Path.Combine(dir, "out.json");
        int rc = Trove.Cli.Program.BuildRoot().Parse([
            "evaluate", "--protocol", "temporal", "--data", UData, "--model", "popularity", "--k", "10",
            "--test-fraction", "0.1", "--validation-fraction", "0.1", "--json", json]).Invoke();
        Assert.Equal(0, rc);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("temporal", root.GetProperty("protocol").GetString());
        Assert.Equal(943, root.GetProperty("split").GetProperty("validation_cases").GetInt32());
        var model = root.GetProperty("models")[0];
        Assert.True(model.GetProperty("validation_metrics").GetProperty("ndcg@10").GetDouble() > 0);
        Assert.InRange(model.GetProperty("metrics").GetProperty("hr@10").GetDouble(), 0.3, 0.45); // measured 0.3712
    }

    [Fact]
    public void EvaluateCommandRunsColdStartOnMl100kAndSkipsModelsWithoutFeatureScoring()
    {
        var dir = TestPaths.NewTempDirectory();
        var json = Path.Combine(dir, "out.json");
        int rc = Trove.Cli.Program.BuildRoot().Parse([
            "evaluate", "--protocol", "coldstart", "--data", UData, "--model", "popularity", "--model", "content", "--k", "20", "--json", json]).Invoke();
        Assert.Equal(0, rc);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("coldstart", root.GetProperty("protocol").GetString());
        Assert.True(root.GetProperty("restricted").GetBoolean());
        Assert.Equal(100_000, root.GetProperty("split").GetProperty("train_interactions").GetInt32() + (int)root.GetProperty("split").GetProperty("test_items").GetInt64());
        var popularity = root.GetProperty("models")[0];
        Assert.StartsWith("cannot score items without training interactions", popularity.GetProperty("not_applicable").GetString());
        Assert.Empty(popularity.GetProperty("metrics").EnumerateObject());
        // 336 withheld items as candidates: a random ranking finds ~6% of a user's withheld items in the top 20;
        // content ranks them by genre, year and title (measured 0.1478 with seed 42).
        double random = root.GetProperty("random_ranking").GetProperty("recall@20").GetDouble();
        Assert.InRange(random, 0.05, 0.08);
        Assert.InRange(root.GetProperty("models")[1].GetProperty("metrics").GetProperty("recall@20").GetDouble(), 2 * random, 0.2);
    }

    [Theory]
    [InlineData("--protocol", "temporal", "--data", "x", "--global", "--validation-fraction", "0.1", "--model", "popularity")]
    [InlineData("--protocol", "holdout", "--model", "popularity")]                       // no --data
    [InlineData("--protocol", "ncf", "--train", "x", "--model", "popularity")]            // missing --test/--negatives
    [InlineData("--protocol", "ncf", "--model", "nosuchmodel")]
    [InlineData("--protocol", "holdout", "--data", "/nonexistent/u.data", "--model", "popularity")]
    [InlineData("--protocol", "holdout", "--data", "/nonexistent/u.data", "--model", "popularity", "--model", "itemknn", "--param", "neighbours=5")]
    [InlineData("--protocol", "ncf", "--model", "popularity", "--k", "0")]
    [InlineData("--protocol", "coldstart", "--data", "x", "--validation-fraction", "0.1", "--model", "content")]
    [InlineData("--protocol", "coldstart", "--train", "x", "--model", "content")]
    public void EvaluateCommandUserErrorsExitWithTwo(params string[] args)
    {
        int rc = Trove.Cli.Program.BuildRoot().Parse(["evaluate", .. args]).Invoke();
        Assert.Equal(2, rc);
    }

    [Fact]
    public void ParamsAreRoutedToTheirModel()
    {
        var specs = Trove.Cli.Commands.EvaluateCommand.ModelSpecs(["popularity", "itemknn"], ["itemknn.neighbours=50", "popularity.count_users=false"], BuiltInAlgorithms.Registry);
        Assert.Equal("50", specs[1].Parameters!["neighbours"]);
        Assert.Equal("false", specs[0].Parameters!["count_users"]);
        Assert.Throws<Trove.Core.Errors.TroveException>(() => Trove.Cli.Commands.EvaluateCommand.ModelSpecs(["popularity"], ["als.factors=3"], BuiltInAlgorithms.Registry));
    }
}
