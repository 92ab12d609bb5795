using ScottPlot;
using ScottPlot.TickGenerators;

namespace Trove.Reports.Plotting;

/// <summary>
/// Log-10 axes for ScottPlot 5, which has no log scale of its own: data are plotted at log10(x)
/// and the ticks are labelled with 10^x, with minor ticks at 2..9 times each power of ten.
/// </summary>
public static class LogAxis
{
    public static void Apply(IAxis axis)
    {
        var ticks = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = Label,
        };
        axis.TickGenerator = ticks;
    }

    public static string Label(double log10)
    {
        double v = Math.Pow(10, log10);
        if (v >= 1 && v < 1e6) return v.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture);
        if (v < 1 && v >= 1e-3) return v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return $"1e{Math.Round(log10):0}";
    }
}
