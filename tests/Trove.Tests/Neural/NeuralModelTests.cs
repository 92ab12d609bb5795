using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Neural;
using Trove.Tests.Support;

namespace Trove.Tests.Neural;

public class NeuralModelTests
{
    private const int Groups = 4, UsersPerGroup = 12, ItemsPerGroup = 10;

    /// <summary>
    /// Users and items in 4 groups; each user interacts with ~70% of its group's items (and nothing
    /// else). Users carry a "taste" feature, items a "genre" feature naming their group; the last
    /// item of every group has no interactions (a cold-start item known only by its genre).
    /// </summary>
    internal static Dataset Toy(int seed = 1)
    {
        var rng = new Random(seed);
        int users = Groups * UsersPerGroup, items = Groups * ItemsPerGroup;
        var u = new List<int>(); var i = new List<int>();
        for (int user = 0; user < users; user++)
        {
            int g = user / UsersPerGroup;
            for (int k = 0; k < ItemsPerGroup - 1; k++)
                if (rng.NextDouble() < 0.7) { u.Add(user); i.Add(g * ItemsPerGroup + k); }
        }
        var log = new InteractionLog(u.ToArray(), i.ToArray(), Enumerable.Repeat(1f, u.Count).ToArray(), new long[u.Count], new short[u.Count], []);
        var userFeatures = new FeatureTable();
        userFeatures.Categorical["taste"] = Enumerable.Range(0, users).Select(x => "g" + x / UsersPerGroup).ToArray();
        var itemFeatures = new FeatureTable();
        itemFeatures.Categorical["genre"] = Enumerable.Range(0, items).Select(x => "g" + x / ItemsPerGroup).ToArray();
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(x => "u" + x)), new IdMap(Enumerable.Range(0, items).Select(x => "i" + x)),
            log, userFeatures, itemFeatures, "toy");
    }

    /// <summary>Share of (in-group, out-of-group) item pairs ranked correctly, over every user (items of the user's group vs others).</summary>
    private static double GroupAuc(IRecommender model, Dataset data, bool onlyColdItems = false)
    {
        long good = 0, total = 0;
        var scores = new float[data.ItemCount];
        for (int user = 0; user < data.UserCount; user++)
        {
            model.ScoreAllItems(user, scores);
            int g = user / UsersPerGroup;
            for (int a = 0; a < data.ItemCount; a++)
            {
                if (a / ItemsPerGroup != g || (onlyColdItems && a % ItemsPerGroup != ItemsPerGroup - 1)) continue;
                for (int b = 0; b < data.ItemCount; b++)
                {
                    if (b / ItemsPerGroup == g || (onlyColdItems && b % ItemsPerGroup != ItemsPerGroup - 1)) continue;
                    total++; if (scores[a] > scores[b]) good++;
                }
            }
        }
        return (double)good / total;
    }

    private static FitContext Ctx(int seed = 3, int threads = 2) => new() { Seed = seed, Threads = threads };

    [Fact]
    public void Negative_sampling_never_returns_a_positive()
    {
        var rng = new Random(4);
        foreach (int itemCount in new[] { 5, 20, 1000 })
            for (int trial = 0; trial < 50; trial++)
            {
                int take = rng.Next(itemCount); // from empty to all-but-one
                var positives = Enumerable.Range(0, itemCount).OrderBy(_ => rng.Next()).Take(take).Order().ToArray();
                for (int s = 0; s < 200; s++)
                {
                    int j = NegativeSampler.Sample(positives, itemCount, rng);
                    Assert.InRange(j, 0, itemCount - 1);
                    Assert.DoesNotContain(j, positives);
                }
            }
        Assert.Equal(-1, NegativeSampler.Sample([0, 1, 2], 3, rng));
    }

    [Fact]
    public void Ncf_training_samples_exclude_the_users_items()
    {
        var data = Toy();
        var model = new Ncf(new NcfParameters { Variant = NcfVariant.Gmf, Epochs = 1, Negatives = 8 });
        model.Fit(data, Ctx());
        var trainable = (ITrainableProbe)new NcfProbe(model);
        Assert.True(trainable.NegativesAreUnseen(data));
    }

    private interface ITrainableProbe { bool NegativesAreUnseen(Dataset data); }

    private sealed class NcfProbe(Ncf model) : ITrainableProbe
    {
        public bool NegativesAreUnseen(Dataset data)
        {
            var field = typeof(Ncf).GetField("_sampleItems", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            var users = (int[])typeof(Ncf).GetField("_sampleUsers", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(model)!;
            var items = (int[])field.GetValue(model)!;
            var labels = (float[])typeof(Ncf).GetField("_labels", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(model)!;
            int negatives = 0;
            for (int k = 0; k < items.Length; k++)
            {
                bool seen = data.UserItems.Contains(users[k], items[k]);
                if (labels[k] == 0) { negatives++; if (seen) return false; }
                else if (!seen) return false;
            }
            return negatives > 0;
        }
    }

    [Theory]
    [InlineData(NcfVariant.Gmf)]
    [InlineData(NcfVariant.Mlp)]
    [InlineData(NcfVariant.Neumf)]
    public void Ncf_learns_the_group_structure(NcfVariant variant)
    {
        var data = Toy();
        var model = new Ncf(new NcfParameters { Variant = variant, Factors = 8, Layers = [16, 8], Epochs = 30, LearningRate = 0.01f, BatchSize = 64, Validation = false, InitStd = 0.1f });
        model.Fit(data, Ctx());
        Assert.True(GroupAuc(model, data) > 0.9, $"{variant} AUC {GroupAuc(model, data)}");
    }

    [Fact]
    public void Neumf_pretraining_trains_gmf_and_mlp_first()
    {
        var data = Toy();
        var model = new Ncf(new NcfParameters { Variant = NcfVariant.Neumf, Pretrain = true, Factors = 8, Layers = [16, 8], Epochs = 15, LearningRate = 0.01f, BatchSize = 64, InitStd = 0.1f });
        model.Fit(data, Ctx());
        Assert.True(GroupAuc(model, data) > 0.9);
        Assert.NotEmpty(model.History);
    }

    [Fact]
    public void Two_tower_learns_from_ids_only()
    {
        var data = Toy();
        var model = new TwoTower(new TwoTowerParameters { UseFeatures = false, Epochs = 40, LearningRate = 0.01f, BatchSize = 64, Validation = false, Dimensions = 16, EmbeddingDim = 16, Hidden = [32] });
        model.Fit(data, Ctx());
        Assert.Empty(model.ItemEncoders);
        double auc = GroupAuc(model, data);
        Assert.True(auc > 0.9, $"AUC {auc}");
        // IEmbeddingModel: item vectors give similar items (cosine) from the same group
        Assert.Equal(16, model.Dimensions);
        Assert.All(model.SimilarItems(0, 5), s => Assert.Equal(0, s.Index / ItemsPerGroup));
    }

    [Theory]
    [InlineData(TowerFusion.Concat)]
    [InlineData(TowerFusion.Attention)]
    [InlineData(TowerFusion.Concat, FeatureEncoding.Builtin)]
    public void Two_tower_learns_from_features_only_and_embeds_cold_items(TowerFusion fusion, FeatureEncoding encoders = FeatureEncoding.Content)
    {
        var data = Toy();
        var model = new TwoTower(new TwoTowerParameters { UseIds = false, Fusion = fusion, Encoders = encoders, Epochs = 20, LearningRate = 0.01f, BatchSize = 64, Validation = false, Dimensions = 16, EmbeddingDim = 16, Hidden = [32] });
        model.Fit(data, Ctx());
        Assert.True(GroupAuc(model, data) > 0.95);
        // the never-interacted item of each group still ranks with its group
        Assert.True(GroupAuc(model, data, onlyColdItems: true) > 0.95);
        // and a brand-new item described only by its genre lands next to its group's items
        var fresh = new FeatureTable();
        fresh.Categorical["genre"] = ["g2"];
        var v = model.ItemVectorFromFeatures(fresh, 0);
        int best = Enumerable.Range(0, data.ItemCount).MaxBy(i => System.Numerics.Tensors.TensorPrimitives.Dot(v, model.ItemVector(i)));
        Assert.Equal(2, best / ItemsPerGroup);
        // and a brand-new user described only by a taste gets that group's items first
        var user = new FeatureTable();
        user.Categorical["taste"] = ["g3"];
        var uv = model.UserVectorFromFeatures(user, 0);
        var top = Enumerable.Range(0, data.ItemCount).OrderByDescending(i => System.Numerics.Tensors.TensorPrimitives.Dot(uv, model.ItemVector(i))).Take(5);
        Assert.All(top, i => Assert.Equal(3, i / ItemsPerGroup));
    }

    [Fact]
    public void Two_tower_with_ids_and_features_embeds_cold_start_items_from_features()
    {
        var data = Toy();
        var model = new TwoTower(new TwoTowerParameters { Epochs = 30, LearningRate = 0.01f, BatchSize = 64, Validation = false, Dimensions = 16, EmbeddingDim = 16, Hidden = [32], IdDropout = 0.3f });
        model.Fit(data, Ctx());
        Assert.True(GroupAuc(model, data) > 0.9);
        Assert.True(GroupAuc(model, data, onlyColdItems: true) > 0.9);
    }

    [Fact]
    public void Two_tower_numeric_and_text_features_with_bce_and_extra_negatives()
    {
        var data = Toy();
        int items = data.ItemCount;
        data.ItemFeatures.Categorical.Clear();
        data.ItemFeatures.Numeric["group_number"] = Enumerable.Range(0, items).Select(i => (float)(i / ItemsPerGroup)).ToArray();
        data.ItemFeatures.Text["title"] = Enumerable.Range(0, items).Select(i => $"a {new[] { "red", "green", "blue", "black" }[i / ItemsPerGroup]} thing number {i}").ToArray();
        var model = new TwoTower(new TwoTowerParameters { Encoders = FeatureEncoding.Builtin, UseIds = false, Loss = TwoTowerLoss.Bce, Negatives = 3, Epochs = 20, LearningRate = 0.01f, BatchSize = 64, Validation = false, Dimensions = 16, EmbeddingDim = 16, TextBuckets = 512 });
        model.Fit(data, Ctx());
        Assert.Equal(["numeric:group_number", "text:title"], model.ItemEncoders);
        Assert.True(GroupAuc(model, data) > 0.9, $"AUC {GroupAuc(model, data)}");
        // the content module's encoders (standardised numbers, TF-IDF text) through the same towers
        var content = new TwoTower(new TwoTowerParameters { UseIds = false, Epochs = 20, LearningRate = 0.01f, BatchSize = 64, Validation = false, Dimensions = 16, EmbeddingDim = 16 });
        content.Fit(data, Ctx());
        Assert.All(content.ItemEncoders, n => Assert.StartsWith("content:", n));
        Assert.Equal(2, content.ItemEncoders.Count);
        Assert.True(GroupAuc(content, data) > 0.9, $"content AUC {GroupAuc(content, data)}");
        var infonce = new TwoTower(new TwoTowerParameters { Negatives = 8, Epochs = 3, BatchSize = 64, Validation = false });
        infonce.Fit(data, Ctx());
        Assert.True(infonce.History.All(h => double.IsFinite(h.Loss)));
    }

    private static float[][] AllScores(IRecommender model, int users, int items) =>
        Enumerable.Range(0, users).Select(u => { var s = new float[items]; model.ScoreAllItems(u, s); return s; }).ToArray();

    [Theory]
    [InlineData("ncf", "variant=neumf")]
    [InlineData("twotower", "fusion=attention")]
    public void Save_and_load_give_identical_scores(string algorithm, string setting)
    {
        var data = Toy();
        var settings = new Dictionary<string, string> { ["epochs"] = "2", [setting.Split('=')[0]] = setting.Split('=')[1] };
        var path = Path.Combine(TestPaths.NewTempDirectory(), "m.trove");
        var trained = ModelTrainer.Train(data, algorithm, settings, Ctx(), path);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry);
        Assert.Equal(AllScores(trained.Model, data.UserCount, data.ItemCount), AllScores(loaded.Model, data.UserCount, data.ItemCount));
        var a = new float[3]; var b = new float[3];
        trained.Model.Score(1, [0, 5, 7], a);
        loaded.Model.Score(1, [0, 5, 7], b);
        Assert.Equal(a, b);
        Assert.Equal(AllScores(trained.Model, 2, data.ItemCount)[1][5], b[1], 5);
        if (loaded.Model is TwoTower tt)
        {
            var fresh = new FeatureTable(); fresh.Categorical["genre"] = ["g1"];
            Assert.Equal(((TwoTower)trained.Model).ItemVectorFromFeatures(fresh, 0), tt.ItemVectorFromFeatures(fresh, 0));
        }
    }

    [Theory]
    [InlineData("ncf")]
    [InlineData("twotower")]
    public void A_model_trained_without_validation_saves_and_loads_its_history(string algorithm)
    {
        // The history's validation metric is NaN without validation; the model file must still be written and read.
        var path = Path.Combine(TestPaths.NewTempDirectory(), "m.trove");
        ModelTrainer.Train(Toy(), algorithm, new Dictionary<string, string> { ["epochs"] = "2", ["validation"] = "false" }, Ctx(), path);
        var history = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model switch
        {
            Ncf n => n.History,
            TwoTower t => t.History,
            var other => throw new InvalidOperationException(other.Algorithm),
        };
        Assert.Equal(2, history.Count);
        Assert.All(history, h => Assert.True(double.IsNaN(h.Validation) && double.IsFinite(h.Loss)));
    }

    [Theory]
    [InlineData("ncf")]
    [InlineData("twotower")]
    public void Seeded_runs_are_reproducible_for_any_thread_count(string algorithm)
    {
        var data = Toy();
        var settings = new Dictionary<string, string> { ["epochs"] = "3" };
        IRecommender Fit(int seed, int threads)
        {
            var m = BuiltInAlgorithms.Registry.Create(algorithm, settings);
            m.Fit(data, Ctx(seed, threads));
            return m;
        }
        var a = AllScores(Fit(5, 2), data.UserCount, data.ItemCount);
        Assert.Equal(a, AllScores(Fit(5, 2), data.UserCount, data.ItemCount));
        Assert.Equal(a, AllScores(Fit(5, 1), data.UserCount, data.ItemCount));
        Assert.NotEqual(a, AllScores(Fit(6, 2), data.UserCount, data.ItemCount));
    }

    [Fact]
    public void Early_stopping_keeps_the_best_weights_and_reports_progress()
    {
        var data = Toy();
        var lines = new List<string>();
        var progress = new ListProgress(lines);
        int calls = 0;
        // A validation hook whose score peaks at epoch 2, then falls: training stops after `patience` more epochs.
        double[] script = [0.1, 0.9, 0.5, 0.4, 0.3, 0.2];
        float[]? atBest = null;
        var model = new Ncf(new NcfParameters { Variant = NcfVariant.Gmf, Epochs = 6, Patience = 2 });
        var ctx = Ctx() with
        {
            Progress = progress,
            Validate = m => { var s = script[calls++]; if (calls == 2) atBest = AllScores(m, 1, data.ItemCount)[0]; return s; },
            ValidationMetricName = "score",
        };
        model.Fit(data, ctx);
        Assert.Equal(4, model.History.Count);
        Assert.Equal(0.9, model.History[1].Validation);
        Assert.Equal(atBest, AllScores(model, 1, data.ItemCount)[0]);
        Assert.Contains(lines, l => l.Contains("epoch 1/6") && l.Contains("loss") && l.Contains("score"));
        Assert.Contains(lines, l => l.Contains("early stop"));
    }

    [Fact]
    public void Internal_validation_hold_out_reports_hr_at_10_and_schedules_the_learning_rate()
    {
        var data = Toy();
        var model = new Ncf(new NcfParameters { Variant = NcfVariant.Gmf, Epochs = 3, Patience = 0, LrSchedule = LearningRateSchedule.Exponential, LrDecay = 0.5f, LearningRate = 0.01f });
        model.Fit(data, Ctx());
        Assert.Equal(3, model.History.Count);
        Assert.All(model.History, h => Assert.InRange(h.Validation, 0, 1));
        Assert.Equal([0.01, 0.005, 0.0025], model.History.Select(h => Math.Round(h.LearningRate, 6)));
    }

    [Fact]
    public void The_internal_hold_out_records_a_per_epoch_auc_in_the_history_and_the_progress_lines()
    {
        var data = Toy();
        var lines = new List<string>();
        var model = new Ncf(new NcfParameters { Variant = NcfVariant.Gmf, Epochs = 3, Patience = 0, Refit = false });
        model.Fit(data, Ctx() with { Progress = new ListProgress(lines) });
        Assert.Equal(3, model.History.Count);
        Assert.All(model.History, h => Assert.InRange(h.Auc, 0, 1));
        Assert.Equal(3, lines.Count(l => l.Contains(" auc 0.") || l.Contains(" auc 1.")));
        Assert.Equal("hr@10", ((ITrainingHistory)model).ValidationMetric);

        // The hold-out's AUC is, per user, the share of negatives scored below the held-out item (ties half), averaged.
        var holdout = Holdout.Create(data, 20, 3);
        double reference = 0;
        for (int c = 0; c < holdout.Users.Length; c++)
        {
            int[] candidates = [holdout.Items[c], .. holdout.Negatives[c]];
            var scores = new float[candidates.Length];
            model.Score(holdout.Users[c], candidates, scores);
            reference += scores.Skip(1).Sum(s => s < scores[0] ? 1.0 : s == scores[0] ? 0.5 : 0) / (scores.Length - 1);
        }
        Assert.Equal(reference / holdout.Users.Length, holdout.Auc(model, threads: 2), 12);
    }

    [Fact]
    public void Parameters_bind_from_key_value_settings()
    {
        var ncf = (Ncf)BuiltInAlgorithms.Registry.Create("ncf", new Dictionary<string, string>
        {
            ["variant"] = "mlp", ["layers"] = "32,16,8", ["negatives"] = "2", ["lr_schedule"] = "cosine", ["optimizer"] = "adagrad", ["pretrain"] = "true",
        });
        Assert.Equal(NcfVariant.Mlp, ncf.Params.Variant);
        Assert.Equal([32, 16, 8], ncf.Params.Layers);
        Assert.Equal(2, ncf.Params.Negatives);
        Assert.Equal(LearningRateSchedule.Cosine, ncf.Params.LrSchedule);
        Assert.Equal(OptimizerKind.Adagrad, ncf.Params.Optimizer);
        var tt = (TwoTower)BuiltInAlgorithms.Registry.Create("twotower", new Dictionary<string, string> { ["fusion"] = "attention", ["loss"] = "bce", ["encoders"] = "builtin", ["hidden"] = "64,32" });
        Assert.Equal(TowerFusion.Attention, tt.Params.Fusion);
        Assert.Equal(TwoTowerLoss.Bce, tt.Params.Loss);
        Assert.Equal(FeatureEncoding.Builtin, tt.Params.Encoders);
        Assert.Equal([64, 32], tt.Params.Hidden);
        // an Adagrad + cosine-schedule GMF run learns (the Adagrad path end to end)
        var data = Toy();
        var m = new Ncf(ncf.Params with { Variant = NcfVariant.Gmf, Factors = 8, Pretrain = false, Epochs = 30, LearningRate = 0.1f, Validation = false, BatchSize = 64, InitStd = 0.1f });
        m.Fit(data, Ctx());
        Assert.True(GroupAuc(m, data) > 0.9, $"AUC {GroupAuc(m, data)}");
    }

    [Theory]
    [InlineData("ncf")]
    [InlineData("twotower")]
    public void Refit_retrains_on_all_data_for_the_best_hold_out_epoch_count(string algorithm)
    {
        var data = Toy();
        var lines = new List<string>();
        IRecommender Fit(bool refit)
        {
            var m = BuiltInAlgorithms.Registry.Create(algorithm, new Dictionary<string, string> { ["epochs"] = "4", ["patience"] = "0", ["refit"] = refit.ToString() });
            m.Fit(data, Ctx() with { Progress = new ListProgress(lines) });
            return m;
        }
        dynamic withRefit = Fit(true), without = Fit(false);
        var history = (IReadOnlyList<EpochRecord>)withRefit.History;
        int best = history.MaxBy(h => h.Validation)!.Epoch;
        Assert.Equal(best, (int)withRefit.RefitEpochs);
        Assert.Equal(0, (int)without.RefitEpochs);
        Assert.Equal(4, history.Count); // the hold-out run's curve is kept
        Assert.Contains(lines, l => l.Contains($"refit on all the data for {best} epochs"));
        float[][] a = AllScores((IRecommender)withRefit, 2, data.ItemCount), b = AllScores((IRecommender)without, 2, data.ItemCount);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Curves_png_is_written()
    {
        var data = Toy();
        var path = Path.Combine(TestPaths.NewTempDirectory(), "curves.png");
        var model = new Ncf(new NcfParameters { Variant = NcfVariant.Gmf, Epochs = 4, Patience = 0, Curves = path, LrSchedule = LearningRateSchedule.Cosine });
        model.Fit(data, Ctx());
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10_000, $"PNG of {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        // three stacked panels, each with its coloured curve (loss blue, metric green, learning rate orange-red)
        using var bitmap = SkiaSharp.SKBitmap.Decode(path);
        int panel = bitmap.Height / 3;
        bool Has(int index, Func<SkiaSharp.SKColor, bool> colour)
        {
            for (int y = index * panel; y < (index + 1) * panel; y++)
                for (int x = 0; x < bitmap.Width; x++) if (colour(bitmap.GetPixel(x, y))) return true;
            return false;
        }
        Assert.True(Has(0, c => c.Blue > 200 && c.Red < 60 && c.Green < 60), "loss panel");
        Assert.True(Has(1, c => c.Green > 100 && c.Red < 60 && c.Blue < 60), "validation panel");
        Assert.True(Has(1, c => c.Red > 100 && c.Blue > 100 && c.Green < 60), "hold-out AUC in the validation panel (purple)");
        Assert.True(Has(2, c => c.Red > 200 && c.Green is > 40 and < 120 && c.Blue < 60), "learning-rate panel");
    }

    private sealed class ListProgress(List<string> lines) : IProgressReporter
    {
        public IProgressTask Start(string description, long total) => NullProgress.Instance;
        public void Info(string message) { lock (lines) lines.Add(message); }
    }
}
