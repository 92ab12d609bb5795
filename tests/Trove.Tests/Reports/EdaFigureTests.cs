using ScottPlot;
using ScottPlot.Plottables;
using Trove.Reports.Eda;
using Trove.Reports.Plotting;
using Trove.Tests.Support;

namespace Trove.Tests.Reports;

public class EdaFigureTests
{
    [Fact]
    public void EveryFigureIsAPngAndSvgWithContent()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Random(timestamps: true), dir, new EdaOptions { Width = 800, Height = 500 });
        Assert.Equal(8, result.Figures.Count);
        foreach (var f in result.Figures)
        {
            Assert.Equal((800, 500), ReportFixtures.PngSize(f.PngPath));
            Assert.True(new FileInfo(f.PngPath).Length > 10_000, $"{f.Name}.png is only {new FileInfo(f.PngPath).Length} bytes");
            // Anti-aliased text, bars and lines give many colours; a blank or text-less image has a handful.
            var (distinct, _) = ReportFixtures.Pixels(f.PngPath);
            Assert.True(distinct > 40, $"{f.Name}.png has only {distinct} colours");
            var svg = File.ReadAllText(f.SvgPath);
            Assert.StartsWith("<svg", svg.TrimStart().Substring(svg.TrimStart().IndexOf("<svg", StringComparison.Ordinal)));
            Assert.True(svg.Length > 5_000, $"{f.Name}.svg is only {svg.Length} characters");
            Assert.False(File.Exists(f.PngPath + ".tmp"));
        }
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void TitlesAreDrawnAsText()
    {
        // Without a font the text silently disappears: the SVG must carry the title glyphs.
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Small(), dir);
        var svg = File.ReadAllText(result.Figures.Single(f => f.Name == "user_activity").SvgPath);
        Assert.Contains("<text", svg);
        Assert.Contains("Interactions", svg);
        Assert.NotEqual("", FigureWriter.Font);
    }

    [Fact]
    public void SeriesCountsFollowTheData()
    {
        var s = EdaAnalyzer.Analyze(ReportFixtures.Small());
        var events = EdaFigures.EventMix(s).Plot.GetPlottables().OfType<BarPlot>().Single();
        Assert.Equal(3, events.Bars.Count); // (none), view, purchase
        Assert.Equal(new double[] { 6, 2, 1 }, events.Bars.Select(b => b.Value).ToArray());

        var users = EdaFigures.UserActivity(s).Plot.GetPlottables().OfType<BarPlot>().Single();
        Assert.Equal(s.UserActivity.Counts.Count, users.Bars.Count);
        Assert.Equal(s.UserActivity.Counts.Select(c => (double)c), users.Bars.Select(b => b.Value));

        var weights = EdaFigures.Weights(s).Plot.GetPlottables().OfType<BarPlot>().Single();
        Assert.Equal(5, weights.Bars.Count); // ratings 1..5

        var cold = EdaFigures.ColdStart(s).Plot.GetPlottables().OfType<BarPlot>().ToList();
        Assert.Equal(2, cold.Count); // users, items
        Assert.All(cold, c => Assert.Equal(EdaAnalyzer.ColdStartThresholds.Count, c.Bars.Count));

        var timeline = EdaFigures.Timeline(s)!.Plot.GetPlottables().OfType<Scatter>().ToList();
        Assert.Equal(3, timeline.Count); // interactions, active users, new users
        Assert.All(timeline, t => Assert.Equal(2, t.Data.GetScatterPoints().Count)); // 3 days, the last one partial

        var heat = EdaFigures.ActivityVsPopularity(s).Plot.GetPlottables().OfType<Heatmap>().Single();
        Assert.Equal(3, heat.Intensities.GetLength(0)); // user bins 1, 2, 3
        Assert.Equal(4, heat.Intensities.GetLength(1)); // item bins 1, 2, 3, 4-6
    }

    [Fact]
    public void NoTimestampsMeansNoTimelineFigure()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Random(timestamps: false), dir);
        Assert.Null(result.Summary.Timeline);
        Assert.DoesNotContain(result.Figures, f => f.Name == "activity_over_time");
        Assert.Equal(7, result.Figures.Count);
        Assert.Contains("no timestamps", File.ReadAllText(result.HtmlPath));
        var weights = result.Summary.Weights;
        Assert.Equal("constant", weights.Kind);
    }

    [Fact]
    public void ComparisonOverlaysOneSeriesPerDataset()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Random(seed: 1), dir, null, [ReportFixtures.Random(users: 150, items: 400, seed: 2, timestamps: true)]);
        Assert.Single(result.Compared);
        Assert.True(File.Exists(result.Compared[0].HtmlPath));
        Assert.Equal(8, result.Compared[0].Figures.Count);
        var overlays = result.Figures.Where(f => f.Name.StartsWith("compare_")).ToList();
        Assert.Equal(3, overlays.Count);
        var s1 = EdaAnalyzer.Analyze(ReportFixtures.Random(seed: 1));
        var s2 = EdaAnalyzer.Analyze(ReportFixtures.Random(users: 150, items: 400, seed: 2));
        var figs = EdaComparison.Figures([("a", s1), ("b", s2)]);
        Assert.Equal(2, figs[0].Plot.GetPlottables().OfType<Scatter>().Count());
        Assert.Equal(3, figs[2].Plot.GetPlottables().OfType<Scatter>().Count()); // two curves + the uniform line
        var html = File.ReadAllText(result.HtmlPath);
        Assert.Contains("compare/", html);
    }

    [Fact]
    public void CcdfStartsAtOneAndDecreases()
    {
        var d = EdaAnalyzer.Describe([1, 1, 2, 3, 10]);
        var (x, share) = EdaComparison.CcdfPoints(d);
        Assert.Equal(1.0, share[0]);
        Assert.Equal(new double[] { 1, 2, 3, 4, 7, 10 }, x); // bin lower edges up to the last non-empty bin
        Assert.Equal(new[] { 1, 0.6, 0.4, 0.2, 0.2, 0.2 }, share);
    }
}

