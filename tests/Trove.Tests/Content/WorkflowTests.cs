using System.Text.Json;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Data.Formats;
using Trove.Models;
using Trove.Models.Content;
using Trove.Workflows;
using Trove.Tests.Support;

namespace Trove.Tests.Content;

public class WorkflowTests
{
    private static string Dir() => TestPaths.NewTempDirectory();

    /// <summary>Writes the catalogue data set (3 categories) as universal JSON with text, categorical, continuous and temporal features.</summary>
    private static string CatalogueJson(string dir)
    {
        var data = ContentModelTests.Catalogue();
        data.ItemFeatures.Sequences["views"] = Enumerable.Range(0, data.ItemCount).Select(i => (float[]?)[i, i + 1]).ToArray();
        var path = Path.Combine(dir, "data.json");
        UniversalJsonWriter.Write(data, path);
        return path;
    }

    private static string Config(string dir, string json)
    {
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Trains <paramref name="configJson"/> on the catalogue, runs inference on <paramref name="inputJson"/> and returns the output document.</summary>
    private static JsonDocument TrainAndInfer(string configJson, string inputJson)
    {
        var dir = Dir();
        var config = Config(dir, configJson);
        var model = Path.Combine(dir, "model.trove");
        ConfigTraining.Run(config, CatalogueJson(dir), model);
        var input = Path.Combine(dir, "input.json");
        File.WriteAllText(input, inputJson);
        var output = Path.Combine(dir, "out.json");
        ConfigInference.Run(model, config, input, output);
        return JsonDocument.Parse(File.ReadAllText(output));
    }

    [Fact]
    public void The_minimal_config_trains_a_hybrid()
    {
        var dir = Dir();
        var config = Config(dir, """{"model": "hybrid", "features": {"item": ["categorical", "continuous", "text"]}}""");
        var model = Path.Combine(dir, "model.trove");
        var report = ConfigTraining.Run(config, CatalogueJson(dir), model);
        Assert.True(File.Exists(model));
        Assert.Equal("hybrid", report.Model.Manifest.Algorithm);
        Assert.Equal(26 * 5, report.Samples); // 26 positive pairs, 4 negatives each by default
        Assert.True(report.SampledAuc > 0.7, $"AUC {report.SampledAuc}");
        var loaded = ModelFile.Load(model, BuiltInAlgorithms.Registry);
        var hybrid = Assert.IsType<Hybrid>(loaded.Model);
        Assert.Equal(["categorical", "continuous", "text"], hybrid.Content!.Specs.Select(s => s.Group));
        Assert.Equal(["onehot", "standard", "tfidf"], hybrid.Content.Specs.Select(s => s.Encoder));
        Assert.Equal(0.5f, hybrid.Params.ContentWeight);
    }

    [Fact]
    public void Config_sections_reach_the_model_and_relative_paths_resolve()
    {
        var dir = Dir();
        File.WriteAllText(Path.Combine(dir, "audio.json"), JsonSerializer.Serialize(Enumerable.Range(0, 12).ToDictionary(i => $"i{i}", i => new[] { i / 4 == 0 ? 1f : 0f, i / 4 == 1 ? 1f : 0f, i / 4 == 2 ? 1f : 0f })));
        var config = Config(dir, """
        {
          "model": "hybrid",
          "features": {"item": [
              "categorical",
              {"group": "text", "columns": ["title"], "weight": 0.5},
              {"encoder": "precomputed", "options": {"path": "audio.json"}, "weight": 2}]},
          "encoders": {"text": {"encoder": "tfidf", "dimensions": 64}},
          "samples": {"negative_ratio": 2, "strategy": "popularity", "output": "pairs.csv"},
          "training": {"seed": 5, "threads": 1, "epochs": 3},
          "hybrid": {"weights": {"content": 0.7, "collaborative": 0.2, "popularity": 0.1}, "collaborative": "userknn", "normalization": "rank"},
          "event_weights": {"view": 0.05},
          "inference": {"top_k": 3}
        }
        """);
        var cfg = TrainingConfig.Load(config);
        Assert.Equal(3, cfg.ItemFeatures.Count);
        Assert.Equal(Path.Combine(dir, "audio.json"), cfg.ItemFeatures[2].Options!.Value.GetProperty("path").GetString());
        Assert.Equal(64, cfg.ItemFeatures[1].Options!.Value.GetProperty("dimensions").GetInt32());
        Assert.Equal(0.05f, cfg.EventWeights.Weights["view"]);
        Assert.Equal(3, cfg.Inference.TopK);
        var report = ConfigTraining.Run(config, CatalogueJson(dir), Path.Combine(dir, "m.trove"));
        Assert.Contains(report.Notes, n => n.Contains("epochs"));
        Assert.Equal(26 * 3, report.Samples);
        Assert.Equal(26 * 3 + 1, File.ReadAllLines(Path.Combine(dir, "pairs.csv")).Length);
        var hybrid = Assert.IsType<Hybrid>(report.Model.Model);
        Assert.Equal(0.7f, hybrid.Params.ContentWeight);
        Assert.Equal("rank", hybrid.Params.Normalization);
        Assert.Equal("userknn", hybrid.CollaborativeModel!.Algorithm);
        Assert.Equal(hybrid.Content!.Pipeline.Blocks[0].Encoder.Dimensions + 64 + 3, hybrid.Content.Dimensions);
    }

    [Theory]
    [InlineData("""{"modle": "hybrid"}""", "modle", "unknown setting")]
    [InlineData("""{"model": "nope"}""", "model", "unknown model")]
    [InlineData("""{"features": {"item": ["colour"]}}""", "features.item[0]", "unknown feature group")]
    [InlineData("""{"features": {"item": [{"group": "text", "encoder": "bert9"}]}}""", "features.item[0]", "unknown encoder")]
    [InlineData("""{"features": {"shop": ["text"]}}""", "features.shop", "expected \"item\" or \"user\"")]
    [InlineData("""{"samples": {"strategy": "hard"}}""", "samples.strategy", "uniform")]
    [InlineData("""{"samples": {"negative_ratio": -1}}""", "samples.negative_ratio", "non-negative")]
    [InlineData("""{"inference": {"top_k": 0}}""", "inference.top_k", "positive")]
    [InlineData("""{"event_weights": {"view": "high"}}""", "event_weights.view", "number")]
    // Strict binding: aliases and misspellings the hand parser used to accept are unknown keys, named with their path.
    [InlineData("""{"samples": {"negatives": 4}}""", "samples.negatives", "unknown setting")]
    [InlineData("""{"inference": {"k": 5}}""", "inference.k", "unknown setting")]
    [InlineData("""{"features": {"items": ["text"]}}""", "features.items", "unknown setting")]
    [InlineData("""{"samples": {"negative_ratio": "four"}}""", "samples.negative_ratio", "integer")]
    [InlineData("""{"inference": {"exclude_seen": 1}}""", "inference.exclude_seen", "true or false")]
    public void Config_errors_name_the_setting(string json, string field, string problem)
    {
        var e = Assert.Throws<DataFormatException>(() => TrainingConfig.Parse(json, "c.json"));
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message);
    }

