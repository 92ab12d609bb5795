using System.Text.Json;
using Trove.Core.Errors;
using Trove.Reports.Eda;
using Trove.Tests.Support;

namespace Trove.Tests.Reports;

/// <summary>summary.json against numbers computed by hand on <see cref="ReportFixtures.Small"/>.</summary>
public class EdaSummaryTests
{
    private static JsonElement WrittenSummary(out string dir)
    {
        dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Small(), dir);
        Assert.Equal(Path.Combine(dir, "summary.json"), result.SummaryPath);
        return JsonDocument.Parse(File.ReadAllText(result.SummaryPath)).RootElement.Clone();
    }

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    [Fact]
    public void CountsDensityAndSparsity()
    {
        var c = WrittenSummary(out _).GetProperty("counts");
        Assert.Equal(5, c.GetProperty("users").GetInt32());
        Assert.Equal(5, c.GetProperty("items").GetInt32());
        Assert.Equal(9, c.GetProperty("interactions").GetInt64());
        Assert.Equal(8, c.GetProperty("distinctPairs").GetInt64());
        Assert.Equal(1, c.GetProperty("repeatedInteractions").GetInt64());
        Assert.Equal(4, c.GetProperty("activeUsers").GetInt32());
        Assert.Equal(4, c.GetProperty("activeItems").GetInt32());
        Assert.Equal(1, c.GetProperty("usersWithoutInteractions").GetInt32());
        Assert.Equal(0.32, c.GetProperty("density").GetDouble(), 9);
        Assert.Equal(0.68, c.GetProperty("sparsity").GetDouble(), 9);
    }

    [Fact]
    public void UserActivityStatisticsAndLogHistogram()
    {
        // Active users' counts: 3, 2, 1, 3.
        var u = WrittenSummary(out _).GetProperty("userActivity");
        Assert.Equal(4, u.GetProperty("count").GetInt64());
        Assert.Equal(1, u.GetProperty("min").GetDouble());
        Assert.Equal(3, u.GetProperty("max").GetDouble());
        Assert.Equal(2.25, u.GetProperty("mean").GetDouble(), 9);
        Assert.Equal(2.5, u.GetProperty("median").GetDouble(), 9);
        Assert.Equal(3, u.GetProperty("p90").GetDouble(), 9);
        Assert.Equal(Math.Sqrt(0.6875), u.GetProperty("stdDev").GetDouble(), 9);
        Assert.Equal(new double[] { 1, 2, 3, 4 }, Doubles(u.GetProperty("edges")));
        Assert.Equal(new double[] { 1, 1, 2 }, Doubles(u.GetProperty("counts")));
    }

    [Fact]
    public void ItemPopularityAndLongTail()
    {
        // Item counts: a 5, b 2, c 1, d 1 (e none); total 9.
        var s = WrittenSummary(out _);
        var i = s.GetProperty("itemPopularity");
        Assert.Equal(new double[] { 1, 2, 3, 4, 7 }, Doubles(i.GetProperty("edges")));
        Assert.Equal(new double[] { 2, 1, 0, 1 }, Doubles(i.GetProperty("counts")));
        Assert.Equal(1.5, i.GetProperty("median").GetDouble(), 9);
        var t = s.GetProperty("longTail");
        var top = t.GetProperty("topShares").EnumerateArray().ToDictionary(x => x.GetProperty("topItemPercent").GetDouble(), x => x.GetProperty("interactionShare").GetDouble());
        Assert.Equal(5 / 9.0, top[20], 9);
        Assert.Equal(7 / 9.0, top[50], 9);
        Assert.Equal(0.25, t.GetProperty("itemShareFor50Percent").GetDouble(), 9);
        Assert.Equal(0.75, t.GetProperty("itemShareFor80Percent").GetDouble(), 9);
        Assert.Equal(2 * 29 / 36.0 - 1.25, t.GetProperty("gini").GetDouble(), 9);
        Assert.Equal(new[] { 0, 0.25, 0.5, 0.75, 1 }, Doubles(t.GetProperty("itemShare")));
        Assert.Equal(new[] { 0, 5 / 9.0, 7 / 9.0, 8 / 9.0, 1 }, Doubles(t.GetProperty("interactionShare")));
    }

    [Fact]
    public void WeightsEventsAndColdStart()
    {
        var s = WrittenSummary(out _);
        var w = s.GetProperty("weights");
        Assert.Equal("discrete", w.GetProperty("kind").GetString());
        Assert.Equal(33 / 9.0, w.GetProperty("mean").GetDouble(), 6);
        Assert.Equal(new[] { "1:1", "2:1", "3:1", "4:3", "5:3" },
            w.GetProperty("values").EnumerateArray().Select(v => $"{v.GetProperty("value").GetDouble()}:{v.GetProperty("count").GetInt64()}").ToArray());
        Assert.Equal(new[] { "(none):6", "view:2", "purchase:1" },
            s.GetProperty("events").EnumerateArray().Select(e => $"{e.GetProperty("name").GetString()}:{e.GetProperty("count").GetInt64()}").ToArray());
        var c = s.GetProperty("coldStart");
        Assert.Equal(new double[] { 1, 2, 3, 5, 10, 20 }, Doubles(c.GetProperty("thresholds")));
        Assert.Equal(new[] { 0.2, 0.4, 0.6, 1, 1, 1 }, Doubles(c.GetProperty("userShares")));
        Assert.Equal(new[] { 0.2, 0.6, 0.8, 0.8, 1, 1 }, Doubles(c.GetProperty("itemShares")));
    }

    [Fact]
    public void TimelineByDayWithNewUsersAndItems()
    {
        var t = WrittenSummary(out _).GetProperty("timeline");
        Assert.Equal("day", t.GetProperty("granularity").GetString());
        Assert.Equal("2024-01-01T00:00:00Z", t.GetProperty("first").GetString());
        Assert.Equal("2024-01-03T05:00:00Z", t.GetProperty("last").GetString());
        Assert.Equal(1, t.GetProperty("interactionsWithoutTimestamp").GetInt64());
        var periods = t.GetProperty("periods").EnumerateArray().Select(p =>
            $"{p.GetProperty("start").GetString()} {p.GetProperty("interactions").GetInt64()} {p.GetProperty("activeUsers").GetInt32()} {p.GetProperty("newUsers").GetInt32()} {p.GetProperty("newItems").GetInt32()} {p.GetProperty("partial").GetBoolean()}").ToArray();
        // The last day is covered only until 05:00: partial.
        Assert.Equal(new[] { "2024-01-01 4 2 2 3 False", "2024-01-02 2 1 1 0 False", "2024-01-03 2 2 1 0 True" }, periods);
    }

    [Fact]
    public void ActivityVsPopularityGridAndSpearman()
    {
        var a = WrittenSummary(out _).GetProperty("activityVsPopularity");
        var grid = a.GetProperty("interactions").EnumerateArray().Select(r => string.Join(",", r.EnumerateArray().Select(x => x.GetInt64()))).ToArray();
        Assert.Equal(new[] { "0,0,0,1", "0,1,0,1", "2,1,0,3" }, grid);
        Assert.Equal(-3 / Math.Sqrt(22.5), a.GetProperty("spearmanActivityVsMeanItemPopularity").GetDouble(), 9);
    }

    [Fact]
    public void SummaryListsEveryFigureWritten()
    {
        var s = WrittenSummary(out var dir);
        var names = s.GetProperty("figures").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(new[] { "user_activity", "item_popularity", "long_tail", "weights", "event_mix", "activity_over_time", "activity_vs_popularity", "cold_start" }, names);
        foreach (var f in s.GetProperty("figures").EnumerateArray())
        {
            Assert.True(File.Exists(Path.Combine(dir, f.GetProperty("png").GetString()!)));
            Assert.True(File.Exists(Path.Combine(dir, f.GetProperty("svg").GetString()!)));
            Assert.False(string.IsNullOrWhiteSpace(f.GetProperty("caption").GetString()));
        }
    }

    [Fact]
    public void LogIntegerEdgesAreStrictlyIncreasingAndCoverTheMax()
    {
        Assert.Equal(new double[] { 1, 2, 3, 4, 7, 10, 16, 26, 40, 64, 100, 159 }, EdaAnalyzer.LogIntegerEdges(100));
        Assert.Equal(new double[] { 1, 2 }, EdaAnalyzer.LogIntegerEdges(1));
        var edges = EdaAnalyzer.LogIntegerEdges(123_456);
        Assert.True(edges.Zip(edges.Skip(1)).All(p => p.Second > p.First));
        Assert.True(edges[^1] > 123_456 && edges[^2] <= 123_456);
    }

    [Fact]
    public void EmptyDataIsAUserError()
    {
        var empty = new Trove.Core.Data.Dataset(new(["u"]), new(["i"]), Trove.Core.Data.InteractionLog.Empty, source: "empty.csv");
        var e = Assert.Throws<TroveException>(() => EdaAnalyzer.Analyze(empty));
        Assert.Contains("empty.csv", e.Message);
    }
}

