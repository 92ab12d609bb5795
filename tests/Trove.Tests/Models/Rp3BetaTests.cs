using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Linear;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

public class Rp3BetaTests
{
    [Fact]
    public void Weights_match_hand_computation()
    {
        // u0: {0,1}, u1: {0,1,2}, u2: {2}
        var data = ToyData.Build(3, 3, [(0, 0, 1f), (0, 1, 1f), (1, 0, 1f), (1, 1, 1f), (1, 2, 1f), (2, 2, 1f)]);
        var m = new Rp3Beta(new Rp3BetaParameters { Alpha = 1, Beta = 0.5f, Neighbours = 5 });
        m.Fit(data, FitContext.Default);
        // W_01 = sum_u P(u|0) P(1|u) / pop(1)^0.5 = (1/2 * 1/2 + 1/2 * 1/3) / sqrt(2)
        Assert.Equal((0.25 + 1.0 / 6) / Math.Sqrt(2), m.Weights[0, 1], 5);
        // W_02 = (1/2 * 1/3) / sqrt(2); W_20 = (1/2 * 1/3) / sqrt(2) (item 2: users 1 and 2)
        Assert.Equal((1.0 / 6) / Math.Sqrt(2), m.Weights[0, 2], 5);
        Assert.Equal((1.0 / 6) / Math.Sqrt(2), m.Weights[2, 0], 5);
        Assert.Equal(0f, m.Weights[1, 1]);
    }

    [Fact]
    public void Two_groups_and_save_load()
    {
        var data = ToyData.TwoGroups(40, 20, 5, 3);
        var m = new Rp3Beta();
        m.Fit(data, FitContext.Default);
        for (int u = 0; u < 40; u++)
            Assert.All(m.Recommend(u, 3), r => Assert.Equal(ToyData.Group(u, 40), ToyData.Group(r.Index, 20)));
        var path = Path.Combine(TestPaths.NewTempDirectory(), "rp3.trove");
        ModelFile.Save(path, m, data);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        var a = new float[20]; var b = new float[20];
        m.ScoreAllItems(7, a); loaded.ScoreAllItems(7, b);
        Assert.Equal(a, b);
        Assert.Equal(m.SimilarItems(3, 4), loaded.SimilarItems(3, 4));
    }
}
