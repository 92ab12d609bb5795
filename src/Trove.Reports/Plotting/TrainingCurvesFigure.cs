using ScottPlot;

namespace Trove.Reports.Plotting;

/// <summary>One epoch of an iterative model's training (NaN or null where not measured).</summary>
/// <param name="Auc">AUC on the model's internal hold-out (drawn on the right axis beside the validation metric).</param>
public sealed record TrainingPoint(int Epoch, double Loss, double? Validation = null, double? LearningRate = null, double? Auc = null)
{
    /// <summary>The epochs of a model's history (NaN measurements become null).</summary>
    public static IReadOnlyList<TrainingPoint> From(IReadOnlyList<Trove.Models.Neural.EpochRecord> history) =>
        history.Select(h => new TrainingPoint(h.Epoch, h.Loss, Finite(h.Validation), Finite(h.LearningRate), Finite(h.Auc))).ToList();

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}

/// <summary>
/// Training curves: loss per epoch (left axis) and the validation metric (right axis) with the best
/// epoch marked; the learning rate is drawn in a second figure when it changes during training.
/// Models record their history; this keeps ScottPlot out of the model assemblies.
/// </summary>
public static class TrainingCurvesFigure
{
    public static IReadOnlyList<FigureFile> Write(string directory, string name, string title, IReadOnlyList<TrainingPoint> history,
        string validationMetric = "ndcg@10", int width = FigureWriter.DefaultWidth, int height = 500)
    {
        if (history.Count == 0) return [];
        var files = new List<FigureFile>();
        var plot = FigureWriter.NewPlot(title, "epoch", "training loss");
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        var lossPoints = history.Where(h => double.IsFinite(h.Loss)).ToArray();
        if (lossPoints.Length > 0)
        {
            var loss = plot.Add.Scatter(lossPoints.Select(h => (double)h.Epoch).ToArray(), lossPoints.Select(h => h.Loss).ToArray());
            loss.Color = FigureWriter.SeriesColor(0); loss.LineWidth = 2.5f; loss.MarkerSize = history.Count <= 40 ? 6 : 0;
            loss.LegendText = "training loss";
        }
        var val = history.Where(h => h.Validation is double v && double.IsFinite(v)).ToArray();
        string caption = lossPoints.Length > 0 ? $"Loss from {lossPoints[0].Loss:G4} (epoch {lossPoints[0].Epoch}) to {lossPoints[^1].Loss:G4} (epoch {lossPoints[^1].Epoch})." : "No loss recorded.";
        if (val.Length > 0)
        {
            var metric = plot.Add.Scatter(val.Select(h => (double)h.Epoch).ToArray(), val.Select(h => h.Validation!.Value).ToArray());
            metric.Color = FigureWriter.SeriesColor(1); metric.LineWidth = 2.5f; metric.MarkerSize = history.Count <= 40 ? 6 : 0;
            metric.LegendText = $"validation {validationMetric} (right axis)";
            metric.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = $"validation {validationMetric}";
            plot.Axes.Right.Label.FontSize = 14;
            plot.Axes.Right.Label.FontName = FigureWriter.Font;
            var best = val.MaxBy(h => h.Validation!.Value)!;
            var line = plot.Add.VerticalLine(best.Epoch, 1.5f, Colors.Gray);
            line.LegendText = $"best epoch {best.Epoch} ({best.Validation:0.0000})";
            caption += $" Best validation {validationMetric} {best.Validation:0.0000} at epoch {best.Epoch} of {history[^1].Epoch}.";
        }
        var auc = history.Where(h => h.Auc is double a && double.IsFinite(a)).ToArray();
        if (auc.Length > 0)
        {
            var areaUnderCurve = plot.Add.Scatter(auc.Select(h => (double)h.Epoch).ToArray(), auc.Select(h => h.Auc!.Value).ToArray());
            areaUnderCurve.Color = FigureWriter.SeriesColor(3); areaUnderCurve.LineWidth = 2.5f; areaUnderCurve.MarkerSize = history.Count <= 40 ? 6 : 0;
            areaUnderCurve.LegendText = "hold-out AUC (right axis)";
            areaUnderCurve.Axes.YAxis = plot.Axes.Right;
            caption += $" Hold-out AUC {auc[^1].Auc:0.0000} at epoch {auc[^1].Epoch}.";
        }
        plot.ShowLegend(Edge.Bottom);
        plot.Axes.SetLimitsX(epochs.Min() - 0.5, epochs.Max() + 0.5);
        files.Add(FigureWriter.Save(plot, directory, name, title, caption, width, height));

        var lr = history.Where(h => h.LearningRate is double r && double.IsFinite(r)).ToArray();
        if (lr.Length > 1 && lr.Select(h => h.LearningRate).Distinct().Count() > 1)
        {
            var lrPlot = FigureWriter.NewPlot($"{title}: learning rate", "epoch", "learning rate");
            var s = lrPlot.Add.Scatter(lr.Select(h => (double)h.Epoch).ToArray(), lr.Select(h => h.LearningRate!.Value).ToArray());
            s.Color = FigureWriter.SeriesColor(2); s.LineWidth = 2.5f; s.MarkerSize = history.Count <= 40 ? 6 : 0;
            files.Add(FigureWriter.Save(lrPlot, directory, name + "_lr", $"{title}: learning rate",
                $"Learning rate from {lr[0].LearningRate:G3} to {lr[^1].LearningRate:G3}.", width, height / 2 + 80));
        }
        return files;
    }
}
