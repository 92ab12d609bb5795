using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

public class FeatureAndLoaderTests
{
    private static string SimulatorFolder()
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write("user,item,score,timestamp,event\nu1,i1,1,100,view\nu2,i2,1,200,purchase\nu1,i2,2,300,add_to_cart\n", "interactions.csv", dir);
        CsvTestFiles.Write("item,category,price,title,tags\ni2,books,9.5,\"Dune, Part 1\",scifi|classic\ni1,music,,Blue,\ni9,toys,3,Cold start,\n", "items.csv", dir);
        CsvTestFiles.Write("user,age,segment\nu1,31,a\nu3,x,b\n", "users.csv", dir);
        return dir;
    }

    [Fact]
    public void A_simulator_folder_loads_interactions_and_auto_typed_features()
    {
        var data = DatasetLoader.Load(SimulatorFolder());
        Assert.Equal(["u1", "u2", "u3"], data.Users.Ids);       // u3 only in users.csv
        Assert.Equal(["i1", "i2", "i9"], data.Items.Ids);       // i9 only in items.csv: cold start
        Assert.Equal(3, data.Interactions.Count);
        var f = data.ItemFeatures;
        Assert.Equal("books", f.Categorical["category"][1]);
        Assert.Equal(9.5f, f.Numeric["price"][1]);
        Assert.True(float.IsNaN(f.Numeric["price"][0]));        // empty value
        Assert.Equal(3f, f.Numeric["price"][2]);
        Assert.Equal("Dune, Part 1", f.Text["title"][1]);
        Assert.Equal(["scifi", "classic"], f.Labels("tags", 1));
        // "x" is not a number, so age is categorical
        Assert.Equal("x", data.UserFeatures.Categorical["age"][2]);
        Assert.Null(data.UserFeatures.Categorical["age"][1]);
    }

    [Fact]
    public void A_feature_file_without_its_id_column_is_reported()
    {
        var dir = SimulatorFolder();
        CsvTestFiles.Write("sku,category\ni1,x\n", "items.csv", dir);
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(dir));
        Assert.Equal((1L, "item"), (e.Line, e.Field));
        Assert.EndsWith("items.csv", e.File);
    }

    [Fact]
    public void Formats_are_detected_from_the_path()
    {
        Assert.Equal("csv", DatasetLoader.Resolve(SimulatorFolder()).Name);
        Assert.Equal("csv", DatasetLoader.Resolve(CsvTestFiles.Write("user,item\na,b\n", "x.csv")).Name);
        Assert.Equal("movielens", DatasetLoader.Resolve(TestPaths.Dataset("ml-100k")).Name);
        Assert.Equal("movielens", DatasetLoader.Resolve(TestPaths.Dataset("ml-1m")).Name);
        Assert.Equal("lastfm", DatasetLoader.Resolve(TestPaths.Dataset("lastfm-2k")).Name);
    }

    [Fact]
    public void An_unknown_folder_gives_an_error_listing_what_was_looked_for()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "notes.md"), "hi");
        var e = Assert.Throws<TroveException>(() => DatasetLoader.Load(dir));
        Assert.Contains("Cannot tell the format", e.Message);
        Assert.Contains("interactions.csv", e.Message);
        Assert.Contains("u.data", e.Message);
        Assert.Contains("user_artists.dat", e.Message);
        Assert.Contains(".db", e.Message);
    }

    [Fact]
    public void Unknown_format_names_and_missing_paths_are_clear_errors()
    {
        var e = Assert.Throws<TroveException>(() => DatasetLoader.Load(SimulatorFolder(), new LoadOptions { Format = "parquet" }));
        Assert.Contains("Unknown data format 'parquet'", e.Message);
        Assert.Contains("movielens", e.Message);
        e = Assert.Throws<TroveException>(() => DatasetLoader.Load("/nonexistent/trove/data.csv"));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Other_formats_can_be_registered()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "marker.custom-test"), "");
        DatasetLoader.Register(new DatasetLoader.Format("custom-test", "a folder with marker.custom-test",
            p => Directory.Exists(p) && File.Exists(Path.Combine(p, "marker.custom-test")),
            (p, o, progress) => InteractionCsvReader.Read(CsvTestFiles.Write("user,item\na,b\n"))));
        Assert.Equal(1, DatasetLoader.Load(dir).Interactions.Count);
        Assert.Equal("custom-test", DatasetLoader.Resolve(dir, "CUSTOM-TEST").Name);
    }
}