public class EdaWeightTests
{
    [Fact]
    public void HeavyTailedWeightsGetLogBins()
    {
        var weights = Enumerable.Range(1, 1000).Select(i => (float)i).ToArray();
        var w = EdaAnalyzer.ComputeWeights(weights);
        Assert.Equal("continuous", w.Kind);
        Assert.True(w.LogBins);
        Assert.Equal(31, w.Edges!.Count);
        Assert.Equal(1, w.Edges[0]);
        Assert.Equal(1000, w.Edges[^1], 6);
        Assert.Equal(Math.Sqrt(1000), w.Edges[15], 6); // geometric midpoint
        Assert.Equal(1000, w.Counts!.Sum());
        Assert.Equal(1, w.Counts![0]); // [1, 1.26)
    }

    [Fact]
    public void NarrowContinuousWeightsGetEqualBins()
    {
        var weights = Enumerable.Range(0, 60).Select(i => 0.5f + i * 0.5f).ToArray(); // 0.5 .. 30
        var w = EdaAnalyzer.ComputeWeights(weights);
        Assert.False(w.LogBins);
        Assert.Equal(0.5, w.Edges![0]);
        Assert.Equal(30, w.Edges[^1]);
        Assert.Equal(60, w.Counts!.Sum());
        Assert.Equal(2, w.Counts![0]); // 0.5 and 1.0 in [0.5, 1.483)
        Assert.Equal(2, w.Counts[^1]); // 29.5 and the maximum 30
    }

