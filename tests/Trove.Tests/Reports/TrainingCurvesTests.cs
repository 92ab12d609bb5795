using Trove.Reports.Plotting;
using Trove.Tests.Support;

namespace Trove.Tests.Reports;

public class TrainingCurvesTests
{
    [Fact]
    public void LossValidationAndLearningRateFigures()
    {
        var history = Enumerable.Range(1, 20).Select(e => new TrainingPoint(e, 1.0 / e, e <= 12 ? 0.1 + 0.02 * e : 0.34 - 0.01 * (e - 12), 0.01 * Math.Pow(0.9, e))).ToList();
        var dir = TestPaths.NewTempDirectory();
        var files = TrainingCurvesFigure.Write(dir, "bpr_curves", "BPR on ml-100k", history);
        Assert.Equal(new[] { "bpr_curves", "bpr_curves_lr" }, files.Select(f => f.Name));
        Assert.Equal(3, files[0].SeriesCount); // loss, validation, best-epoch line
        Assert.Contains("epoch 12", files[0].Caption);
        Assert.Equal((900, 500), ReportFixtures.PngSize(files[0].PngPath));
        Assert.True(ReportFixtures.Pixels(files[0].PngPath, FigureWriter.SeriesColor(1)).Near > 100);
    }

    [Fact]
    public void ConstantLearningRateAndNoValidationGiveOneFigure()
    {
        var history = Enumerable.Range(0, 5).Select(e => new TrainingPoint(e, 5 - e, null, 0.05)).ToList();
        var files = TrainingCurvesFigure.Write(TestPaths.NewTempDirectory(), "als", "ALS", history);
        var f = Assert.Single(files);
        Assert.Equal(1, f.SeriesCount);
        Assert.Empty(TrainingCurvesFigure.Write(TestPaths.NewTempDirectory(), "none", "none", []));
    }
}
