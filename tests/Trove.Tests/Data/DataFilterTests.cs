using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>--min-score and the iterated k-core (--min-user-interactions, --min-item-interactions).</summary>
public class DataFilterTests
{
    // C's only other item z has one user: removing z leaves C with one item, so C goes in the second round.
    private const string Csv = "user,item,score\nA,x,5\nA,y,4\nB,x,3\nB,y,2\nB,y,1\nC,x,4\nC,z,5\n";

    private static string Folder()
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write(Csv, "interactions.csv", dir);
        CsvTestFiles.Write("item,category\nx,a\ny,b\nz,c\nw,d\n", "items.csv", dir); // w: catalogue only
        return dir;
    }

    [Fact]
    public void The_k_core_is_iterated_until_stable_and_keeps_features_aligned()
    {
        var data = DatasetLoader.Load(Folder(), new LoadOptions { Filter = new DataFilter { MinUserInteractions = 2, MinItemInteractions = 2 } });
        Assert.Equal(["A", "B"], data.Users.Ids);
        Assert.Equal(["x", "y"], data.Items.Ids);
        Assert.Equal(5, data.Interactions.Count);           // B's repeated y counts as one distinct item, both rows kept
        Assert.Equal<IEnumerable<string?>>(["a", "b"], data.ItemFeatures.Categorical["category"]);
        Assert.Equal(3f, data.UserItems[data.Users.IndexOf("B"), data.Items.IndexOf("x")]);
    }

    [Fact]
    public void A_one_sided_core_only_filters_that_side()
    {
        var data = DatasetLoader.Load(Folder(), new LoadOptions { Filter = new DataFilter { MinItemInteractions = 3 } });
        Assert.Equal(["x"], data.Items.Ids);
        Assert.Equal(["A", "B", "C"], data.Users.Ids);
        Assert.Equal(3, data.Interactions.Count);
    }

    [Fact]
    public void Min_score_keeps_the_positives_with_their_weights_and_all_ids()
    {
        var data = DatasetLoader.Load(Folder(), new LoadOptions { Filter = new DataFilter { MinScore = 3.5f } });
        Assert.Equal([5f, 4f, 4f, 5f], data.Interactions.Weights);
        Assert.Equal(4, data.ItemCount);                      // no k-core: the catalogue stays
        // The score, not the weight, decides: rating events weigh 0.2 x stars.
        var events = CsvTestFiles.Write("user,item,score,event\na,x,4,rating\na,y,3,rating\nb,x,1,view\n");
        var filtered = DatasetLoader.Load(events, new LoadOptions { Filter = new DataFilter { MinScore = 3.5f } });
        Assert.Equal([0.8f], filtered.Interactions.Weights);
    }

    [Fact]
    public void Without_scores_the_weight_is_compared()
    {
        var path = CsvTestFiles.Write("user,item,event\na,x,view\na,y,purchase\n");
        var data = DatasetLoader.Load(path, new LoadOptions { Filter = new DataFilter { MinScore = 0.5f } });
        Assert.Equal(["y"], data.Interactions.Items.Select(i => data.Items[i]));
    }

    [Fact]
    public void A_filter_that_removes_everything_says_so()
    {
        var e = Assert.Throws<TroveException>(() => DatasetLoader.Load(Folder(), new LoadOptions { Filter = new DataFilter { MinUserInteractions = 10 } }));
        Assert.Contains("removed every interaction", e.Message);
        Assert.Throws<TroveException>(() => new DataFilter { MinItemInteractions = -1 }.Validate());
    }

    [Fact]
    public void Import_applies_the_filter_before_writing()
    {
        var dir = Folder();
        using var store = SqliteStore.Open(Path.Combine(TestPaths.NewTempDirectory(), "t.db"));
        DataImporter.Import(store, dir, new LoadOptions { RequireInteractions = false, Filter = new DataFilter { MinUserInteractions = 2, MinItemInteractions = 2 } });
        var counts = store.Counts();
        Assert.Equal((2L, 2L, 5L), (counts.Users, counts.Items, counts.Interactions));
    }
}

/// <summary>The same filter options through import, stats, train and evaluate.</summary>
[Collection(ConsoleCollection.Name)]
public class DataFilterCliTests
{
    [Fact]
    public void Import_stats_train_and_evaluate_filter_identically()
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = CsvTestFiles.Write("user,item,score\nA,x,5\nA,y,4\nB,x,3\nB,y,2\nC,x,4\nC,z,5\nD,x,1\nD,y,1\n", "i.csv", dir);
        string[] filter = ["--min-user-interactions", "2", "--min-item-interactions", "2", "--positive-threshold", "2"];
        var db = Path.Combine(dir, "f.db");
        var (code, output, err) = CliRunner.Run(["import", "--data", csv, "--db", db, .. filter]);
        Assert.True(code == 0, err);
        Assert.Contains("imported 4 interactions, 2 new users, 2 new items", output);

        (code, output, err) = CliRunner.Run(["stats", "--data", csv, .. filter]);
        Assert.True(code == 0, err);
        Assert.Contains("interactions  4 ", output);
        Assert.Contains("filter (score >= 2, users with >= 2 items, items with >= 2 users): kept 4 of 8 interactions, 2 of 4 users, 2 of 3 items", err);

        (code, output, err) = CliRunner.Run(["train", "--data", csv, "--model", "popularity", "--out", Path.Combine(dir, "m.trove"), .. filter]);
        Assert.True(code == 0, err);
        Assert.Contains("kept 4 of 8 interactions", err);
        (code, _, err) = CliRunner.Run(["evaluate", "--protocol", "holdout", "--db", db, "--model", "popularity", "--min-score", "100"]);
        Assert.Equal(2, code);
        Assert.Contains("removed every interaction", err);
    }
}
