using System.Text.Json;
using Trove.Cli.Commands;
using Trove.Core.Training;
using Trove.Data.Readers;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class DemoAndTrainTests
{
    [Fact]
    public void Demo_writes_recommendations_for_every_user_without_items_they_have_seen()
    {
        var dir = TestPaths.NewTempDirectory();
        var output = new StringWriter();
        int rc = DemoCommand.Run(new DemoCommand.Settings { Output = dir, Users = 300, Items = 200, Seed = 3, Models = ["popularity", "itemknn"] }, output, NullProgress.Instance);
        Assert.Equal(0, rc);

        var data = DatasetLoader.Load(Path.Combine(dir, "data"), new LoadOptions());
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "recommendations.json")));
        var recs = doc.RootElement.GetProperty("recommendations");
        Assert.Equal(data.UserCount, recs.EnumerateObject().Count());
        foreach (var user in recs.EnumerateObject())
        {
            int u = data.Users.IndexOf(user.Name);
            var seen = data.UserItems.RowIndices(u).ToArray().Select(i => data.Items[i]).ToHashSet();
            var items = user.Value.EnumerateArray().Select(e => e.GetProperty("item").GetString()!).ToList();
            Assert.Equal(10, items.Count);
            Assert.DoesNotContain(items, seen.Contains);
            var scores = user.Value.EnumerateArray().Select(e => e.GetProperty("score").GetDouble()).ToList();
            Assert.Equal(scores.OrderByDescending(s => s), scores);
        }
        Assert.True(File.Exists(Path.Combine(dir, "models", "itemknn.trove")));
        Assert.True(File.Exists(Path.Combine(dir, "evaluation.json")));
        Assert.Contains("itemknn", output.ToString());
    }

    [Fact]
    public void Train_then_recommend_through_the_command_line()
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = Path.Combine(dir, "interactions.csv");
        File.WriteAllLines(csv, ["user,item,event", "a,x,purchase", "a,y,view", "b,x,view", "b,z,purchase", "c,y,view", "c,z,view"]);
        var model = Path.Combine(dir, "m.trove");
        Assert.Equal(0, Trove.Cli.Program.Main(["train", "--data", csv, "--model", "itemknn", "--out", model, "--param", "neighbours=5"]));
        var recs = Path.Combine(dir, "recs.json");
        Assert.Equal(0, Trove.Cli.Program.Main(["recommend", "--model", model, "--all", "--out", recs, "--k", "3"]));
        using var doc = JsonDocument.Parse(File.ReadAllText(recs));
        // a has x and y; the only unseen item is z.
        var forA = doc.RootElement.GetProperty("recommendations").GetProperty("a").EnumerateArray().Select(e => e.GetProperty("item").GetString()).ToList();
        Assert.Equal(["z"], forA);
    }

    [Theory]
    [InlineData("train", "--model", "itemknn")]                                  // missing --out and data
    [InlineData("recommend", "--model", "missing.trove", "--user", "1")]        // model file does not exist
    [InlineData("train", "--data", "nowhere.csv", "--model", "nope", "--out", "x")] // unknown model
    [InlineData("simulate", "--users", "-5", "--out", "x")]                     // bad option value
    public void User_errors_exit_with_code_2(params string[] args)
    {
        var previous = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { Assert.Equal(2, Trove.Cli.Program.Main(args)); }
        finally { Console.SetError(previous); }
        Assert.StartsWith("error: ", error.ToString());
    }
}
