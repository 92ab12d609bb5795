using ScottPlot;

namespace Trove.Reports.Plotting;

/// <summary>Grouped bar charts: one cluster per group (e.g. K or user band), one coloured bar per series (e.g. model).</summary>
public static class GroupedBars
{
    /// <summary>
    /// Adds the bars and returns the number of series drawn. <paramref name="values"/>[series][group];
    /// NaN draws no bar. Bars are labelled with their values formatted by <paramref name="format"/>.
    /// </summary>
    public static int Add(Plot plot, IReadOnlyList<string> groups, IReadOnlyList<string> series, IReadOnlyList<IReadOnlyList<double>> values,
        Func<double, string>? format = null)
    {
        format ??= v => v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        int n = series.Count;
        double width = 0.8 / Math.Max(1, n);
        double max = 0;
        for (int s = 0; s < n; s++)
        {
            var bars = new List<Bar>();
            for (int g = 0; g < groups.Count; g++)
            {
                double v = values[s][g];
                if (!double.IsFinite(v)) continue;
                max = Math.Max(max, v);
                bars.Add(new Bar
                {
                    Position = g - 0.4 + width * (s + 0.5), Value = v, Size = width * 0.92, FillColor = FigureWriter.SeriesColor(s), LineWidth = 0,
                    Label = n * groups.Count <= 24 ? format(v) : "",
                });
            }
            var bp = plot.Add.Bars(bars);
            bp.LegendText = series[s];
            bp.ValueLabelStyle.FontSize = n <= 3 ? 11 : 9;
            bp.ValueLabelStyle.FontName = FigureWriter.Font;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, groups.Count).Select(g => (double)g).ToArray(), groups.ToArray());
        plot.Axes.SetLimits(-0.6, groups.Count - 0.4, 0, max > 0 ? max * 1.18 : 1);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.ShowLegend(Edge.Right); // outside the data area: never over a bar
        return n;
    }
}