    /// <summary>The documented config format keeps working: the full example of docs/content.md binds.</summary>
    [Fact]
    public void The_documented_config_example_binds()
    {
        var doc = File.ReadAllText(Path.Combine(Trove.Tests.Support.TestPaths.RepositoryRoot, "docs", "content.md"));
        int section = doc.IndexOf("## Training config", StringComparison.Ordinal);
        int start = doc.IndexOf("```json", section, StringComparison.Ordinal) + "```json".Length;
        var json = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
        var cfg = TrainingConfig.Parse(json, "content.md");
        Assert.Equal("hybrid", cfg.Model);
        Assert.Equal(6, cfg.ItemFeatures.Count);
        Assert.Equal(["onehot", "standard", "tfidf", "tfidf", "precomputed", "onnx"], cfg.ItemFeatures.Select(f => f.Encoder));
        Assert.Equal(512, cfg.ItemFeatures[2].Options!.Value.GetProperty("dimensions").GetInt32());   // "encoders" defaults reach the string form
        Assert.Equal(4, cfg.Samples.NegativeRatio);
        Assert.Equal(10, cfg.Inference.TopK);
        Assert.Equal(0.6f, cfg.EventWeights.Weights["purchase"]);
    }

    [Fact]
    public void Unknown_model_parameters_are_errors()
    {
        var cfg = TrainingConfig.Parse("""{"model": "itemknn", "parameters": {"neighbors": 5}}""");
        var e = Assert.Throws<DataFormatException>(() => cfg.ModelParameters());
        Assert.Equal("parameters.neighbors", e.Field);
        var ok = TrainingConfig.Parse("""{"model": "itemknn", "parameters": {"neighbours": 5}}""").ModelParameters().Parameters;
        Assert.Equal(5, ok.GetProperty("neighbours").GetInt32());
        Assert.Equal("hybrid", TrainingConfig.Parse("{}").Model);
    }

