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

    [Theory]
    [InlineData("content")]
    [InlineData("hybrid")]
    public void Simulate_json_train_from_config_and_infer_on_held_out_users(string model)
    {
        var dir = TestPaths.NewTempDirectory();
        var simulated = Path.Combine(dir, "sim.json");
        Assert.Equal(0, Cli("simulate", "--users", "60", "--items", "50", "--seed", "5", "--format", "json", "--out", simulated, "--no-diagnostics"));

        // Hold out the last 10 users: the training file has neither them nor their interactions; the
        // input file has their profile and interactions only (the items are those the model knows).
        var root = JsonNode.Parse(File.ReadAllText(simulated))!.AsObject();
        var users = root["user_data"]!.AsArray().Select(u => u!["user_id"]!.ToString()).ToList();
        var heldOut = users.Skip(users.Count - 10).ToHashSet();
        JsonArray Filter(string section, bool keepHeldOut) => new(root[section]!.AsArray()
            .Where(n => heldOut.Contains(n!["user_id"]!.ToString()) == keepHeldOut).Select(n => n!.DeepClone()).ToArray());
        var train = new JsonObject { ["user_data"] = Filter("user_data", false), ["item_data"] = root["item_data"]!.DeepClone(), ["interactions"] = Filter("interactions", false) };
        var input = new JsonObject { ["user_data"] = Filter("user_data", true), ["interactions"] = Filter("interactions", true) };
        var trainPath = Path.Combine(dir, "train.json");
        var inputPath = Path.Combine(dir, "input.json");
        File.WriteAllText(trainPath, train.ToJsonString());
        File.WriteAllText(inputPath, input.ToJsonString());

        var config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, $$$"""{"model": "{{{model}}}", "features": {"item": ["categorical", "text"]}, "inference": {"top_k": 5}}""");
        var modelPath = Path.Combine(dir, "model.trove");
        var output = Path.Combine(dir, "out.json");
        Assert.Equal(0, Cli("train", "--config", config, "--data", trainPath, "--out", modelPath));
        Assert.Equal(0, Cli("infer", "--model", modelPath, "--config", config, "--data", inputPath, "--out", output));

        using var doc = JsonDocument.Parse(File.ReadAllText(output));
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
