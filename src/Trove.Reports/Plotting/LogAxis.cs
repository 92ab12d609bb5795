using ScottPlot;
using ScottPlot.TickGenerators;

namespace Trove.Reports.Plotting;

/// <summary>
/// Log-10 axes for ScottPlot 5, which has no log scale of its own: data are plotted at log10(x)
/// and the ticks are labelled with x. Powers of ten are labelled; over fewer than three decades
/// 2x and 5x are labelled too, and minor ticks mark 2..9 times each power.
/// </summary>
public static class LogAxis
{
    /// <summary>Automatic ticks (for axes whose range is not known up front, e.g. a colour bar).</summary>
    public static void Apply(IAxis axis)
    {
        axis.TickGenerator = new NumericAutomatic
        {
            MinorTickGenerator = new LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = Label,
        };
    }

    /// <summary>Ticks for an axis that shows log10 values from <paramref name="log10Min"/> to <paramref name="log10Max"/>.</summary>
    public static void Apply(IAxis axis, double log10Min, double log10Max)
    {
        var ticks = new NumericManual();
        int lo = (int)Math.Floor(log10Min) - 1, hi = (int)Math.Ceiling(log10Max) + 1;
        bool dense = log10Max - log10Min < 3;
        for (int p = lo; p <= hi; p++)
            for (int m = 1; m <= 9; m++)
            {
                double at = p + Math.Log10(m);
                if (at < log10Min - 1e-9 || at > log10Max + 1e-9) continue;
                if (m == 1 || (dense && m is 2 or 5)) ticks.AddMajor(at, Label(at));
                else ticks.AddMinor(at);
            }
        axis.TickGenerator = ticks;
    }

    public static string Label(double log10)
    {
        double v = Math.Pow(10, log10);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (v >= 1 && v < 1e6) return Math.Round(v).ToString("#,0", inv);
        if (v < 1 && v >= 1e-4) return v.ToString("0.####", inv);
        return $"1e{Math.Round(log10):0}";
    }
}