    [Fact]
    public void Infer_writes_embeddings_scores_and_recommendations()
    {
        var dir = Dir();
        var config = Config(dir, """{"model": "hybrid", "features": {"item": ["categorical", "text"]}, "inference": {"top_k": 3}}""");
        var model = Path.Combine(dir, "model.trove");
        ConfigTraining.Run(config, CatalogueJson(dir), model);
        var input = Path.Combine(dir, "input.json");
        File.WriteAllText(input, """
        {"user_data": [{"user_id": "u1"}, {"user_id": "fresh"}],
         "item_data": [{"item_id": "i5"}, {"item_id": "brand-new", "categorical": {"category": "music"}, "text": {"title": "music volume 99"}}],
         "interactions": [{"user_id": "fresh", "item_id": "i6", "interaction_type": "purchase"}]}
        """);
        var output = Path.Combine(dir, "out.json");
        var report = ConfigInference.Run(model, config, input, output);
        Assert.Equal(2, report.Users);
        Assert.Equal(1, report.NewItems);

        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        var root = doc.RootElement;
        foreach (var key in new[] { "model", "model_version", "k", "dimensions", "user_embeddings", "item_embeddings", "scores", "recommendations", "unknown_users" })
            Assert.True(root.TryGetProperty(key, out _), $"missing {key}");
        int d = root.GetProperty("dimensions").GetInt32();
        Assert.True(d > 0);
        Assert.Equal(d, root.GetProperty("user_embeddings").GetProperty("fresh").GetArrayLength());
        Assert.Equal(d, root.GetProperty("item_embeddings").GetProperty("brand-new").GetArrayLength());
        // The input's items: those of item_data and of its interactions.
        Assert.Equal(["i5", "brand-new", "i6"], root.GetProperty("item_embeddings").EnumerateObject().Select(p => p.Name));
        // Scores: each user x the input's items.
        var pairs = root.GetProperty("scores").EnumerateArray().Select(e => (e.GetProperty("user_id").GetString(), e.GetProperty("item_id").GetString())).ToList();
        Assert.Contains(("u1", "brand-new"), pairs);
        Assert.Contains(("fresh", "i6"), pairs);
        Assert.Equal(6, pairs.Count);
        // The new user bought a music item: music items (i4..i7 and the new one) lead, i6 itself is excluded.
        var fresh = root.GetProperty("recommendations").GetProperty("fresh").EnumerateArray().ToList();
        Assert.Equal(3, fresh.Count);
        Assert.Equal(1, fresh[0].GetProperty("rank").GetInt32());
        Assert.DoesNotContain(fresh, r => r.GetProperty("item_id").GetString() == "i6");
        Assert.All(fresh, r => Assert.Contains(r.GetProperty("item_id").GetString(), new[] { "i4", "i5", "i7", "brand-new" }));
        Assert.Empty(root.GetProperty("unknown_users").EnumerateArray());
    }

