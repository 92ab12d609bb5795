using Trove.Evaluation.Metrics;

namespace Trove.Tests.Evaluation;

public class BootstrapIntervalTests
{
    [Fact]
    public void A_hit_rate_of_0_3_over_400_users_gets_the_normal_approximation_width()
    {
        // 120 hits among 400 users: the mean's standard error is sqrt(0.3 x 0.7 / 400) = 0.0229, so a 95% interval is
        // about 0.3 -/+ 0.045; the bootstrap's percentile interval must agree within Monte Carlo noise.
        var values = Enumerable.Range(0, 400).Select(c => c % 10 < 3 ? 1.0 : 0.0).ToArray();
        var (low, high) = BootstrapInterval.Of(values);
        Assert.InRange(low, 0.300 - 0.045 - 0.008, 0.300 - 0.045 + 0.008);
        Assert.InRange(high, 0.300 + 0.045 - 0.008, 0.300 + 0.045 + 0.008);
        Assert.Equal((low, high), BootstrapInterval.Of(values)); // the same seed draws the same resamples
    }

    [Fact]
    public void More_users_narrow_the_interval_and_a_constant_has_none()
    {
        var few = Enumerable.Range(0, 100).Select(c => (c * 37 % 100) / 100.0).ToArray();
        var many = Enumerable.Range(0, 1600).Select(c => (c * 37 % 100) / 100.0).ToArray();
        var (l1, h1) = BootstrapInterval.Of(few);
        var (l2, h2) = BootstrapInterval.Of(many);
        Assert.True(h2 - l2 < (h1 - l1) / 2.5, $"{h2 - l2} vs {h1 - l1}"); // width ~ 1/sqrt(n): 4x as wide for 16x fewer users
        Assert.True(l2 < many.Average() && many.Average() < h2);
        Assert.Equal((0.25, 0.25), BootstrapInterval.Of(Enumerable.Repeat(0.25, 50).ToArray()));
        Assert.True(double.IsNaN(BootstrapInterval.Of([]).Low));
    }
}
