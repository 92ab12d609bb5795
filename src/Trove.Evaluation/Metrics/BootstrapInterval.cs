namespace Trove.Evaluation.Metrics;

/// <summary>
/// Percentile bootstrap confidence intervals of a mean over test users (Efron and Tibshirani 1993, ch. 13): the users
/// are resampled with replacement <see cref="Resamples"/> times, the metric's mean is taken on each resample, and the
/// interval is the (1-level)/2 and (1+level)/2 quantiles of those means. It says how much the figure would move on
/// another draw of users of the same kind; it does not cover the variation between splits or training seeds.
/// </summary>
public static class BootstrapInterval
{
    /// <summary>Resamples drawn for every interval.</summary>
    public const int Resamples = 1000;
    /// <summary>Coverage of the reported intervals.</summary>
    public const double Level = 0.95;

    /// <summary>
    /// The interval of the mean of <paramref name="perCase"/> at <paramref name="level"/>; the draws depend only on
    /// <paramref name="seed"/> and the number of cases, so models evaluated on the same users get the same resamples.
    /// (NaN, NaN) for no cases.
    /// </summary>
    public static (double Low, double High) Of(IReadOnlyList<double> perCase, int seed = 42, int resamples = Resamples, double level = Level)
    {
        int n = perCase.Count;
        if (n == 0) return (double.NaN, double.NaN);
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), "at least one resample");
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), "a level in (0, 1)");
        var rng = new Random(seed);
        var means = new double[resamples];
        for (int b = 0; b < resamples; b++)
        {
            double sum = 0;
            for (int c = 0; c < n; c++) sum += perCase[rng.Next(n)];
            means[b] = sum / n;
        }
        Array.Sort(means);
        return (Quantile(means, (1 - level) / 2), Quantile(means, (1 + level) / 2));
    }

    /// <summary>Linear interpolation between order statistics (the "type 7" quantile of R and NumPy).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
    }
}