    [Fact]
    public void Infer_with_a_collaborative_model_lists_unknown_users()
    {
        var dir = Dir();
        var config = Config(dir, """{"model": "itemknn"}""");
        var model = Path.Combine(dir, "model.trove");
        ConfigTraining.Run(config, CatalogueJson(dir), model);
        var input = Path.Combine(dir, "input.json");
        File.WriteAllText(input, """{"user_data": [{"user_id": "u2"}, {"user_id": "ghost"}]}""");
        var output = Path.Combine(dir, "out.json");
        ConfigInference.Run(model, null, input, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(["ghost"], doc.RootElement.GetProperty("unknown_users").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(9, doc.RootElement.GetProperty("recommendations").GetProperty("u2").GetArrayLength()); // 12 items, 3 seen
    }

    [Fact]
    public void Infer_with_a_hybrid_falls_back_to_popularity_for_unknown_users()
    {
        using var doc = TrainAndInfer("""{"model": "hybrid", "features": {"item": ["categorical"]}, "inference": {"top_k": 1}}""",
            """{"user_data": [{"user_id": "ghost"}]}""");
        Assert.Equal(["ghost"], doc.RootElement.GetProperty("unknown_users").EnumerateArray().Select(e => e.GetString()));
        // Item i0 is the one every user touched.
        Assert.Equal("i0", doc.RootElement.GetProperty("recommendations").GetProperty("ghost")[0].GetProperty("item_id").GetString());
    }

    [Fact]
    public void Hybrid_cold_start_users_get_the_most_popular_items_of_their_declared_preferences()
    {
        // "gamer" declared games (in another case, with a label that names no item label); "ghost" declared nothing.
        using var doc = TrainAndInfer("""{"model": "hybrid", "features": {"item": ["categorical", "text"]}, "inference": {"top_k": 4}}""", """
        {"user_data": [{"user_id": "gamer", "categorical": {"favourite_categories": ["Games"], "country": "USA"}},
                       {"user_id": "ghost"}]}
        """);
        var recommendations = doc.RootElement.GetProperty("recommendations");
        List<string> Top(string user) => recommendations.GetProperty(user).EnumerateArray().Select(r => r.GetProperty("item_id").GetString()!).ToList();
        // Games are i8..i11; i9 and i10 were touched by two games fans each, i8 and i11 by one.
        var gamer = Top("gamer");
        Assert.Equal(["i10", "i11", "i8", "i9"], gamer.Order());
        Assert.Equal(["i10", "i9"], gamer.Take(2).Order());
        // Without declared preferences: plain popularity (everyone touched i0).
        Assert.Equal("i0", Top("ghost")[0]);
        Assert.Equal(["gamer", "ghost"], doc.RootElement.GetProperty("unknown_users").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Hybrid_without_a_content_part_falls_back_to_popularity_for_a_new_user_with_input_interactions()
    {
        // Without a content part, a new user's input interactions cannot build a profile: popularity, minus what they touched.
        using var doc = TrainAndInfer("""{"model": "hybrid", "hybrid": {"weights": {"content": 0, "collaborative": 0.5, "popularity": 0.5}}, "inference": {"top_k": 3}}""",
            """{"interactions": [{"user_id": "walk-in", "item_id": "i0", "interaction_type": "view"}]}""");
        var top = doc.RootElement.GetProperty("recommendations").GetProperty("walk-in").EnumerateArray().Select(r => r.GetProperty("item_id").GetString()).ToList();
        Assert.Equal(3, top.Count);
        Assert.DoesNotContain("i0", top);
        Assert.Equal(["walk-in"], doc.RootElement.GetProperty("unknown_users").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Hybrid_recommends_a_new_item_through_its_content_score()
    {
        // u1 likes music (it has i4, i5 and the popular i0); "new-album" is a music item nobody has touched yet,
        // "new-game" a games item: only content can score them (no interactions, no popularity).
        using var doc = TrainAndInfer("""{"model": "hybrid", "features": {"item": ["categorical", "text"]}, "inference": {"top_k": 4}}""", """
        {"user_data": [{"user_id": "u1"}],
         "item_data": [{"item_id": "new-album", "categorical": {"category": "music"}, "text": {"title": "music volume 42"}},
                       {"item_id": "new-game", "categorical": {"category": "games"}, "text": {"title": "games volume 43"}}]}
        """);
        var top = doc.RootElement.GetProperty("recommendations").GetProperty("u1").EnumerateArray().Select(r => r.GetProperty("item_id").GetString()).ToList();
        // The unseen music items with co-interactions (i6, i7) and the new album make u1's top 4; the new game does not.
        Assert.Contains("new-album", top);
        Assert.Contains("i6", top);
        Assert.Contains("i7", top);
        Assert.DoesNotContain("new-game", top);
        var scores = doc.RootElement.GetProperty("scores").EnumerateArray().ToDictionary(e => e.GetProperty("item_id").GetString()!, e => e.GetProperty("score").GetDouble());
        Assert.True(scores["new-album"] > scores["new-game"]);
    }

    [Fact]
    public void Cli_fit_and_infer_commands()
    {
        var dir = Dir();
        var config = Config(dir, """{"model": "content", "features": {"item": ["categorical"]}}""");
        var data = CatalogueJson(dir);
        var model = Path.Combine(dir, "m.trove");
        var output = Path.Combine(dir, "out.json");
        Assert.Equal(0, Trove.Cli.Program.BuildRoot().Parse(["fit", "--config", config, "--data", data, "--out", model]).Invoke());
        Assert.Equal(0, Trove.Cli.Program.BuildRoot().Parse(["infer", "--model", model, "--config", config, "--data", data, "--out", output, "--k", "2"]).Invoke());
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(2, doc.RootElement.GetProperty("k").GetInt32());
        Assert.Equal(9, doc.RootElement.GetProperty("recommendations").EnumerateObject().Count());
        // A bad config is a one-line user error (exit code 2).
        var bad = Config(Dir(), """{"model": 5}""");
        Assert.Equal(2, Trove.Cli.Program.BuildRoot().Parse(["fit", "--config", bad, "--data", data, "--out", model]).Invoke());
        // The general train command reads universal JSON too, and takes --config.
        Assert.Equal(0, Trove.Cli.Program.BuildRoot().Parse(["train", "--model", "hybrid", "--data", data, "--out", Path.Combine(dir, "h.trove")]).Invoke());
        var viaTrain = Path.Combine(dir, "t.trove");
        Assert.Equal(0, Trove.Cli.Program.BuildRoot().Parse(["train", "--config", config, "--data", data, "--out", viaTrain]).Invoke());
        Assert.Equal("content", ModelFile.Load(viaTrain, BuiltInAlgorithms.Registry).Manifest.Algorithm);
        Assert.Equal(2, Trove.Cli.Program.BuildRoot().Parse(["train", "--config", config, "--model", "itemknn", "--data", data, "--out", viaTrain]).Invoke());
        Assert.Equal(2, Trove.Cli.Program.BuildRoot().Parse(["train", "--data", data, "--out", viaTrain]).Invoke());
    }

    [Fact]
    public void Schema_command_prints_the_feature_groups()
    {
        var path = Path.Combine(Dir(), "seed.json");
        File.WriteAllText(path, UniversalJsonTests.Seed);
        var text = new StringWriter();
        Assert.Equal(0, Trove.Cli.Commands.SchemaCommand.Run(path, text));
        Assert.Equal(2, Trove.Cli.Program.BuildRoot().Parse(["schema", "--data", Path.Combine(Dir(), "missing.json")]).Invoke());
        Assert.Contains("item.categorical: brand (label, 1 values), category (label, 1 values)", text.ToString());
        Assert.Contains("interaction types: purchase 1", text.ToString());
    }

    [Fact]
    public void Simulate_can_write_universal_json()
    {
        var dir = Dir();
        var path = Path.Combine(dir, "sim.json");
        Assert.Equal(0, Trove.Cli.Program.BuildRoot().Parse(["simulate", "--users", "50", "--items", "40", "--out", path, "--format", "json", "--no-diagnostics"]).Invoke());
        var data = UniversalJsonReader.Read(path);
        Assert.Equal(50, data.UserCount);
        Assert.True(data.Interactions.Count > 0);
        Assert.Contains("category", data.ItemFeatures.Categorical.Keys);
        Assert.Contains("title", data.ItemFeatures.Text.Keys);
    }
}