public class EdaLogCountTests
{
    [Fact]
    public void LongTailedHistogramsSwitchToLogCounts()
    {
        // 500 items seen once, 3 seen 40 times: counts per bin span more than two decades.
        var d = EdaAnalyzer.Describe([.. Enumerable.Repeat(1L, 500), 40, 40, 40, 7]);
        Assert.True(EdaFigures.UsesLogCounts(d));
        var s = EdaAnalyzer.Analyze(ReportFixtures.Small());
        Assert.False(EdaFigures.UsesLogCounts(s.UserActivity));
        var summary = s with { ItemPopularity = d };
        var bars = EdaFigures.ItemPopularity(summary).Plot.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().Single().Bars;
        // Bars only for the non-empty bins, heights log10(count) above a base of 0.5.
        Assert.Equal(new[] { Math.Log10(500), 0, Math.Log10(3) }, bars.Select(b => b.Value).ToArray(), new ToleranceComparer());
        Assert.All(bars, b => Assert.Equal(-0.3, b.ValueBase, 9));
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-6;
        public int GetHashCode(double obj) => 0;
    }
}

public class EdaEdgeCaseTests
{
    [Fact]
    public void ASingleInteractionStillGivesEveryFigure()
    {
        var b = new Trove.Core.Data.InteractionLogBuilder();
        b.Add(0, 0, 1f, ReportFixtures.Day0 + 100);
        var data = new Trove.Core.Data.Dataset(new(["u"]), new(["i"]), b.Build(), source: "one.csv");
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(data, dir);
        Assert.Equal(8, result.Figures.Count);
        Assert.Null(result.Summary.ActivityVsPopularity.SpearmanActivityVsMeanItemPopularity);
        Assert.Equal(1.0, result.Summary.Counts.Density);
        Assert.Equal(1, Assert.Single(result.Summary.Timeline!.Periods).Interactions);
        Assert.All(result.Figures, f => Assert.True(new FileInfo(f.PngPath).Length > 5_000, f.Name));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(result.SummaryPath));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("activityVsPopularity").GetProperty("spearmanActivityVsMeanItemPopularity").ValueKind);
    }

    [Fact]
    public void DecadesOfTimestampsAreBinnedByMonth()
    {
        var b = new Trove.Core.Data.InteractionLogBuilder();
        long start = new DateTimeOffset(2001, 3, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        for (int k = 0; k < 48; k++) b.Add(k % 3, k % 4, 1f, start + k * 30L * 86400);
        var s = EdaAnalyzer.Analyze(new Trove.Core.Data.Dataset(new(["a", "b", "c"]), new(["w", "x", "y", "z"]), b.Build()));
        Assert.Equal("month", s.Timeline!.Granularity);
        Assert.Equal("2001-03-01", s.Timeline.Periods[0].Start);
        Assert.True(s.Timeline.Periods[0].Partial); // data from the 20th: less than half of March
        Assert.Equal(48, s.Timeline.Periods.Sum(p => p.Interactions));
    }
}
