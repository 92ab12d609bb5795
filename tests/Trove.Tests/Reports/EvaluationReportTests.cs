using System.Text.Json;
using ScottPlot.Plottables;
using Trove.Core.Data;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Models;
using Trove.Reports.EvaluationReports;
using Trove.Tests.Support;

namespace Trove.Tests.Reports;

public class EvaluationReportTests
{
    /// <summary>Users with 1..6 training interactions (user k has k), items 0..9.</summary>
    private static Dataset Graded()
    {
        var b = new InteractionLogBuilder();
        for (int u = 0; u < 6; u++)
            for (int k = 0; k <= u; k++) b.Add(u, k, 1f);
        return new Dataset(new IdMap(Enumerable.Range(1, 6).Select(u => $"u{u}")), new IdMap(Enumerable.Range(0, 10).Select(i => $"i{i}")), b.Build());
    }

    [Fact]
    public void TercilesByTrainingActivity()
    {
        var split = UserActivity.Terciles(Graded());
        // Activities 1..6: cut points at the 1/3 and 2/3 quantiles, 2.67 and 4.33.
        Assert.Equal(new[] { 0, 0, 1, 1, 2, 2 }, split.GroupOfUser);
        Assert.Equal(8 / 3.0, split.LightMax, 9);
        Assert.Equal(13 / 3.0, split.MediumMax, 9);
        Assert.Equal(new[] { "light 1-2 2", "medium 3-4 2", "heavy 5-6 2" }, split.Groups.Select(g => $"{g.Name} {g.MinActivity}-{g.MaxActivity} {g.Users}"));
    }

    [Fact]
    public void TercilesOverGivenUsersOnlyAndTiesShareAGroup()
    {
        var split = UserActivity.Terciles(Graded(), [3, 4, 5]); // activities 4, 5, 6
        Assert.Equal(new[] { -1, -1, -1, 0, 1, 2 }, split.GroupOfUser);
        var b = new InteractionLogBuilder();
        foreach (var u in new[] { 0, 1, 2, 3 }) b.Add(u, 0, 1f); // all tied at 1
        b.Add(3, 1, 1f);
        var tied = UserActivity.Terciles(new Dataset(new IdMap(["a", "b", "c", "d"]), new IdMap(["x", "y"]), b.Build()));
        Assert.Equal(new[] { 0, 0, 0, 2 }, tied.GroupOfUser);
        Assert.Equal(0, tied.Groups[1].Users);
    }

    [Fact]
    public void SplitTestSetKeepsEachCaseWithItsLists()
    {
        var split = UserActivity.Terciles(Graded());
        var test = new TestSet("test", 10, [5, 0, 2, 3], [[9], [8], [7], [6]], excluded: [[0], [1], [2], [3]]);
        var parts = UserActivity.SplitTestSet(test, split);
        Assert.Equal(new[] { 0 }, parts[0]!.Users);
        Assert.Equal(new[] { 8 }, parts[0]!.Relevant[0]);
        Assert.Equal(new[] { 1 }, parts[0]!.Excluded![0]);
        Assert.Equal(new[] { 2, 3 }, parts[1]!.Users);
        Assert.Equal(new[] { 5 }, parts[2]!.Users);
        Assert.Equal(new[] { 9 }, parts[2]!.Relevant[0]);
    }

    /// <summary>Two real models on a holdout split of a small random dataset, with the activity breakdown.</summary>
    private static (ComparisonResult Result, ActivityBreakdown Activity) Evaluated()
    {
        var data = ReportFixtures.Random(users: 200, items: 150, seed: 3);
        var split = HoldoutProtocol.Split(data, 0.2, 0, 42);
        var options = new EvaluationOptions { Ks = [5, 10], Threads = 1 };
        var result = Evaluator.Compare(split, [new ModelSpec("popularity"), new ModelSpec("itemknn")], BuiltInAlgorithms.Registry, options);
        return (result, UserActivity.Evaluate(result, split, options));
    }

    [Fact]
    public void BreakdownCoversEveryTestUserOnce()
    {
        var (result, activity) = Evaluated();
        foreach (var m in result.Models)
        {
            var groups = activity.ByModel[m.Label];
            Assert.Equal(3, groups.Count);
            Assert.Equal(m.Test.Cases, groups.Sum(g => g?.Cases ?? 0));
            // The overall mean is the case-weighted mean of the groups.
            double weighted = groups.Sum(g => g is null ? 0 : g["ndcg@10"] * g.Cases) / m.Test.Cases;
            Assert.Equal(m.Test["ndcg@10"], weighted, 9);
        }
        Assert.Equal(result.Split.TestCases, activity.Groups.Sum(g => g.Users));
    }

