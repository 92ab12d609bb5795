using ScottPlot;
using Trove.Reports.Plotting;

namespace Trove.Reports.Eda;

/// <summary>
/// Overlay figures that put several datasets' distributions on one chart (e.g. real data beside a
/// simulated set), normalised so sets of different sizes compare: complementary CDFs on log-log
/// axes for activity and popularity, and the long-tail curves.
/// </summary>
public static class EdaComparison
{
    public static IReadOnlyList<EdaFigure> Figures(IReadOnlyList<(string Label, EdaSummary Summary)> sets) =>
    [
        Ccdf(sets, s => s.UserActivity, "compare_user_activity", "Interactions per user, compared", "interactions per user (log scale)", "share of users with at least x (log scale)"),
        Ccdf(sets, s => s.ItemPopularity, "compare_item_popularity", "Interactions per item, compared", "interactions per item (log scale)", "share of items with at least x (log scale)"),
        LongTails(sets),
    ];

    /// <summary>Points (x, share of values >= x) at each bin's lower edge, from a histogram.</summary>
    public static (double[] X, double[] Share) CcdfPoints(Distribution d)
    {
        var xs = new List<double>(); var ys = new List<double>();
        long n = d.Counts.Sum();
        if (n == 0) return ([], []);
        long atLeast = n;
        for (int b = 0; b < d.Counts.Count; b++)
        {
            if (atLeast > 0) { xs.Add(d.Edges[b]); ys.Add(atLeast / (double)n); }
            atLeast -= d.Counts[b];
        }
        return (xs.ToArray(), ys.ToArray());
    }

    private static EdaFigure Ccdf(IReadOnlyList<(string Label, EdaSummary Summary)> sets, Func<EdaSummary, Distribution> pick,
        string name, string title, string xLabel, string yLabel)
    {
        var plot = FigureWriter.NewPlot(title, xLabel, yLabel);
        var parts = new List<string>();
        for (int i = 0; i < sets.Count; i++)
        {
            var d = pick(sets[i].Summary);
            var (x, y) = CcdfPoints(d);
            var line = plot.Add.Scatter(x.Select(Math.Log10).ToArray(), y.Select(Math.Log10).ToArray());
            line.Color = FigureWriter.SeriesColor(i); line.LineWidth = 2.5f; line.MarkerSize = 6;
            line.LegendText = $"{sets[i].Label} (median {EdaFigures.Num(d.Median)})";
            parts.Add($"{sets[i].Label}: median {EdaFigures.Num(d.Median)}, mean {EdaFigures.Num(d.Mean)}, max {EdaFigures.Num(d.Max)}");
        }
        double xMax = sets.Max(x => Math.Log10(Math.Max(1, pick(x.Summary).Edges[^1])));
        double yMin = sets.Min(x => { var c = pick(x.Summary); return c.Count > 0 ? Math.Log10(1.0 / c.Count) : 0; });
        plot.Axes.SetLimits(-0.05, xMax + 0.05, yMin - 0.1, 0.1);
        LogAxis.Apply(plot.Axes.Bottom, -0.05, xMax + 0.05);
        LogAxis.Apply(plot.Axes.Left, yMin - 0.1, 0.1);
        plot.ShowLegend(Alignment.LowerLeft);
        return new EdaFigure(name, title, "Complementary CDF (share of entities with at least x interactions); a straighter, flatter line is a heavier tail. " + string.Join("; ", parts) + ".", plot);
    }

    private static EdaFigure LongTails(IReadOnlyList<(string Label, EdaSummary Summary)> sets)
    {
        const string title = "Popularity long tail, compared";
        var plot = FigureWriter.NewPlot(title, "share of items, most popular first (%)", "share of interactions covered (%)");
        var parts = new List<string>();
        for (int i = 0; i < sets.Count; i++)
        {
            var t = sets[i].Summary.LongTail;
            var line = plot.Add.ScatterLine(t.ItemShare.Select(x => 100 * x).ToArray(), t.InteractionShare.Select(y => 100 * y).ToArray());
            line.Color = FigureWriter.SeriesColor(i); line.LineWidth = 2.5f;
            line.LegendText = $"{sets[i].Label} (Gini {t.Gini:0.00})";
            var top20 = t.TopShares.FirstOrDefault(s => s.TopItemPercent == 20);
            parts.Add($"{sets[i].Label}: top 20% of items cover {EdaFigures.Pct(top20?.InteractionShare ?? 0)}");
        }
        var even = plot.Add.ScatterLine(new double[] { 0, 100 }, new double[] { 0, 100 });
        even.Color = Colors.Gray; even.LineWidth = 1.5f; even.LegendText = "uniform popularity";
        plot.Axes.SetLimits(0, 100, 0, 102);
        plot.ShowLegend(Alignment.LowerRight);
        return new EdaFigure("compare_long_tail", title, string.Join("; ", parts) + ".", plot);
    }
}
