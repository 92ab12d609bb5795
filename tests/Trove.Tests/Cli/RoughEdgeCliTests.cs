using Trove.Tests.Data;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

/// <summary>What a new user hit first (issue 18): each rough edge, through the real command line.</summary>
[Collection(ConsoleCollection.Name)]
public class RoughEdgeCliTests
{
    private static string SmallCsv(string dir)
    {
        var rows = new System.Text.StringBuilder("user,item,score\n");
        var rng = new Random(3);
        for (int u = 0; u < 40; u++)
            foreach (var i in Enumerable.Range(0, 30).OrderBy(_ => rng.Next()).Take(8 + rng.Next(6)))
                rows.Append($"u{u},i{i},{1 + rng.Next(5)}\n");
        return CsvTestFiles.Write(rows.ToString(), "interactions.csv", dir);
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, string mentions)
    {
        Assert.True(r.Code == 2, $"exit {r.Code}\n{r.Out}\n{r.Err}");
        var last = r.Err.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("error: ", last);
        Assert.Contains(mentions, last);
        Assert.DoesNotContain("imported", r.Out);
    }

    [Fact]
    public void Import_and_stats_of_a_folder_without_interactions_csv_fail_and_leave_no_database()
    {
        var dir = TestPaths.NewTempDirectory();
        var folder = Path.Combine(dir, "catalogue");
        Directory.CreateDirectory(folder);
        CsvTestFiles.Write("item,category\nx,a\ny,b\n", "items.csv", folder);
        var db = Path.Combine(dir, "new.db");
        AssertOneLineError(CliRunner.Run("import", "--data", folder, "--db", db, "--format", "csv"), "has no interactions.csv");
        Assert.False(File.Exists(db), "a failed import left a new database file behind");
        AssertOneLineError(CliRunner.Run("import", "--data", folder, "--db", db), "Cannot tell the format");
        Assert.False(File.Exists(db));
        AssertOneLineError(CliRunner.Run("stats", "--data", folder, "--format", "csv"), "has no interactions.csv");

        // A malformed file into a new database: nothing left behind either; into an existing one: it stays.
        var bad = CsvTestFiles.Write("user,item,score\na,x,oops\n", "bad.csv", dir);
        AssertOneLineError(CliRunner.Run("import", "--data", bad, "--db", db), "field 'score'");
        Assert.False(File.Exists(db));
        Assert.Equal(0, CliRunner.Run("import", "--data", SmallCsv(dir), "--db", db).Code);
        AssertOneLineError(CliRunner.Run("import", "--data", bad, "--db", db), "field 'score'");
        Assert.True(File.Exists(db));
    }

    [Fact]
    public void Evaluate_with_data_defaults_to_full_ranking_holdout_and_says_so()
    {
        var dir = TestPaths.NewTempDirectory();
        var (code, output, err) = CliRunner.Run("evaluate", "--data", SmallCsv(dir), "--model", "popularity");
        Assert.True(code == 0, err);
        Assert.StartsWith("protocol: holdout (random per-user holdout: test 20%, seed 42; full ranking)", output);
    }

    [Fact]
    public void Validation_with_other_cut_offs_tracks_a_metric_that_exists()
    {
        var dir = TestPaths.NewTempDirectory();
        var (code, output, err) = CliRunner.Run("evaluate", "--data", SmallCsv(dir), "--model", "bpr", "--param", "epochs=3",
            "--validation-fraction", "0.1", "--test-fraction", "0.1", "--k", "5");
        Assert.True(code == 0, err);
        Assert.DoesNotContain("No metric", err);
        Assert.Contains("ndcg@5", output);
    }

    [Fact]
    public void Collaborative_parameters_of_the_hybrid_are_applied_or_refused()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = SmallCsv(dir);
        var model = Path.Combine(dir, "h.trove");
        AssertOneLineError(CliRunner.Run("train", "--data", data, "--model", "hybrid", "--out", model, "--param", "collaborative_parameters={\"bogus\": 1}"), "Unknown parameter 'bogus' for itemknn");
        AssertOneLineError(CliRunner.Run("train", "--data", data, "--model", "hybrid", "--out", model, "--param", "collaborative_parameters={neighbours: 5"), "expected a JSON object");
        var (code, _, err) = CliRunner.Run("train", "--data", data, "--model", "hybrid", "--out", model, "--param", "collaborative_parameters={\"neighbours\": 3}");
        Assert.True(code == 0, err);
        var trained = Trove.Core.Persistence.ModelFile.Load(model, Trove.Models.BuiltInAlgorithms.Registry);
        var hybrid = Assert.IsType<Trove.Models.Content.Hybrid>(trained.Model);
        Assert.Contains("\"neighbours\":3", System.Text.Json.JsonSerializer.Serialize(hybrid.Params));
    }

    [Fact]
    public void Recommend_and_similar_show_titles_and_similar_prints_json()
    {
        var dir = TestPaths.NewTempDirectory();
        var model = Path.Combine(dir, "knn.trove");
        Assert.Equal(0, CliRunner.Run("train", "--data", TestPaths.Dataset("ml-100k"), "--model", "itemknn", "--out", model).Code);

        var table = CliRunner.Run("recommend", "--model", model, "--user", "1", "--k", "3");
        Assert.Equal(0, table.Code);
        Assert.Contains("title", table.Out.Split('\n')[1]); // the header names the title column, and the rows carry titles
        Assert.Matches(@"\(\d{4}\)", table.Out);          // MovieLens titles end with their year

        var similar = CliRunner.Run("similar", "--model", model, "--item", "1", "--k", "2", "--json");
        Assert.Equal(0, similar.Code);
        var doc = System.Text.Json.JsonDocument.Parse(similar.Out).RootElement;
        Assert.Equal("1", doc.GetProperty("item").GetString());
        var items = doc.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.DoesNotContain(items, i => i.GetProperty("item").GetString() == "1");
        Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.GetProperty("features").GetProperty("title").GetString())));

        var users = System.Text.Json.JsonDocument.Parse(CliRunner.Run("similar", "--model", model, "--user", "1", "--k", "2", "--json").Out).RootElement;
        Assert.Equal(2, users.GetProperty("users").GetArrayLength());
    }

    [Fact]
    public void Neural_training_prints_each_epoch_once_when_stderr_is_a_file()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = SmallCsv(dir);
        var (code, output) = Trove.Tests.Crash.ChildCli.Run(dir, "train", "--data", data, "--model", "ncf", "--param", "epochs=2", "--param", "factors=4",
            "--param", "layers=8,4", "--out", Path.Combine(dir, "ncf.trove"));
        Assert.True(code == 0, output);
        foreach (var epoch in new[] { "epoch 1/2 loss", "epoch 2/2 loss" })
        {
            int lines = output.Split('\n').Count(l => l.Contains(epoch, StringComparison.Ordinal) && !l.Contains("refit", StringComparison.Ordinal));
            Assert.True(lines == 1, $"'{epoch}' printed {lines} times:\n{output}");
        }
    }
}
