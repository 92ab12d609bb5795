using Trove.Core.Training;
using Trove.Models.Linear;

namespace Trove.Tests.Models;

public class UserEaseTests
{
    [Theory]
    [InlineData(5f, 0f)]
    [InlineData(30f, 0.4f)]
    public void Scores_are_item_ease_on_the_transposed_matrix(float lambda, float dropout)
    {
        // user-ease is EASE with users and items swapped: C = the item-ease weights of X^T, and score(u, i) = sum_v C[v, u] x_vi.
        var data = ToyData.Random(40, 25, 8, seed: 4);
        var model = new UserEase(new UserEaseParameters { Lambda = lambda, Dropout = dropout });
        model.Fit(data, FitContext.Default);
        var x = data.UserItems;
        var transposed = ToyData.Build(data.ItemCount, data.UserCount,
            Enumerable.Range(0, x.Rows).SelectMany(u => x.RowIndices(u).ToArray().Select(i => (i, u, 1f))));
        var reference = new Ease(new EaseParameters { Lambda = lambda, Dropout = dropout });
        reference.Fit(transposed, FitContext.Default);
        var c = reference.Weights.ToArray();
        int users = data.UserCount;
        var scores = new float[data.ItemCount];
        for (int u = 0; u < users; u++)
        {
            model.ScoreAllItems(u, scores);
            for (int i = 0; i < data.ItemCount; i++)
            {
                double expected = 0;
                for (int v = 0; v < users; v++) if (x.RowIndices(v).Contains(i)) expected += c[v * users + u];
                Assert.True(Math.Abs(expected - scores[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"user {u} item {i}: {scores[i]} vs {expected}");
            }
        }
    }
}
