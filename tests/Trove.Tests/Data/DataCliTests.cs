using System.Text.Json;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>`trove import` and `trove stats` through the real command line (stdout and stderr captured).</summary>
[Collection(ConsoleCollection.Name)]
public class DataCliTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Import_of_a_malformed_file_exits_2_with_one_line_and_leaves_the_db_unchanged()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        var good = CsvTestFiles.Write("user,item,score\na,x,1\nb,y,2\n", "good.csv", dir);
        Assert.Equal(0, Run("import", "--data", good, "--db", db).Code);
        StoreCounts before;
        using (var s = SqliteStore.Open(db)) before = s.Counts();

        var bad = CsvTestFiles.Write("user,item,score\nc,z,1\nd,w,lots\n", "bad.csv", dir);
        var (code, _, err) = Run("import", "--data", bad, "--db", db);
        Assert.Equal(2, code);
        Assert.Equal($"error: {bad}:3: field 'score': not a number: 'lots'.", err.Trim());
        Assert.Single(err.Trim().Split('\n'));
        using (var s = SqliteStore.Open(db)) Assert.Equal(before, s.Counts());
    }

    [Fact]
    public void Import_of_playlists_stores_creators_and_pseudo_users()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        var playlists = CsvTestFiles.Write(PlaylistAndMovieLensLatestTests.Playlists, "playlists.json", dir);
        var (code, output, err) = Run("import", "--format", "playlists", "--data", playlists, "--db", db);
        Assert.True(code == 0, err);
        Assert.Contains("imported 7 interactions, 3 new users, 4 new items", output);
        (code, output, _) = Run("stats", "--data", playlists);
        Assert.Equal(0, code);
        Assert.Contains("interactions  7", output);
    }

    [Fact]
    public void Import_prints_counts_and_stats_reads_the_database()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        var (code, output, _) = Run("import", "--data", TestPaths.Dataset("ml-100k"), "--db", db);
        Assert.Equal(0, code);
        Assert.Contains("imported 100,000 interactions, 943 new users, 1,682 new items", output);

        var json = Path.Combine(dir, "stats.json");
        (code, output, _) = Run("stats", "--db", db, "--json", json);
        Assert.Equal(0, code);
        Assert.Contains("interactions  100,000", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(943, root.GetProperty("users").GetInt32());
        Assert.Equal(1682, root.GetProperty("items").GetInt32());
        Assert.Equal(100000, root.GetProperty("interactions").GetInt64());
        Assert.Equal(100000.0 / (943 * 1682), root.GetProperty("density").GetDouble(), 9);
        Assert.Equal(20, root.GetProperty("per_user").GetProperty("min").GetDouble());
        Assert.Equal(737, root.GetProperty("per_user").GetProperty("max").GetDouble());
        Assert.Equal("rating", root.GetProperty("events")[0].GetProperty("event").GetString());
        Assert.Equal(1.0, root.GetProperty("events")[0].GetProperty("share").GetDouble());
        Assert.Equal(874724710, root.GetProperty("time").GetProperty("first_unix").GetInt64());
    }

    [Fact]
    public void Stats_of_a_csv_shows_the_event_mix_with_custom_columns_and_weights()
    {
        var path = CsvTestFiles.Write("cust;sku;kind\na;x;view\na;y;view\nb;x;purchase\nc;x;view\n", "events.csv");
        var (code, output, err) = Run("stats", "--data", path, "--columns", "user=cust,item=sku,event=kind", "--event-weights", "view=0.2");
        Assert.True(code == 0, err);
        Assert.Contains("view", output);
        Assert.Contains("75.0 %", output);
        Assert.Contains("25.0 %", output);
    }

    [Fact]
    public void Data_options_require_exactly_one_source()
    {
        var (code, _, err) = Run("stats");
        Assert.Equal(2, code);
        Assert.Contains("--data", err);
        var csv = CsvTestFiles.Write("user,item\na,b\n");
        (code, _, err) = Run("stats", "--data", csv, "--db", csv + ".db");
        Assert.Equal(2, code);
        Assert.Contains("not both", err);
        (code, _, err) = Run("stats", "--db", Path.Combine(TestPaths.NewTempDirectory(), "missing.db"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", err);
    }

    [Fact]
    public void Import_requires_data_and_db()
    {
        var (code, _, err) = Run("import", "--data", CsvTestFiles.Write("user,item\na,b\n"));
        Assert.Equal(2, code);
        Assert.Contains("--db", err);
    }
}
