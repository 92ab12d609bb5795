using Trove.Models.Neural;

namespace Trove.Reports.Plotting;

/// <summary>
/// The picture behind the neural models' <c>curves=PATH</c> parameter: loss, validation metric and
/// learning rate per epoch in three stacked panels of one PNG. Models record the history;
/// <see cref="Register"/> plugs this drawer into <see cref="TrainingCurves"/>.
/// </summary>
public static class TrainingCurvesPanels
{
    /// <summary>Makes <c>curves=PATH</c> draw with this class. Calling it again is harmless.</summary>
    public static void Register() => TrainingCurves.UseDrawer((path, history, title, metric) => Save(path, history, title, metric));

    public static void Save(string path, IReadOnlyList<EpochRecord> history, string title, string metricName, int width = 800, int height = 900)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        var plots = new[] { new ScottPlot.Plot(), new ScottPlot.Plot(), new ScottPlot.Plot() };

        void Panel(int index, double[] ys, string label, ScottPlot.Color color, double[]? second = null, string? secondLabel = null)
        {
            var plot = plots[index];
            var finite = epochs.Zip(ys).Where(p => double.IsFinite(p.Second)).ToArray();
            if (finite.Length > 0)
            {
                var s = plot.Add.Scatter(finite.Select(p => p.First).ToArray(), finite.Select(p => p.Second).ToArray(), color);
                s.LineWidth = 2; s.MarkerSize = 6;
                if (second is not null) s.LegendText = label;
            }
            // A second series on the same scale (the hold-out AUC beside the validation metric, both in 0..1).
            var other = second is null ? [] : epochs.Zip(second).Where(p => double.IsFinite(p.Second)).ToArray();
            if (other.Length > 0)
            {
                var s = plot.Add.Scatter(other.Select(p => p.First).ToArray(), other.Select(p => p.Second).ToArray(), ScottPlot.Colors.Purple);
                s.LineWidth = 2; s.MarkerSize = 6; s.LegendText = secondLabel!;
                plot.ShowLegend(ScottPlot.Edge.Bottom);
                finite = finite.Concat(other).ToArray();
                if (double.IsNaN(ys.FirstOrDefault(double.IsFinite, double.NaN))) label = secondLabel!;
            }
            if (finite.Length > 0)
            {
                double lo = finite.Min(p => p.Second), hi = finite.Max(p => p.Second);
                if (hi - lo <= 1e-12 * Math.Max(1, Math.Abs(hi)))
                {
                    double pad = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
                    plot.Axes.SetLimitsY(lo - pad, hi + pad);
                }
            }
            plot.YLabel(label);
            plot.XLabel("epoch");
            if (index == 0) plot.Title(title);
        }

        Panel(0, history.Select(h => h.Loss).ToArray(), "training loss", ScottPlot.Colors.Blue);
        Panel(1, history.Select(h => h.Validation).ToArray(), "validation " + metricName, ScottPlot.Colors.Green, history.Select(h => h.Auc).ToArray(), "hold-out AUC");
        Panel(2, history.Select(h => h.LearningRate).ToArray(), "learning rate", ScottPlot.Colors.OrangeRed);
        int panel = height / 3;
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, panel * 3));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        for (int i = 0; i < 3; i++)
        {
            // each panel on its own surface (Render clears the whole canvas it is given), then stacked
            using var part = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width, panel));
            plots[i].Render(part);
            using var snapshot = part.Snapshot();
            surface.Canvas.DrawImage(snapshot, 0, i * panel);
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        Core.Persistence.AtomicFile.Write(path, png.SaveTo);
    }
}
