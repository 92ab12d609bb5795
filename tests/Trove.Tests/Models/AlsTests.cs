using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Factorization;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

public class AlsTests
{
    private static readonly Trove.Core.Data.Dataset Data = ToyData.Random(120, 80, 15, 1);

    [Theory]
    [InlineData(AlsSolver.Cholesky)]
    [InlineData(AlsSolver.ConjugateGradient)]
    public void Loss_decreases_every_iteration(AlsSolver solver)
    {
        var als = new Als(new AlsParameters { ComputeLoss = true, Factors = 8, Iterations = 8, Solver = solver, Alpha = 5, Regularization = 0.5f, BinaryWeights = false });
        als.Fit(Data, new FitContext { Seed = 3, Threads = 2 });
        var losses = als.History.Select(h => h.Loss).ToArray();
        Assert.Equal(8, losses.Length);
        for (int i = 1; i < losses.Length; i++)
            Assert.True(losses[i] <= losses[i - 1] * (1 + 1e-5), $"iteration {i + 1}: {losses[i]} > {losses[i - 1]}");
        Assert.Equal(losses[^1], als.Loss(), 4);
    }

    [Fact]
    public void Frequency_scaled_regularisation_also_decreases_the_loss()
    {
        var als = new Als(new AlsParameters { ComputeLoss = true, Factors = 8, Iterations = 5, Solver = AlsSolver.Cholesky, FrequencyExponent = 1, Regularization = 0.05f });
        als.Fit(Data, new FitContext { Seed = 3 });
        var losses = als.History.Select(h => h.Loss).ToArray();
        for (int i = 1; i < losses.Length; i++) Assert.True(losses[i] <= losses[i - 1] * (1 + 1e-5));
    }

    [Fact]
    public void Cg_and_cholesky_give_close_rankings()
    {
        var ctx = new FitContext { Seed = 7, Threads = 2 };
        var exact = new Als(new AlsParameters { ComputeLoss = true, Factors = 8, Iterations = 15, Solver = AlsSolver.Cholesky });
        var cg = new Als(new AlsParameters { ComputeLoss = true, Factors = 8, Iterations = 15, Solver = AlsSolver.ConjugateGradient, CgSteps = 4 });
        exact.Fit(Data, ctx); cg.Fit(Data, ctx);
        // Objective values agree closely, and the top-10 lists overlap heavily.
        Assert.True(Math.Abs(exact.History[^1].Loss - cg.History[^1].Loss) < 0.02 * exact.History[^1].Loss,
            $"losses {exact.History[^1].Loss} vs {cg.History[^1].Loss}");
        double overlap = 0;
        for (int u = 0; u < Data.UserCount; u++)
        {
            var a = exact.Recommend(u, 10).Select(s => s.Index).ToHashSet();
            overlap += cg.Recommend(u, 10).Count(s => a.Contains(s.Index)) / 10.0;
        }
        overlap /= Data.UserCount;
        Assert.True(overlap > 0.7, $"top-10 overlap {overlap:F2}");
    }

    [Fact]
    public void Fold_in_of_an_existing_user_reproduces_the_trained_vector()
    {
        var als = new Als(new AlsParameters { ComputeLoss = true, Factors = 8, Iterations = 20, Solver = AlsSolver.Cholesky, BinaryWeights = false });
        als.Fit(Data, new FitContext { Seed = 5 });
        var ui = Data.UserItems;
        double meanCos = 0;
        for (int u = 0; u < Data.UserCount; u++)
        {
            var x = als.FoldIn(ui.RowIndices(u), ui.RowValues(u));
            var t = als.UserVector(u);
            meanCos += System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(x, t);
        }
        meanCos /= Data.UserCount;
        Assert.True(meanCos > 0.98, $"mean cosine {meanCos:F3}");
        Assert.All(als.FoldIn([], []), v => Assert.Equal(0f, v));
        var recs = als.RecommendForHistory(ui.RowIndices(0), ui.RowValues(0), 5);
        Assert.Equal(5, recs.Count);
        Assert.DoesNotContain(recs, r => ui.Contains(0, r.Index));
        Assert.Throws<Trove.Core.Errors.TroveException>(() => als.FoldIn([999], [1f]));
    }

    [Fact]
    public void Managed_gram_fallback_gives_the_same_model()
    {
        if (!Trove.Tests.Numerics.NativeBlas.Required()) return;
        var p = new AlsParameters { Factors = 8, Iterations = 3, Solver = AlsSolver.Cholesky };
        var blas = new Als(p);
        using (Trove.Numerics.Dense.MathBackend.Use(Trove.Numerics.Dense.DenseBackend.OpenBlas)) blas.Fit(Data, new FitContext { Seed = 2 });
        var managed = new Als(p);
        using (Trove.Numerics.Dense.MathBackend.Use(Trove.Numerics.Dense.DenseBackend.Managed)) managed.Fit(Data, new FitContext { Seed = 2 });
        var a = blas.ItemFactors.ToArray(); var b = managed.ItemFactors.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 3);
    }

    [Fact]
    public void Same_seed_same_model()
    {
        var p = new AlsParameters { ComputeLoss = true, Factors = 8, Iterations = 3 };
        var a = new Als(p); var b = new Als(p);
        a.Fit(Data, new FitContext { Seed = 11, Threads = 2 }); b.Fit(Data, new FitContext { Seed = 11, Threads = 1 });
        Assert.Equal(a.UserFactors.ToArray(), b.UserFactors.ToArray());
    }

    [Fact]
    public void Saved_and_loaded_model_scores_identically()
    {
        var als = new Als(new AlsParameters { ComputeLoss = true, Factors = 6, Iterations = 3, Alpha = 3 });
        als.Fit(Data, new FitContext { Seed = 1 });
        var path = Path.Combine(TestPaths.NewTempDirectory(), "als.trove");
        ModelFile.Save(path, als, Data);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        Assert.IsType<Als>(loaded);
        Assert.Equal(3f, ((Als)loaded).Params.Alpha);
        var s1 = new float[Data.ItemCount]; var s2 = new float[Data.ItemCount];
        for (int u = 0; u < 10; u++)
        {
            als.ScoreAllItems(u, s1); loaded.ScoreAllItems(u, s2);
            Assert.Equal(s1, s2);
        }
        Assert.Equal(als.Recommend(3, 5), loaded.Recommend(3, 5));
        Assert.Equal(als.SimilarItems(2, 5), loaded.SimilarItems(2, 5));
    }

    [Fact]
    public void Validation_hook_is_called_each_iteration_and_early_stopping_stops()
    {
        int calls = 0;
        var als = new Als(new AlsParameters { ComputeLoss = true, Factors = 4, Iterations = 10, EarlyStoppingPatience = 2 });
        // A validation score that only gets worse after the first iteration.
        als.Fit(Data, new FitContext { Validate = _ => -(++calls) });
        Assert.Equal(3, calls);
        Assert.Equal(3, als.History.Count);
        Assert.All(als.History, h => Assert.NotNull(h.Validation));
    }
}
