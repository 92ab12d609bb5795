using System.Text.Json;
using Trove.Tests.Support;

namespace Trove.Tests.Reports;

/// <summary>`trove eda` and `trove evaluate --report` end to end, on MovieLens 100K (read-only, shared) and on a simulated set.</summary>
[Collection(ConsoleCollection.Name)]
public class ReportCliTests
{
    private static string Ml100K => TestPaths.Dataset("ml-100k");

    private static int Trove(params string[] args)
    {
        var stdout = Console.Out;
        try
        {
            Console.SetOut(TextWriter.Null);
            return global::Trove.Cli.Program.BuildRoot().Parse(args).Invoke();
        }
        finally { Console.SetOut(stdout); }
    }

    [Fact]
    public void EdaOnMovieLens100K()
    {
        Assert.True(Directory.Exists(Ml100K), $"missing shared data set {Ml100K}");
        var dir = TestPaths.NewTempDirectory();
        Assert.Equal(0, Trove("eda", "--data", Ml100K, "--out", dir));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = summary.RootElement;
        // Known facts of ml-100k: 943 users, 1,682 movies, 100,000 ratings of 1-5, every user with at least 20.
        Assert.Equal(943, s.GetProperty("counts").GetProperty("users").GetInt32());
        Assert.Equal(1682, s.GetProperty("counts").GetProperty("items").GetInt32());
        Assert.Equal(100_000, s.GetProperty("counts").GetProperty("interactions").GetInt64());
        Assert.Equal(20, s.GetProperty("userActivity").GetProperty("min").GetDouble());
        Assert.Equal(5, s.GetProperty("weights").GetProperty("values").GetArrayLength());
        Assert.Equal("week", s.GetProperty("timeline").GetProperty("granularity").GetString());
        // The eight data figures plus genre (u.item) as catalogue vs interaction shares.
        Assert.Equal(9, s.GetProperty("figures").GetArrayLength());
        Assert.Equal("item_feature_genre", s.GetProperty("figures")[8].GetProperty("name").GetString());
        Assert.Equal(19, s.GetProperty("itemFeatures")[0].GetProperty("distinctLabels").GetInt32());
        foreach (var f in s.GetProperty("figures").EnumerateArray())
            Assert.Equal((900, 560), ReportFixtures.PngSize(Path.Combine(dir, f.GetProperty("png").GetString()!)));
        var html = File.ReadAllText(Path.Combine(dir, "index.html"));
        Assert.Contains("<img src=\"long_tail.png\"", html);
    }

    [Fact]
    public void EdaOnASimulatedSetComparedWithAnother()
    {
        var sim = TestPaths.NewTempDirectory();
        var sim2 = TestPaths.NewTempDirectory();
        Assert.Equal(0, Trove("simulate", "--users", "300", "--items", "200", "--seed", "3", "--out", sim, "--no-diagnostics"));
        Assert.Equal(0, Trove("simulate", "--users", "200", "--items", "300", "--seed", "4", "--popularity-exponent", "0.3", "--out", sim2, "--no-diagnostics"));
        var dir = TestPaths.NewTempDirectory();
        Assert.Equal(0, Trove("eda", "--data", sim, "--compare", sim2, "--out", dir, "--width", "640", "--height", "400"));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var s = summary.RootElement;
        Assert.Equal(300, s.GetProperty("counts").GetProperty("users").GetInt32());
        // The simulator writes view, add_to_cart, purchase and rating events.
        var events = s.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToHashSet();
        Assert.Contains("view", events);
        Assert.Contains("purchase", events);
        Assert.Equal("day", s.GetProperty("timeline").GetProperty("granularity").GetString());
        var figures = s.GetProperty("figures").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        Assert.Contains("compare_long_tail", figures);
        // 8 data figures, the simulator's item category, brand and active flag, 3 overlays (release_date is a date: skipped).
        Assert.Contains("item_feature_category", figures);
        Assert.Contains("item_feature_brand", figures);
        Assert.Contains("item_feature_active", figures);
        Assert.Equal(14, figures.Count);
        var sub = Directory.GetDirectories(Path.Combine(dir, "compare"));
        Assert.Single(sub);
        Assert.True(File.Exists(Path.Combine(sub[0], "index.html")));
        Assert.Equal((640, 400), ReportFixtures.PngSize(Path.Combine(sub[0], "user_activity.png")));
    }

    [Fact]
    public void EdaRejectsBadArguments()
    {
        var dir = TestPaths.NewTempDirectory();
        Assert.Equal(2, Trove("eda", "--data", Path.Combine(dir, "missing.csv"), "--out", dir));
        Assert.Equal(2, Trove("eda", "--data", Ml100K, "--out", dir, "--width", "10"));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void EvaluateWritesTheReportFolder()
    {
        var sim = TestPaths.NewTempDirectory();
        Assert.Equal(0, Trove("simulate", "--users", "200", "--items", "150", "--seed", "9", "--out", sim, "--no-diagnostics"));
        var report = Path.Combine(TestPaths.NewTempDirectory(), "report");
        Assert.Equal(0, Trove("evaluate", "--protocol", "holdout", "--data", sim, "--model", "popularity", "--model", "itemknn", "--k", "5,10", "--threads", "1", "--report", report));
        foreach (var f in new[] { "index.html", "report.md", "report.json", "metric_ndcg.png", "metric_ndcg.svg", "activity_ndcg_at_10.png" })
            Assert.True(File.Exists(Path.Combine(report, f)), f);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json")));
        var groups = json.RootElement.GetProperty("activity").GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(new[] { "light", "medium", "heavy" }, groups.Select(g => g.GetProperty("name").GetString()));
        Assert.Equal(json.RootElement.GetProperty("split").GetProperty("test_cases").GetInt32(), groups.Sum(g => g.GetProperty("users").GetInt32()));
    }

    [Fact]
    public void DemoWritesBothPages()
    {
        var dir = TestPaths.NewTempDirectory();
        int rc = global::Trove.Cli.Commands.DemoCommand.Run(new global::Trove.Cli.Commands.DemoCommand.Settings
        {
            Output = dir, Users = 200, Items = 150, Seed = 5, Models = ["popularity"],
        }, TextWriter.Null, global::Trove.Core.Training.NullProgress.Instance);
        Assert.Equal(0, rc);
        Assert.True(File.Exists(Path.Combine(dir, "eda", "index.html")));
        Assert.True(File.Exists(Path.Combine(dir, "eda", "long_tail.png")));
        var report = File.ReadAllText(Path.Combine(dir, "report", "index.html"));
        Assert.Contains("By user activity", report);
        Assert.True(File.Exists(Path.Combine(dir, "report", "activity_ndcg_at_10.png")));
    }
}
