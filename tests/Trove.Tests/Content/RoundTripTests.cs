using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Tests.Support;

namespace Trove.Tests.Content;

/// <summary>
/// The README's universal JSON round trip through the command line: simulate --format json, hold out
/// some users into a separate input file, train content and hybrid from configs, infer on the held-out file.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class RoundTripTests
{
    private static int Cli(params string[] args) => global::Trove.Cli.Program.BuildRoot().Parse(args).Invoke();

    /// <summary>`trove simulate --format json` with seed 5, parsed.</summary>
    internal static JsonObject Simulate(int users, int items)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "sim.json");
        Assert.Equal(0, Cli("simulate", "--users", users.ToString(), "--items", items.ToString(), "--seed", "5", "--format", "json", "--out", path, "--no-diagnostics"));
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
    }

    /// <summary>Writes the training file, the input file and the config, runs `trove train --config` and `trove infer` and returns the output.</summary>
    internal static JsonDocument TrainAndInfer(JsonObject train, JsonObject input, string configJson)
    {
        var dir = TestPaths.NewTempDirectory();
        var trainPath = Path.Combine(dir, "train.json");
        var inputPath = Path.Combine(dir, "input.json");
        var config = Path.Combine(dir, "config.json");
        File.WriteAllText(trainPath, train.ToJsonString());
        File.WriteAllText(inputPath, input.ToJsonString());
        File.WriteAllText(config, configJson);
        var modelPath = Path.Combine(dir, "model.trove");
        var output = Path.Combine(dir, "out.json");
        Assert.Equal(0, Cli("train", "--config", config, "--data", trainPath, "--out", modelPath));
        Assert.Equal(0, Cli("infer", "--model", modelPath, "--config", config, "--data", inputPath, "--out", output));
        return JsonDocument.Parse(File.ReadAllText(output));
    }

    [Theory]
    [InlineData("content")]
    [InlineData("hybrid")]
    public void Simulate_json_train_from_config_and_infer_on_held_out_users(string model)
    {
        var root = Simulate(60, 50);

        // Hold out the last 10 users: the training file has neither them nor their interactions; the
        // input file has their profile and interactions only (the items are those the model knows).
        var users = root["user_data"]!.AsArray().Select(u => u!["user_id"]!.ToString()).ToList();
        var heldOut = users.Skip(users.Count - 10).ToHashSet();
        JsonArray Filter(string section, bool keepHeldOut) => new(root[section]!.AsArray()
            .Where(n => heldOut.Contains(n!["user_id"]!.ToString()) == keepHeldOut).Select(n => n!.DeepClone()).ToArray());
        var train = new JsonObject { ["user_data"] = Filter("user_data", false), ["item_data"] = root["item_data"]!.DeepClone(), ["interactions"] = Filter("interactions", false) };
        var input = new JsonObject { ["user_data"] = Filter("user_data", true), ["interactions"] = Filter("interactions", true) };

        using var doc = TrainAndInfer(train, input, $$$"""{"model": "{{{model}}}", "features": {"item": ["categorical", "text"]}, "inference": {"top_k": 5}}""");
        var result = doc.RootElement;
        Assert.Equal(model, result.GetProperty("model").GetString());
        Assert.Empty(result.GetProperty("unknown_users").EnumerateArray());
        int d = result.GetProperty("dimensions").GetInt32();
        Assert.True(d > 0);
        var seen = input["interactions"]!.AsArray().GroupBy(n => n!["user_id"]!.ToString())
            .ToDictionary(g => g.Key, g => g.Select(n => n!["item_id"]!.ToString()).ToHashSet());
        var recommendations = result.GetProperty("recommendations");
        foreach (var user in heldOut)
        {
            // New users get a profile from their input interactions: an embedding and 5 unseen items.
            Assert.Equal(d, result.GetProperty("user_embeddings").GetProperty(user).GetArrayLength());
            var items = recommendations.GetProperty(user).EnumerateArray().Select(r => r.GetProperty("item_id").GetString()!).ToList();
            Assert.Equal(5, items.Count);
            Assert.DoesNotContain(items, seen[user].Contains);
        }
        // Content and hybrid are not popularity: held-out users with different histories get different lists.
        var lists = heldOut.Select(u => string.Join(",", recommendations.GetProperty(u).EnumerateArray().Select(r => r.GetProperty("item_id").GetString()))).ToHashSet();
        Assert.True(lists.Count > 1);
    }
}

