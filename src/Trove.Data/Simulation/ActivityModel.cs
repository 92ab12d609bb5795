namespace Trove.Data.Simulation;

/// <summary>
/// Interactions per user: a log-normal truncated to [min, max + 1) and floored, with its location
/// solved by bisection so the mean matches the target. Heavy-tailed: most users are light, a few
/// are very active. Sampled by inverting the CDF, so every draw is inside [min, max].
/// </summary>
internal sealed class ActivityModel
{
    private readonly int _min, _max;
    private readonly double _mu, _sigma, _fLo, _fHi;

    public ActivityModel(int min, int max, double mean, double sigma)
    {
        _min = min; _max = max; _sigma = sigma;
        if (min == max) return;
        double lo = Math.Log(min), hi = Math.Log(max + 1.0);
        double target = Math.Clamp(mean + 0.5, min + 1e-6, max + 1 - 1e-6);
        double a = lo - 10 * sigma, b = hi + 10 * sigma;
        for (int it = 0; it < 200; it++)
        {
            double mid = 0.5 * (a + b);
            if (TruncatedMean(mid, lo, hi, sigma, min, max) < target) a = mid; else b = mid;
        }
        _mu = 0.5 * (a + b);
        _fLo = NormalMath.Cdf((lo - _mu) / sigma);
        _fHi = NormalMath.Cdf((hi - _mu) / sigma);
    }

    public double Mu => _mu;

    private static double TruncatedMean(double mu, double lo, double hi, double s, int min, int max)
    {
        double za = (lo - mu) / s, zb = (hi - mu) / s;
        double den = NormalMath.Cdf(zb) - NormalMath.Cdf(za);
        if (den < 1e-290) return mu < lo ? min : max + 1;
        double num = Math.Exp(mu + s * s / 2) * (NormalMath.Cdf(zb - s) - NormalMath.Cdf(za - s));
        return Math.Clamp(num / den, min, max + 1.0);
    }

    public int Sample(double u)
    {
        if (_min == _max) return _min;
        double p = _fLo + u * (_fHi - _fLo);
        p = Math.Clamp(p, 1e-300, 1 - 1e-16);
        double x = Math.Exp(_mu + _sigma * NormalMath.InverseCdf(p));
        if (double.IsNaN(x)) return _min;
        return (int)Math.Clamp(Math.Floor(x), _min, _max);
    }
}
