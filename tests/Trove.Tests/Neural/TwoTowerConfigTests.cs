using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Features;
using Trove.Models.Neural;
using Trove.Workflows;

namespace Trove.Tests.Neural;

/// <summary>
/// The two-tower honours its config: each tower is built from exactly the configured encoders, precomputed vectors
/// feed the item tower, and a bad encoder, file or dimension stops it before the first epoch.
/// </summary>
public sealed class TwoTowerConfigTests : IDisposable
{
    private const int UsersPerGroup = 12, ItemsPerGroup = 10;   // as NeuralModelTests.Toy
    private readonly string _dir = Directory.CreateTempSubdirectory("trove-twotower-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dataset Data()
    {
        var data = NeuralModelTests.Toy();
        data.ItemFeatures.Text["title"] = Enumerable.Range(0, data.ItemCount).Select(i => $"thing number {i}").ToArray();
        data.ItemFeatures.Numeric["price"] = Enumerable.Range(0, data.ItemCount).Select(i => (float)(i % 7)).ToArray();
        return data;
    }

    /// <summary>512-d "audio embeddings" by item id: each group has its own direction, plus noise.</summary>
    private string AudioEmbeddings(Dataset data, int dimensions = 512)
    {
        var rng = new Random(5);
        var vectors = new Dictionary<string, float[]>();
        for (int i = 0; i < data.ItemCount; i++)
        {
            var v = new float[dimensions];
            for (int j = 0; j < dimensions; j++) v[j] = (float)(rng.NextDouble() - 0.5) * 0.2f;
            int group = i / ItemsPerGroup;
            for (int j = group * 16; j < group * 16 + 16; j++) v[j] += 1f;
            vectors[data.Items[i]] = v;
        }
        var path = Path.Combine(_dir, $"audio-{dimensions}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(vectors));
        return path;
    }

    private static TwoTowerParameters Small => new() { Epochs = 20, LearningRate = 0.01f, BatchSize = 64, Validation = false, Dimensions = 16, EmbeddingDim = 16, Hidden = [32] };

    [Fact]
    public void Each_tower_is_built_from_exactly_the_configured_feature_groups()
    {
        var data = Data();
        var config = TrainingConfig.Parse("""
            {"model": "twotower", "features": {"item": [{"group": "categorical", "encoder": "onehot"}], "user": ["categorical"]},
             "training": {"epochs": 2, "validation": false}}
            """);
        var restricted = (TwoTower)ConfigTraining.Train(config, data, null, null).Model.Model;
        Assert.Equal(["content:onehot(categorical)"], restricted.ItemEncoders);
        Assert.Equal(["content:onehot(categorical)"], restricted.UserEncoders);

        var everything = (TwoTower)ConfigTraining.Train(TrainingConfig.Parse("""{"model": "twotower", "training": {"epochs": 2, "validation": false}}"""), data, null, null).Model.Model;
        Assert.Equal(3, everything.ItemEncoders.Count);   // categorical, continuous and text by default

        var text = (TwoTower)ConfigTraining.Train(TrainingConfig.Parse("""
            {"model": "twotower", "features": {"item": [{"group": "text", "encoder": "tfidf", "options": {"dimensions": 64}}]}, "training": {"epochs": 2, "validation": false}}
            """), data, null, null).Model.Model;
        Assert.Equal(["content:tfidf(text)"], text.ItemEncoders);
    }

    [Fact]
    public void Precomputed_audio_embeddings_feed_the_item_tower_and_carry_its_signal()
    {
        var data = Data();
        var spec = new EncoderSpec { Encoder = "precomputed", Options = JsonSerializer.SerializeToElement(new { path = AudioEmbeddings(data), dimensions = 512 }) };
        // Items known by their audio only (no ids, no other features): the groups must come from the vectors.
        var model = new TwoTower(Small with { UseIds = false, ItemFeatures = [spec] });
        model.Fit(data, new FitContext { Seed = 3, Threads = 2 });
        Assert.Equal(["content:precomputed(id)"], model.ItemEncoders);

        long good = 0, total = 0;
        var scores = new float[data.ItemCount];
        for (int u = 0; u < data.UserCount; u++)
        {
            model.ScoreAllItems(u, scores);
            int g = u / UsersPerGroup;
            for (int a = g * ItemsPerGroup; a < (g + 1) * ItemsPerGroup; a++)
                for (int b = 0; b < data.ItemCount; b++)
                    if (b / ItemsPerGroup != g) { total++; if (scores[a] > scores[b]) good++; }
        }
        Assert.True((double)good / total > 0.9, $"group AUC from audio vectors alone: {(double)good / total:F3}");
    }

    [Fact]
    public void A_missing_file_a_wrong_dimension_or_a_missing_column_stops_training_before_the_first_epoch()
    {
        var data = Data();
        var missing = Path.Combine(_dir, "nowhere.npy");
        var cases = new (EncoderSpec Spec, string Expected)[]
        {
            (new EncoderSpec { Encoder = "precomputed", Options = JsonSerializer.SerializeToElement(new { path = missing }) }, missing),
            (new EncoderSpec { Encoder = "precomputed", Options = JsonSerializer.SerializeToElement(new { path = AudioEmbeddings(data, 256), dimensions = 512 }) }, "256 values"),
            (new EncoderSpec { Encoder = "onehot", Group = "categorical", Columns = ["colour"] }, "'colour'"),
            (new EncoderSpec { Encoder = "no-such-encoder", Group = "text" }, "unknown encoder 'no-such-encoder'"),
        };
        foreach (var (spec, expected) in cases)
        {
            var epochs = new List<string>();
            var model = new TwoTower(Small with { ItemFeatures = [spec] });
            var e = Assert.ThrowsAny<TroveException>(() => model.Fit(data, new FitContext { Seed = 3, Progress = new Recorder(epochs) }));
            Assert.Contains(expected, e.Message);
            Assert.Contains("item tower", e.Message);
            Assert.DoesNotContain(epochs, line => line.Contains("epoch", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void An_unknown_encoder_in_a_config_is_an_error_naming_the_field()
    {
        var e = Assert.ThrowsAny<TroveException>(() => TrainingConfig.Parse("""{"model": "twotower", "features": {"item": [{"group": "text", "encoder": "word2vec"}]}}"""));
        Assert.Contains("features.item[0]", e.Message);
        Assert.Contains("word2vec", e.Message);
    }

    [Fact]
    public void An_image_group_without_an_encoder_is_named_in_a_note()
    {
        var data = Data();
        data.ItemFeatures.Images["cover"] = Enumerable.Range(0, data.ItemCount).Select(i => $"/covers/{i}.jpg").ToArray();
        var lines = new List<string>();
        new TwoTower(Small with { Epochs = 1 }).Fit(data, new FitContext { Seed = 3, Progress = new Recorder(lines) });
        Assert.Contains(lines, l => l.StartsWith("note: twotower: item feature groups") && l.Contains("image (cover)") && l.Contains("resnet18"));
    }

    private sealed class Recorder(List<string> lines) : IProgressReporter
    {
        public IProgressTask Start(string description, long total) { lines.Add(description); return new Task(lines); }
        public void Info(string message) => lines.Add(message);

        private sealed class Task(List<string> lines) : IProgressTask
        {
            public void Advance(long amount = 1) { }
            public void Status(string status) => lines.Add(status);
            public void Dispose() { }
        }
    }
}
