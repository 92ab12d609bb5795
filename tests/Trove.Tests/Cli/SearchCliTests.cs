using System.Text.Json;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

/// <summary>`trove index` and `trove search` through the real command line: a catalogue alone becomes searchable, bad input is one line with exit code 2.</summary>
[Collection(ConsoleCollection.Name)]
public class SearchCliTests
{
    private static string Catalogue(string dir)
    {
        var path = Path.Combine(dir, "items.csv");
        File.WriteAllText(path, """
            item,title,category
            p1,Wireless optical mouse,electronics
            p2,Mechanical gaming keyboard,electronics
            p3,Stainless steel chef knife,kitchen
            p4,Cast iron frying pan,kitchen
            p5,Noise cancelling headphones,electronics
            """);
        return path;
    }

    private static void AssertOneLineError((int Code, string Out, string Err) r, string mentions)
    {
        Assert.True(r.Code == 2, $"exit {r.Code}\n{r.Out}\n{r.Err}");
        var lines = r.Err.TrimEnd().Split('\n');
        Assert.StartsWith("error: ", lines[^1]);
        Assert.Contains(mentions, lines[^1]);
    }

    [Fact]
    public void A_catalogue_alone_is_indexed_and_searched_with_filters_and_json()
    {
        var dir = TestPaths.NewTempDirectory();
        var model = Path.Combine(dir, "catalogue.trove");
        var index = CliRunner.Run("index", "--data", Catalogue(dir), "--out", model, "--encoder", "tfidf");
        Assert.True(index.Code == 0, index.Err);
        Assert.True(File.Exists(model + ".search"));
        Assert.Contains("5 items embedded with tfidf", index.Out);

        var search = CliRunner.Run("search", "--model", model, "--query", "frying pan", "--mode", "sparse", "--k", "3", "--json");
        Assert.True(search.Code == 0, search.Err);
        var json = JsonDocument.Parse(search.Out).RootElement;
        Assert.Equal("p4", json.GetProperty("items")[0].GetProperty("item").GetString());
        Assert.Equal("tfidf", json.GetProperty("encoder").GetString());
        Assert.Equal(1, json.GetProperty("items").GetArrayLength()); // only p4 has either word

        foreach (var fusion in new[] { "rrf", "minmax", "dbsf" })
        {
            var fused = CliRunner.Run("search", "--model", model, "--query", "frying pan", "--fusion", fusion, "--adaptive", "false", "--json");
            Assert.True(fused.Code == 0, fused.Err);
            Assert.Equal("p4", JsonDocument.Parse(fused.Out).RootElement.GetProperty("items")[0].GetProperty("item").GetString());
        }

        var filtered = CliRunner.Run("search", "--model", model, "--query", "steel keyboard", "--filter", "category=kitchen", "--json");
        Assert.True(filtered.Code == 0, filtered.Err);
        var items = JsonDocument.Parse(filtered.Out).RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).ToList();
        Assert.Contains("p3", items);
        Assert.DoesNotContain("p2", items);

        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "pan", "--mode", "fuzzy"), "--mode must be dense, sparse or hybrid");
        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "pan", "--fusion", "borda"), "--fusion must be rrf, minmax or dbsf");
        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "pan", "--dense-weight", "0", "--sparse-weight", "0"), "not both 0");
        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "pan", "--k", "0"), "k must be between 1 and 10000");
        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "  "), "query is empty");
        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "pan", "--user", "nobody"), "Unknown user 'nobody'");
        AssertOneLineError(CliRunner.Run("search", "--model", model, "--query", "pan", "--filter", "colour=red"), "no categorical feature 'colour'");
        AssertOneLineError(CliRunner.Run("search", "--model", Path.Combine(dir, "missing.trove"), "--query", "pan"), "does not exist");
        AssertOneLineError(CliRunner.Run("index", "--model", model, "--encoder", "nope"), "unknown encoder 'nope'");
    }

    [Fact]
    public void A_catalogue_without_an_item_column_names_the_file_line_and_field()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "items.csv");
        File.WriteAllText(path, "sku,title\nx1,Lamp\n");
        var r = CliRunner.Run("index", "--data", path, "--out", Path.Combine(dir, "c.trove"));
        AssertOneLineError(r, "items.csv");
        Assert.Contains("item", r.Err.TrimEnd().Split('\n')[^1]);
        Assert.False(File.Exists(Path.Combine(dir, "c.trove")));
    }

    [Fact]
    public void A_trained_model_is_searched_and_personalised_for_its_users()
    {
        var dir = TestPaths.NewTempDirectory();
        Catalogue(dir);
        File.WriteAllText(Path.Combine(dir, "interactions.csv"), "user,item\nann,p1\nann,p2\nann,p5\nbob,p3\nbob,p4\ncyd,p1\ncyd,p5\n");
        var model = Path.Combine(dir, "itemknn.trove");
        var train = CliRunner.Run("train", "--data", dir, "--model", "itemknn", "--out", model);
        Assert.True(train.Code == 0, train.Err);
        var r = CliRunner.Run("search", "--model", model, "--query", "electronics", "--mode", "sparse", "--user", "bob", "--personal-weight", "0.5", "--json");
        Assert.True(r.Code == 0, r.Err);
        var first = JsonDocument.Parse(r.Out).RootElement.GetProperty("items")[0];
        Assert.True(first.TryGetProperty("user_score", out var score) && score.ValueKind == JsonValueKind.Number);
    }
}