/// <summary>
/// The same round trip with a two-tower model: users and items held out of training entirely come
/// back in the input file with their features, and get embeddings and scores from the towers'
/// feature paths instead of being reported unknown.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class TwoTowerRoundTripTests
{
    [Fact]
    public void New_users_and_items_with_features_are_embedded_and_scored_by_the_towers()
    {
        var root = RoundTripTests.Simulate(80, 60);
        var users = root["user_data"]!.AsArray().Select(u => u!["user_id"]!.ToString()).ToList();
        var items = root["item_data"]!.AsArray().Select(i => i!["item_id"]!.ToString()).ToList();
        var newUsers = users.TakeLast(8).ToHashSet();
        var newItems = items.TakeLast(6).ToHashSet();
        JsonArray Where(string section, Func<JsonNode, bool> keep) => new(root[section]!.AsArray().Where(n => keep(n!)).Select(n => n!.DeepClone()).ToArray());
        bool Old(JsonNode n) => !newUsers.Contains(n["user_id"]!.ToString()) && !newItems.Contains(n["item_id"]!.ToString());
        var train = new JsonObject
        {
            ["user_data"] = Where("user_data", n => !newUsers.Contains(n["user_id"]!.ToString())),
            ["item_data"] = Where("item_data", n => !newItems.Contains(n["item_id"]!.ToString())),
            ["interactions"] = Where("interactions", Old),
        };
        // The input: the new users' and new items' features only (no interactions), plus one known user and item.
        var input = new JsonObject
        {
            ["user_data"] = Where("user_data", n => newUsers.Contains(n["user_id"]!.ToString()) || n["user_id"]!.ToString() == users[0]),
            ["item_data"] = Where("item_data", n => newItems.Contains(n["item_id"]!.ToString()) || n["item_id"]!.ToString() == items[0]),
        };
        using var doc = RoundTripTests.TrainAndInfer(train, input,
            """{"model": "twotower", "parameters": {"epochs": 5, "validation": false, "dimensions": 16, "embedding_dim": 16}, "inference": {"top_k": 5}}""");
        var result = doc.RootElement;
        Assert.Equal("twotower", result.GetProperty("model").GetString());
        Assert.Empty(result.GetProperty("unknown_users").EnumerateArray());
        Assert.Equal(16, result.GetProperty("dimensions").GetInt32());
        float[] Vector(JsonElement e) => e.EnumerateArray().Select(x => x.GetSingle()).ToArray();
        var userVectors = result.GetProperty("user_embeddings").EnumerateObject().ToDictionary(p => p.Name, p => Vector(p.Value));
        var itemVectors = result.GetProperty("item_embeddings").EnumerateObject().ToDictionary(p => p.Name, p => Vector(p.Value));
        Assert.True(newUsers.IsSubsetOf(userVectors.Keys));
        Assert.True(newItems.IsSubsetOf(itemVectors.Keys));
        // Features differ, so the feature paths give different vectors (not one "unknown" vector).
        Assert.Equal(newUsers.Count, newUsers.Select(u => string.Join(",", userVectors[u])).Distinct().Count());
        Assert.Equal(newItems.Count, newItems.Select(i => string.Join(",", itemVectors[i])).Distinct().Count());
        // Each user x each input item is scored, and the score is the dot product of the two vectors.
        var scores = result.GetProperty("scores").EnumerateArray().ToList();
        Assert.Equal((newUsers.Count + 1) * (newItems.Count + 1), scores.Count);
        foreach (var s in scores)
        {
            var (u, i) = (s.GetProperty("user_id").GetString()!, s.GetProperty("item_id").GetString()!);
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(userVectors[u], itemVectors[i]), s.GetProperty("score").GetSingle(), 3);
        }
        // New users get full recommendation lists, which may include the new items.
        var recommendations = result.GetProperty("recommendations");
        foreach (var user in newUsers) Assert.Equal(5, recommendations.GetProperty(user).GetArrayLength());
    }
}
