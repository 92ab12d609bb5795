using System.Text.Json;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Ensemble;
using Trove.Models.Linear;

namespace Trove.Tests.Models;

public class BlendTests
{
    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement.Clone();

    /// <summary>The blend is n(ease) + w n(rp3beta), n the per-user z-score over the user's unseen items, from the standalone models' scores.</summary>
    [Theory]
    [InlineData("zscore", 0.7f)]
    [InlineData("max", 1.5f)]
    public void Scores_are_the_weighted_sum_of_normalised_component_scores(string normalization, float weight)
    {
        var data = ToyData.Random(50, 30, 8, seed: 4);
        var fit = new FitContext { Seed = 3, Threads = 1 };
        var blend = new Blend(new BlendParameters
        {
            First = "ease", FirstParameters = Json("""{"lambda": 20}"""), Second = "rp3beta", SecondParameters = Json("""{"beta": 0.2}"""),
            FirstWeight = 0.8f, SecondWeight = weight, Normalization = normalization,
        });
        blend.Fit(data, fit);
        var ease = new Ease(new EaseParameters { Lambda = 20 }); ease.Fit(data, fit);
        var rp3 = new Rp3Beta(new Rp3BetaParameters { Beta = 0.2f }); rp3.Fit(data, fit);
        int n = data.ItemCount;
        var a = new float[n]; var b = new float[n]; var got = new float[n];
        for (int u = 0; u < data.UserCount; u++)
        {
            ease.ScoreAllItems(u, a); rp3.ScoreAllItems(u, b); blend.ScoreAllItems(u, got);
            var seen = new HashSet<int>(data.UserItems.RowIndices(u).ToArray());
            var unseen = Enumerable.Range(0, n).Where(i => !seen.Contains(i)).ToArray();
            double[] Norm(float[] x)
            {
                if (normalization == "max") { double mx = unseen.Max(i => Math.Abs(x[i])); return x.Select(v => mx > 0 ? v / mx : 0).ToArray(); }
                double mean = unseen.Average(i => (double)x[i]);
                double sd = Math.Sqrt(unseen.Average(i => (x[i] - mean) * (x[i] - mean)));
                return x.Select(v => sd > 0 ? (v - mean) / sd : 0).ToArray();
            }
            var na = Norm(a); var nb = Norm(b);
            foreach (int i in unseen) Assert.Equal(0.8 * na[i] + weight * nb[i], got[i], 1e-3);
        }
        var batch = new float[3 * n];
        blend.ScoreAllItems([0, 1, 2], batch);
        blend.ScoreAllItems(1, got);
        for (int i = 0; i < n; i++) Assert.Equal(got[i], batch[n + i], 1e-4f);
    }

    [Fact]
    public void A_zero_weight_component_is_not_fitted_and_the_blend_ranks_as_the_first_model()
    {
        var data = ToyData.Random(40, 20, 6, seed: 9);
        var blend = new Blend(new BlendParameters { First = "rp3beta", Second = "ease", SecondWeight = 0 });
        blend.Fit(data, FitContext.Default);
        Assert.Single(blend.Components);
        var rp3 = new Rp3Beta(); rp3.Fit(data, FitContext.Default);
        for (int u = 0; u < 40; u++)
            Assert.Equal(rp3.Recommend(u, 5).Select(s => s.Index), blend.Recommend(u, 5).Select(s => s.Index));
    }

    [Fact]
    public void Bad_components_are_one_line_errors()
    {
        var data = ToyData.Random(10, 8, 3, seed: 1);
        Assert.Contains("unknown component model 'nope'", Assert.Throws<TroveException>(() => new Blend(new BlendParameters { Second = "nope" }).Fit(data, FitContext.Default)).Message);
        Assert.Contains("cannot be a blend", Assert.Throws<TroveException>(() => new Blend(new BlendParameters { First = "blend" }).Fit(data, FitContext.Default)).Message);
        Assert.Throws<TroveException>(() => new Blend(new BlendParameters { FirstParameters = Json("""{"no_such_key": 1}""") }).Fit(data, FitContext.Default));
        Assert.Contains("weight above 0", Assert.Throws<TroveException>(() => new Blend(new BlendParameters { FirstWeight = 0, SecondWeight = 0 }).Fit(data, FitContext.Default)).Message);
        Assert.Contains("normalization", Assert.Throws<TroveException>(() => new Blend(new BlendParameters { Normalization = "rank" }).Fit(data, FitContext.Default)).Message);
    }
}