    [Fact]
    public void ReportWritesHtmlMarkdownJsonAndChartsPerMetric()
    {
        var (result, activity) = Evaluated();
        var dir = TestPaths.NewTempDirectory();
        var files = EvaluationReportWriter.Write(result, dir, activity, new EvaluationReportOptions { Width = 700, Height = 420 });
        var names = files.Figures.Select(f => f.Name).ToArray();
        Assert.Equal(new[] { "metric_hr", "metric_ndcg", "metric_recall", "metric_precision", "metric_map", "metric_coverage", "metric_mrr_auc",
            "activity_ndcg_at_10", "activity_hr_at_10", "activity_recall_at_10", "activity_mrr" }, names);
        foreach (var f in files.Figures)
        {
            Assert.Equal((700, 420), ReportFixtures.PngSize(f.PngPath));
            Assert.True(new FileInfo(f.PngPath).Length > 8_000, f.Name);
            Assert.True(File.Exists(f.SvgPath));
            Assert.Equal(2, f.SeriesCount); // one bar series per model
        }
        // Bars of the popularity model at K=5 and K=10 in the NDCG chart hold its metrics.
        var md = File.ReadAllText(files.Markdown);
        Assert.Contains("| metric | popularity | itemknn |", md);
        Assert.Contains("## By user activity", md);
        Assert.Contains("| itemknn | ndcg@10 |", md);

        using var json = JsonDocument.Parse(File.ReadAllText(files.Json));
        var root = json.RootElement;
        Assert.Equal("trove.evaluation.v1", root.GetProperty("schema").GetString());
        var light = root.GetProperty("activity").GetProperty("models").GetProperty("itemknn").GetProperty("light");
        Assert.Equal(Math.Round(activity.ByModel["itemknn"][0]!["hr@10"], 6), light.GetProperty("metrics").GetProperty("hr@10").GetDouble());
        Assert.Equal(activity.Groups[0].Users, light.GetProperty("users").GetInt32());

        var html = File.ReadAllText(files.Html);
        Assert.Contains("<table>", html);
        Assert.Contains("src=\"metric_ndcg.png\"", html);
        Assert.Contains("src=\"activity_ndcg_at_10.png\"", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public void BarsCarryTheMetricValues()
    {
        var (result, _) = Evaluated();
        var plot = ScottPlotFor(result);
        var series = plot.GetPlottables().OfType<BarPlot>().ToList();
        Assert.Equal(2, series.Count);
        Assert.Equal(new[] { result.Models[0].Test["ndcg@5"], result.Models[0].Test["ndcg@10"] }, series[0].Bars.Select(b => b.Value).ToArray());
    }

    private static ScottPlot.Plot ScottPlotFor(ComparisonResult r)
    {
        var plot = new ScottPlot.Plot();
        Trove.Reports.Plotting.GroupedBars.Add(plot, ["K = 5", "K = 10"], r.Models.Select(m => m.Label).ToArray(),
            r.Models.Select(m => (IReadOnlyList<double>)new[] { m.Test["ndcg@5"], m.Test["ndcg@10"] }).ToArray());
        return plot;
    }

    [Fact]
    public void TrainingCurvesGetTheirOwnSection()
    {
        var (result, _) = Evaluated();
        var dir = TestPaths.NewTempDirectory();
        var curves = new Dictionary<string, IReadOnlyList<Trove.Reports.Plotting.TrainingPoint>>
        {
            ["itemknn"] = Enumerable.Range(1, 5).Select(e => new Trove.Reports.Plotting.TrainingPoint(e, 1.0 / e, 0.1 * e)).ToList(),
        };
        var files = EvaluationReportWriter.Write(result, dir, null, new EvaluationReportOptions { TrainingCurves = curves });
        Assert.Contains(files.Figures, f => f.Name == "training_itemknn");
        var html = File.ReadAllText(files.Html);
        Assert.Contains("Training curves", html);
        Assert.Contains("src=\"training_itemknn.png\"", html);
    }

    [Fact]
    public void The_report_draws_the_training_curves_of_the_models_that_train_in_epochs()
    {
        var data = ReportFixtures.Random(users: 120, items: 80, seed: 5);
        var split = HoldoutProtocol.Split(data, 0.2, 0, 42);
        var result = Evaluator.Compare(split, [new ModelSpec("popularity"), new ModelSpec("ncf", new Dictionary<string, string> { ["variant"] = "gmf", ["epochs"] = "3" })],
            BuiltInAlgorithms.Registry, new EvaluationOptions { Ks = [10], Threads = 1 });
        var dir = TestPaths.NewTempDirectory();
        var files = EvaluationReportWriter.Write(result, dir);
        var training = Assert.Single(files.Figures, f => f.Name.StartsWith("training_"));
        Assert.StartsWith("training_ncf", training.Name);
        Assert.Contains("AUC", training.Caption);
        Assert.Contains($"src=\"{training.Name}.png\"", File.ReadAllText(files.Html));
    }

    [Fact]
    public void ReportWithoutBreakdownHasNoActivitySection()
    {
        var (result, _) = Evaluated();
        var dir = TestPaths.NewTempDirectory();
        var files = EvaluationReportWriter.Write(result, dir);
        Assert.DoesNotContain(files.Figures, f => f.Name.StartsWith("activity_"));
        Assert.DoesNotContain("By user activity", File.ReadAllText(files.Html));
        using var json = JsonDocument.Parse(File.ReadAllText(files.Json));
        Assert.False(json.RootElement.TryGetProperty("activity", out _));
    }
}