    [Fact]
    public void ConstantWeightsAreImplicitFeedback()
    {
        var w = EdaAnalyzer.ComputeWeights([1f, 1f, 1f]);
        Assert.Equal("constant", w.Kind);
        Assert.Equal(new ValueCount(1, 3), Assert.Single(w.Values!));
    }
}

public class EdaFeatureMixTests
{
    [Fact]
    public void SharesPerLabelWithMultiLabelItems()
    {
        // Items a..e of the small fixture (interactions a 5, b 2, c 1, d 1, e 0).
        var data = ReportFixtures.Small();
        data.ItemFeatures.Categorical["genre"] = ["Drama|Comedy", "Drama", "Action", null, "Comedy"];
        data.ItemFeatures.Categorical["release"] = ["2001-01-01", "2002-01-01", "2003-01-01", "2004-01-01", "2005-01-01"];
        data.ItemFeatures.Categorical["single"] = ["x", "x", "x", "x", "x"];
        var mix = Assert.Single(EdaAnalyzer.Analyze(data).ItemFeatures); // dates and one-label columns are skipped
        Assert.Equal("genre", mix.Column);
        Assert.Equal(3, mix.DistinctLabels);
        Assert.Equal(new[] { "Drama 2 7", "Comedy 2 5", "Action 1 1", "(none) 1 1" },
            mix.Labels.Select(l => $"{l.Label} {l.Items} {l.Interactions}"));
        Assert.Equal(7 / 9.0, mix.Labels[0].InteractionShare, 9);
        Assert.Equal(0.4, mix.Labels[0].ItemShare, 9);

        var figure = EdaFigures.FeatureMixFigure(mix);
        Assert.Equal("item_feature_genre", figure.Name);
        var series = figure.Plot.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().ToList();
        Assert.Equal(2, series.Count);
        Assert.All(series, s => Assert.Equal(4, s.Bars.Count));
        Assert.Equal(100 * 7 / 9.0, series[1].Bars[0].Value, 6);
    }

    [Fact]
    public void ManyLabelsAreFoldedIntoOther()
    {
        var data = ReportFixtures.Random(users: 50, items: 60, seed: 11);
        data.ItemFeatures.Categorical["brand"] = Enumerable.Range(0, 60).Select(i => $"brand{i % 20}").ToArray();
        var mix = Assert.Single(EdaAnalyzer.Analyze(data).ItemFeatures);
        Assert.Equal(20, mix.DistinctLabels);
        Assert.Equal(EdaAnalyzer.MaxFeatureLabels + 1, mix.Labels.Count);
        Assert.Equal("(other 5)", mix.Labels[^1].Label);
        Assert.Equal(60, mix.Labels.Sum(l => l.Items));
        Assert.Equal(data.Interactions.Count, mix.Labels.Sum(l => l.Interactions));
    }
}
