using System.Globalization;
using ScottPlot;
using Trove.Reports.Plotting;

namespace Trove.Reports.Eda;

/// <summary>A plot not yet written, with the file name, title and caption it will have.</summary>
public sealed record EdaFigure(string Name, string Title, string Caption, Plot Plot);

/// <summary>
/// Draws the EDA figures from an <see cref="EdaSummary"/> only, so every figure's numbers are in summary.json.
/// Each method returns null when the data has nothing to show for it (e.g. no timestamps).
/// </summary>
public static class EdaFigures
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<EdaFigure> All(EdaSummary s) =>
        new[]
        {
            UserActivity(s), ItemPopularity(s), LongTail(s), Weights(s), EventMix(s), Timeline(s), ActivityVsPopularity(s), ColdStart(s),
        }.OfType<EdaFigure>().Concat(s.ItemFeatures.Select(FeatureMixFigure)).ToArray();

    /// <summary>
    /// Share of the catalogue vs share of the interactions per label of an item feature (horizontal
    /// bars, most interactions on top): labels whose interaction bar is longer are over-consumed.
    /// </summary>
    public static EdaFigure FeatureMixFigure(FeatureMix f)
    {
        var title = $"Item {f.Column}: catalogue vs interactions";
        var plot = FigureWriter.NewPlot(title, "share (%)", "");
        int n = f.Labels.Count;
        var catalogue = new List<Bar>(); var used = new List<Bar>();
        for (int i = 0; i < n; i++)
        {
            double row = n - 1 - i; // first label at the top
            catalogue.Add(new Bar { Position = row + 0.2, Value = 100 * f.Labels[i].ItemShare, Size = 0.38, FillColor = FigureWriter.SeriesColor(4), LineWidth = 0 });
            used.Add(new Bar { Position = row - 0.2, Value = 100 * f.Labels[i].InteractionShare, Size = 0.38, FillColor = FigureWriter.SeriesColor(0), LineWidth = 0 });
        }
        var cb = plot.Add.Bars(catalogue); cb.Horizontal = true; cb.LegendText = "share of items";
        var ub = plot.Add.Bars(used); ub.Horizontal = true; ub.LegendText = "share of interactions";
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, n).Select(i => (double)(n - 1 - i)).ToArray(), f.Labels.Select(l => l.Label.Length > 24 ? l.Label[..22] + "…" : l.Label).ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        double max = f.Labels.Max(l => Math.Max(l.ItemShare, l.InteractionShare)) * 100;
        plot.Axes.SetLimits(0, Math.Max(1, max) * 1.08, -0.6, n - 0.4);
        plot.ShowLegend(Edge.Bottom);
        var top = f.Labels[0];
        var skew = f.Labels.Where(l => l.ItemShare > 0).MaxBy(l => l.InteractionShare / l.ItemShare);
        var caption = $"{f.DistinctLabels:N0} distinct labels. Most interactions: {top.Label} ({Pct(top.InteractionShare)} of interactions, {Pct(top.ItemShare)} of items)." +
            (skew is not null && skew != top ? $" Most over-consumed for its catalogue share: {skew.Label} ({Pct(skew.InteractionShare)} vs {Pct(skew.ItemShare)})." : "") +
            " Items with several labels count once per label.";
        return new EdaFigure("item_feature_" + EdaReport.Slug(f.Column).Replace('-', '_'), title, caption, plot);
    }

    public static EdaFigure UserActivity(EdaSummary s)
    {
        var d = s.UserActivity;
        var title = "Interactions per user";
        var plot = LogHistogram(d, title, "interactions per user (log scale)", "users per bin", FigureWriter.SeriesColor(0));
        return new EdaFigure("user_activity", title,
            $"{d.Count:N0} active users. Median {Num(d.Median)}, mean {Num(d.Mean)}, 90th percentile {Num(d.P90)}, max {Num(d.Max)} interactions. " +
            $"{Pct(s.ColdStart.UserShares[Idx(s, 5)])} of users have fewer than 5 interactions.", plot);
    }

    public static EdaFigure ItemPopularity(EdaSummary s)
    {
        var d = s.ItemPopularity;
        var title = "Interactions per item";
        var plot = LogHistogram(d, title, "interactions per item (log scale)", "items per bin", FigureWriter.SeriesColor(1));
        return new EdaFigure("item_popularity", title,
            $"{d.Count:N0} items with interactions. Median {Num(d.Median)}, mean {Num(d.Mean)}, max {Num(d.Max)}. " +
            $"{Pct(s.ColdStart.ItemShares[Idx(s, 2)])} of items were seen only once or never.", plot);
    }

    private static int Idx(EdaSummary s, int threshold)
    {
        int i = s.ColdStart.Thresholds.ToList().IndexOf(threshold);
        return i >= 0 ? i : 0;
    }

    /// <summary>
    /// A histogram on a log-10 x axis: each bar spans its bin [lo, hi) in log space. When the bin counts
    /// span two decades or more (a long tail), the y axis is logarithmic too, or the tail would be invisible.
    /// </summary>
    internal static bool UsesLogCounts(Distribution d)
    {
        var nonZero = d.Counts.Where(c => c > 0).ToArray();
        return nonZero.Length > 1 && nonZero.Max() >= 100 * nonZero.Min();
    }

    private static Plot LogHistogram(Distribution d, string title, string xLabel, string yLabel, Color color)
    {
        bool logY = UsesLogCounts(d);
        var plot = FigureWriter.NewPlot(title, xLabel, logY ? yLabel + " (log scale)" : yLabel);
        const double LogBase = -0.3; // bars of a log-y histogram start at 0.5, so a bin with one entry still shows
        var bars = new List<Bar>();
        for (int b = 0; b < d.Counts.Count; b++)
        {
            if (logY && d.Counts[b] == 0) continue;
            double lo = Math.Log10(d.Edges[b]), hi = Math.Log10(d.Edges[b + 1]);
            bars.Add(new Bar
            {
                Position = (lo + hi) / 2, Size = (hi - lo) * 0.96, FillColor = color, LineWidth = 0,
                Value = logY ? Math.Log10(d.Counts[b]) : d.Counts[b], ValueBase = logY ? LogBase : 0,
            });
        }
        var bp = plot.Add.Bars(bars);
        bp.LegendText = "count per bin";
        if (d.Count > 0)
        {
            var median = plot.Add.VerticalLine(Math.Log10(Math.Max(1, d.Median)), 2, Colors.Black);
            median.LegendText = $"median = {Num(d.Median)}";
            var mean = plot.Add.VerticalLine(Math.Log10(Math.Max(1, d.Mean)), 2, Colors.Red.WithAlpha(0.8));
            mean.LegendText = $"mean = {Num(d.Mean)}";
        }
        // Limits from the first to the last non-empty bin (auto-scaling would start at 1 = 10^0).
        int firstBin = Math.Max(0, d.Counts.ToList().FindIndex(c => c > 0));
        int lastBin = Math.Max(firstBin, d.Counts.ToList().FindLastIndex(c => c > 0));
        double left = Math.Log10(d.Edges[firstBin]), right = Math.Log10(d.Edges[lastBin + 1]);
        double pad = Math.Max(0.05, (right - left) * 0.03);
        plot.Axes.SetLimitsX(left - pad, right + pad);
        LogAxis.Apply(plot.Axes.Bottom, left - pad, right + pad);
        double maxCount = Math.Max(1, d.Counts.DefaultIfEmpty(0).Max());
        if (logY)
        {
            double top = Math.Log10(maxCount) + 0.25;
            plot.Axes.SetLimitsY(LogBase, top);
            LogAxis.Apply(plot.Axes.Left, LogBase, top);
        }
        else
        {
            plot.Axes.SetLimitsY(0, maxCount * 1.08);
            plot.Axes.Left.TickGenerator = IntegerTicks();
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    public static EdaFigure LongTail(EdaSummary s)
    {
        var t = s.LongTail;
        var title = "Popularity long tail";
        var plot = FigureWriter.NewPlot(title, "share of items, most popular first (%)", "share of interactions covered (%)");
        var curve = plot.Add.ScatterLine(t.ItemShare.Select(x => 100 * x).ToArray(), t.InteractionShare.Select(y => 100 * y).ToArray());
        curve.LineWidth = 3; curve.Color = FigureWriter.SeriesColor(0);
        curve.LegendText = $"observed (Gini {t.Gini:0.00})";
        var even = plot.Add.ScatterLine(new double[] { 0, 100 }, new double[] { 0, 100 });
        even.LineWidth = 1.5f; even.Color = Colors.Gray;
        even.LegendText = "uniform popularity";
        var top20 = t.TopShares.FirstOrDefault(x => x.TopItemPercent == 20);
        if (top20 is not null)
        {
            var m = plot.Add.Marker(20, 100 * top20.InteractionShare, MarkerShape.FilledCircle, 10, FigureWriter.SeriesColor(5));
            m.LegendText = $"top 20% of items: {Pct(top20.InteractionShare)} of interactions";
        }
        plot.Axes.SetLimits(0, 100, 0, 102);
        plot.ShowLegend(Alignment.LowerRight);
        var top1 = t.TopShares.FirstOrDefault(x => x.TopItemPercent == 1);
        return new EdaFigure("long_tail", title,
            $"The top 1% of items ({top1?.Items:N0}) get {Pct(top1?.InteractionShare ?? 0)} of the interactions; half of all interactions go to " +
            $"{Pct(t.ItemShareFor50Percent)} of the items and 80% to {Pct(t.ItemShareFor80Percent)}. Gini coefficient {t.Gini:0.000}.", plot);
    }

    public static EdaFigure Weights(EdaSummary s)
    {
        var w = s.Weights;
        var title = w.Kind == "constant" ? "Interaction weights (all equal)" : "Rating / weight distribution";
        bool hasEvents = s.Events.Any(e => e.Name != "(none)");
        var plot = FigureWriter.NewPlot(title, hasEvents ? "weight (score x event weight)" : "rating / weight", "interactions");
        var color = FigureWriter.SeriesColor(2);
        if (w.Values is { } values)
        {
            var bars = values.Select((v, i) => new Bar
            {
                Position = i, Value = v.Count, FillColor = color, LineWidth = 0, Size = 0.8,
                Label = Pct(v.Count / (double)s.Counts.Interactions),
            }).ToList();
            var bp = plot.Add.Bars(bars);
            bp.ValueLabelStyle.FontSize = 12;
                        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                values.Select((_, i) => (double)i).ToArray(), values.Select(v => Num(v.Value)).ToArray());
            CategoryLimits(plot, values.Count, values.Max(v => v.Count));
        }
        else
        {
            var edges = w.Edges!; var counts = w.Counts!;
            Func<double, double> at = w.LogBins ? Math.Log10 : x => x;
            var bars = counts.Select((c, i) => new Bar
            {
                Position = (at(edges[i]) + at(edges[i + 1])) / 2, Size = (at(edges[i + 1]) - at(edges[i])) * 0.95, Value = c, FillColor = color, LineWidth = 0,
            }).ToList();
            plot.Add.Bars(bars);
            double lo = at(edges[0]), hi = at(edges[^1]), pad = (hi - lo) * 0.02;
            plot.Axes.SetLimits(lo - pad, hi + pad, 0, Math.Max(1, counts.Max()) * 1.08);
            if (w.LogBins)
            {
                LogAxis.Apply(plot.Axes.Bottom, lo - pad, hi + pad);
                plot.XLabel((hasEvents ? "weight (score x event weight)" : "weight") + ", log scale", size: 14);
            }
        }
        var caption = w.Kind switch
        {
            "constant" => $"Every interaction has weight {Num(w.Min)}: implicit feedback (no ratings or event weights to learn from).",
            "discrete" => $"{w.DistinctValues} distinct values from {Num(w.Min)} to {Num(w.Max)}, mean {Num(w.Mean)}.",
            _ => $"{w.DistinctValues:N0} distinct values from {Num(w.Min)} to {Num(w.Max)}, mean {Num(w.Mean)} (30 {(w.LogBins ? "log-spaced" : "equal-width")} bins).",
        };
        return new EdaFigure("weights", title, caption, plot);
    }

    public static EdaFigure EventMix(EdaSummary s)
    {
        var title = "Event-type mix";
        var plot = FigureWriter.NewPlot(title, "event type", "interactions");
        var bars = s.Events.Select((e, i) => new Bar
        {
            Position = i, Value = e.Count, FillColor = FigureWriter.SeriesColor(i), LineWidth = 0, Size = 0.7, Label = Pct(e.Share),
        }).ToList();
        var bp = plot.Add.Bars(bars);
        bp.ValueLabelStyle.FontSize = 12;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            s.Events.Select((_, i) => (double)i).ToArray(), s.Events.Select(e => e.Name).ToArray());
        CategoryLimits(plot, s.Events.Count, s.Events.Max(e => e.Count));
        var caption = s.Events.Count == 1 && s.Events[0].Name == "(none)"
            ? "The data has no event-type column: every interaction is of one kind."
            : string.Join("; ", s.Events.Select(e => $"{e.Name}: {e.Count:N0} ({Pct(e.Share)})")) + ".";
        return new EdaFigure("event_mix", title, caption, plot);
    }

    public static EdaFigure? Timeline(EdaSummary s)
    {
        if (s.Timeline is not { } t || t.Periods.Count == 0) return null;
        var title = $"Activity over time (per {t.Granularity})";
        var plot = FigureWriter.NewPlot(title, "date (UTC)", $"interactions per {t.Granularity}");
        plot.Axes.Right.Label.Text = $"users per {t.Granularity}";
        plot.Axes.Right.Label.FontSize = 14;
        plot.Axes.Right.Label.FontName = FigureWriter.Font;
        plot.Axes.Right.TickLabelStyle.FontSize = 12;
        // Partial first/last periods would look like a sudden drop: they are left out of the lines.
        var shown = t.Periods.Where(p => !p.Partial).ToList();
        if (shown.Count == 0) shown = t.Periods.ToList();
        var xs = shown.Select(p => DateTime.ParseExact(p.Start, "yyyy-MM-dd", Inv).ToOADate()).ToArray();
        var inter = plot.Add.ScatterLine(xs, shown.Select(p => (double)p.Interactions).ToArray());
        inter.LineWidth = 2.5f; inter.Color = FigureWriter.SeriesColor(0); inter.LegendText = "interactions";
        var users = plot.Add.ScatterLine(xs, shown.Select(p => (double)p.ActiveUsers).ToArray());
        users.LineWidth = 2f; users.Color = FigureWriter.SeriesColor(1); users.LegendText = "active users (right axis)"; users.Axes.YAxis = plot.Axes.Right;
        var fresh = plot.Add.ScatterLine(xs, shown.Select(p => (double)p.NewUsers).ToArray());
        fresh.LineWidth = 1.5f; fresh.Color = FigureWriter.SeriesColor(2); fresh.LegendText = "new users (right axis)"; fresh.Axes.YAxis = plot.Axes.Right;
        if (xs.Length == 1) { inter.MarkerSize = 8; users.MarkerSize = 8; fresh.MarkerSize = 8; }
        plot.Axes.DateTimeTicksBottom();
        plot.Axes.SetLimitsY(0, Math.Max(1, shown.Max(p => p.Interactions)) * 1.1, plot.Axes.Left);
        plot.Axes.Left.TickGenerator = IntegerTicks();
        plot.Axes.Right.TickGenerator = IntegerTicks();
        plot.Axes.SetLimitsY(0, Math.Max(1, shown.Max(p => Math.Max(p.ActiveUsers, p.NewUsers))) * 1.1, plot.Axes.Right);
        plot.ShowLegend(Alignment.UpperRight);
        var peak = t.Periods.MaxBy(p => p.Interactions)!;
        var caption = $"{t.Periods.Count} {t.Granularity}s from {t.First[..10]} to {t.Last[..10]}; busiest {t.Granularity} starting {peak.Start} with {peak.Interactions:N0} interactions." +
            (shown.Count < t.Periods.Count ? $" {t.Periods.Count - shown.Count} partial {t.Granularity}(s) at the edges (less than half covered by the data) are left out of the lines." : "") +
            (t.InteractionsWithoutTimestamp > 0 ? $" {t.InteractionsWithoutTimestamp:N0} interactions have no timestamp and are left out." : "");
        return new EdaFigure("activity_over_time", title, caption, plot);
    }

    public static EdaFigure ActivityVsPopularity(EdaSummary s)
    {
        var a = s.ActivityVsPopularity;
        // Only the non-empty range of bins (e.g. MovieLens has no user below 20 ratings).
        int r0 = 0, r1 = a.Interactions.Count - 1, c0 = int.MaxValue, c1 = -1;
        while (r0 < r1 && a.Interactions[r0].All(n => n == 0)) r0++;
        while (r1 > r0 && a.Interactions[r1].All(n => n == 0)) r1--;
        foreach (var row in a.Interactions)
            for (int c = 0; c < row.Count; c++) if (row[c] > 0) { c0 = Math.Min(c0, c); c1 = Math.Max(c1, c); }
        if (c1 < 0) { c0 = 0; c1 = a.ItemPopularityEdges.Count - 2; }
        int rows = r1 - r0 + 1, cols = c1 - c0 + 1;
        var title = "User activity vs item popularity";
        var plot = FigureWriter.NewPlot(title, "popularity of the item (interactions, log bins)", "activity of the user (interactions, log bins)");
        // Row 0 of a ScottPlot heat map is drawn at the top: put the lightest users at the bottom.
        var grid = new double[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                long n = a.Interactions[r0 + r][c0 + c];
                grid[rows - 1 - r, c] = n > 0 ? Math.Log10(n) : double.NaN;
            }
        var hm = plot.Add.Heatmap(grid);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.NaNCellColor = Colors.White;
        hm.Extent = new CoordinateRect(0, cols, 0, rows);
        var bar = plot.Add.ColorBar(hm);
        bar.Label = "interactions in the cell (log scale)";
        bar.LabelStyle.FontSize = 13;
        bar.LabelStyle.FontName = FigureWriter.Font;
        bar.Axis.TickLabelStyle.FontName = FigureWriter.Font;
        bar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true, LabelFormatter = LogAxis.Label };
        plot.Axes.Bottom.TickGenerator = EdgeTicks(a.ItemPopularityEdges.Skip(c0).Take(cols + 1).ToArray());
        plot.Axes.Left.TickGenerator = EdgeTicks(a.UserActivityEdges.Skip(r0).Take(rows + 1).ToArray());
        plot.Axes.SetLimits(0, cols, 0, rows);
        plot.HideGrid();
        var rho = a.SpearmanActivityVsMeanItemPopularity;
        var caption = "Interactions counted by how active their user is (rows) and how popular their item is (columns); white cells are empty. " +
            (rho is double r0v
                ? $"Spearman correlation between a user's activity and the mean popularity of their items: {r0v:0.00}" +
                  (r0v < -0.1 ? " (heavy users reach further into the long tail)." : r0v > 0.1 ? " (heavy users concentrate on popular items)." : " (little relation).")
                : "Too few users for a correlation.");
        return new EdaFigure("activity_vs_popularity", title, caption, plot);
    }

    /// <summary>Ticks at the bin boundaries of an index-coordinate axis, labelled with the edge values.</summary>
    private static ScottPlot.TickGenerators.NumericManual EdgeTicks(IReadOnlyList<double> edges)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        int step = Math.Max(1, (int)Math.Ceiling(edges.Count / 12.0));
        for (int i = 0; i < edges.Count; i += step) ticks.AddMajor(i, Num(edges[i]));
        return ticks;
    }

    public static EdaFigure ColdStart(EdaSummary s)
    {
        var c = s.ColdStart;
        var title = "Cold start and sparsity";
        var plot = FigureWriter.NewPlot(title, "fewer than N interactions", "share (%)");
        var users = new List<Bar>(); var items = new List<Bar>();
        for (int i = 0; i < c.Thresholds.Count; i++)
        {
            users.Add(new Bar { Position = 3 * i, Value = 100 * c.UserShares[i], FillColor = FigureWriter.SeriesColor(0), LineWidth = 0, Size = 1, Label = Pct(c.UserShares[i]) });
            items.Add(new Bar { Position = 3 * i + 1, Value = 100 * c.ItemShares[i], FillColor = FigureWriter.SeriesColor(1), LineWidth = 0, Size = 1, Label = Pct(c.ItemShares[i]) });
        }
        var ub = plot.Add.Bars(users); ub.LegendText = "users"; ub.ValueLabelStyle.FontSize = 10;
        var ib = plot.Add.Bars(items); ib.LegendText = "items"; ib.ValueLabelStyle.FontSize = 10;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            c.Thresholds.Select((_, i) => 3.0 * i + 0.5).ToArray(), c.Thresholds.Select(t => $"< {t}").ToArray());
        double top = Math.Min(108, Math.Max(5, 100 * Math.Max(c.UserShares.Max(), c.ItemShares.Max())) * 1.15);
        plot.Axes.SetLimitsY(0, top);
        if (top > 60)
        {
            // A share axis ends at 100%: the room above is for the bar labels only.
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            for (int v = 0; v <= 100; v += 10) ticks.AddMajor(v, v.ToString(Inv));
            plot.Axes.Left.TickGenerator = ticks;
        }
        plot.ShowLegend(Alignment.UpperLeft);
        var n = s.Counts;
        plot.Title($"{title}: density {Pct(n.Density, 3)} ({n.DistinctPairs:N0} of {(double)n.Users * n.Items:N0} user-item pairs)", size: 16);
        return new EdaFigure("cold_start", title,
            $"Density {Pct(n.Density, 3)} (sparsity {Pct(n.Sparsity, 3)}). {Pct(c.UserShares[Idx(s, 5)])} of users and {Pct(c.ItemShares[Idx(s, 5)])} of items have fewer than 5 interactions; " +
            $"{n.UsersWithoutInteractions:N0} users and {n.ItemsWithoutInteractions:N0} items have none.", plot);
    }

    /// <summary>Ticks for counts: whole numbers only, with thousands separators.</summary>
    private static ScottPlot.TickGenerators.NumericAutomatic IntegerTicks() =>
        new() { IntegerTicksOnly = true, LabelFormatter = v => v.ToString("#,0", Inv) };

    /// <summary>Limits for bars at 0..n-1: at least <paramref name="minSlots"/> bar widths wide (one bar must not fill the plot), room above for labels.</summary>
    private static void CategoryLimits(Plot plot, int n, double maxValue, int minSlots = 4)
    {
        double extra = Math.Max(0, minSlots - n) / 2.0;
        plot.Axes.SetLimits(-0.6 - extra, n - 0.4 + extra, 0, Math.Max(1, maxValue) * 1.12);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Left.TickGenerator = IntegerTicks();
    }

    internal static string Num(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e12 ? v.ToString("#,0", Inv)
        : Math.Abs(v) >= 100 ? v.ToString("#,0", Inv) : Math.Abs(v) >= 10 ? v.ToString("0.0", Inv) : v.ToString("0.##", Inv);

    internal static string Pct(double share, int decimals = 1) =>
        (100 * share).ToString("0." + new string('0', decimals), Inv) + "%";
}
