using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Simulation;
using Trove.Tests.Data;
using Trove.Tests.Support;

namespace Trove.Tests.Simulation;

/// <summary>`trove simulate --items-from` and `--interaction-rate`.</summary>
[Collection(ConsoleCollection.Name)]
public class CatalogueInputTests
{
    private const string Movies = """
        item,title,genres,studio,year
        m1,Toy Story,Animation|Children,Pixar,1995
        m2,Heat,Action|Crime,WB,1995
        m3,Up,Animation,Pixar,2009
        m4,Alien,Horror|Sci-Fi,Fox,1979
        m5,Blade Runner,Sci-Fi,WB,1982
        m6,Cars,Animation|Children,Pixar,2006
        m7,Speed,Action,Fox,1994
        m8,Brave,Animation,Pixar,2012
        """;

    private static string Catalogue()
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write(Movies.Replace("\r", "") + "\n", "movies.csv", dir);
        return Path.Combine(dir, "movies.csv");
    }

    [Fact]
    public void A_catalogue_csv_gives_the_items_clusters_and_brands_of_the_simulation()
    {
        var input = CatalogueInput.Load(Catalogue());
        Assert.Equal(["Animation", "Action", "Horror", "Sci-Fi"], input.CategoryNames);   // first genre of each list
        Assert.Equal(["Pixar", "WB", "Fox"], input.BrandNames);                          // "studio"
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 300, Seed = 3, Catalogue = input, MinInteractions = 2, MaxInteractions = 20, RecencyDecay = 0 });
        var cat = result.Catalogue;
        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"], cat.ItemIds);
        Assert.Equal("Toy Story", cat.Titles[0]);
        Assert.Equal("Sci-Fi", cat.CategoryNames[cat.Category[4]]);
        Assert.Equal(new DateTime(1995, 7, 1), DateTime.UnixEpoch.AddDays(cat.ReleaseDay[0]));

        // The written files use the catalogue's ids and read back as one dataset.
        var dir = TestPaths.NewTempDirectory();
        SimulationCsv.WriteAll(result, dir);
        var data = DatasetLoader.Load(dir);
        Assert.Equal(cat.ItemIds.Order(), data.Items.Ids.Order());
        Assert.Equal(result.Count, data.Interactions.Count);
        Assert.StartsWith("m1,Toy Story,Animation,Pixar,", File.ReadLines(Path.Combine(dir, "items.csv")).Skip(1).First());

        // The genres are the taste clusters: with taste share 0.75 about that share of rows lands in a user's favourite genres.
        int inFavourite = 0;
        for (int u = 0; u < result.Users.Count; u++)
        {
            var fav = result.Users.FavouriteCategories(u).ToArray();
            for (int r = result.UserOffsets[u]; r < result.UserOffsets[u + 1]; r++) if (fav.Contains(cat.Category[result.Items[r]])) inFavourite++;
        }
        Assert.InRange(inFavourite / (double)result.Count, 0.7, 0.98);
    }

    [Fact]
    public void The_cli_simulates_over_an_items_csv_or_a_universal_json_catalogue()
    {
        var dir = TestPaths.NewTempDirectory();
        Assert.Equal(0, Trove.Cli.Program.Main(["simulate", "--items-from", Catalogue(), "--users", "50", "--min-interactions", "2", "--max-interactions", "10", "--out", Path.Combine(dir, "a"), "--no-diagnostics"]));
        Assert.Equal(9, File.ReadAllLines(Path.Combine(dir, "a", "items.csv")).Length);
        Assert.All(File.ReadLines(Path.Combine(dir, "a", "interactions.csv")).Skip(1), l => Assert.Matches(@"^u\d{2},m[1-8],", l));

        // A universal JSON catalogue (here one the simulator wrote) works the same way, keeping its descriptions.
        var json = Path.Combine(dir, "shop.json");
        Assert.Equal(0, Trove.Cli.Program.Main(["simulate", "--users", "20", "--items", "25", "--format", "json", "--out", json, "--no-diagnostics"]));
        Assert.Equal(0, Trove.Cli.Program.Main(["simulate", "--items-from", json, "--users", "30", "--seed", "9", "--out", Path.Combine(dir, "b"), "--no-diagnostics"]));
        var original = Trove.Data.Formats.UniversalJsonReader.Read(json);
        var again = DatasetLoader.Load(Path.Combine(dir, "b"));
        Assert.Equal(original.Items.Ids.Order(), again.Items.Ids.Order());
        foreach (var id in original.Items.Ids)
        {
            int a = original.Items.IndexOf(id), b = again.Items.IndexOf(id);
            Assert.Equal(original.ItemFeatures.Categorical["category"][a], again.ItemFeatures.Categorical["category"][b]);
            Assert.Equal(original.ItemFeatures.Categorical["brand"][a], again.ItemFeatures.Categorical["brand"][b]);
            Assert.Equal(original.ItemFeatures.Text["description"][a], again.ItemFeatures.Text["description"][b]);
        }

        // No category column: a clear one-line error and exit code 2.
        var bad = TestPaths.NewTempDirectory();
        CsvTestFiles.Write("item,title\nx,A\ny,B\n", "items.csv", bad);
        Assert.Equal(2, Trove.Cli.Program.Main(["simulate", "--items-from", Path.Combine(bad, "items.csv"), "--out", Path.Combine(dir, "c")]));
        Assert.Equal(2, Trove.Cli.Program.Main(["simulate", "--items-from", Catalogue(), "--category-column", "colour", "--out", Path.Combine(dir, "c")]));
        var e = Assert.Throws<TroveException>(() => CatalogueInput.Load(Path.Combine(bad, "items.csv")));
        Assert.Contains("--category-column", e.Message);
    }

    [Fact]
    public void The_interaction_rate_sets_the_overall_density()
    {
        var options = new SimulationOptions { Users = 2000, Items = 400, Seed = 8, InteractionRate = 0.05, MinInteractions = 2, MaxInteractions = 200 };
        var result = InteractionSimulator.Simulate(options);
        double density = result.Count / (2000.0 * 400);
        Assert.InRange(density, 0.045, 0.055);
        // Twice the rate, twice the rows.
        var twice = InteractionSimulator.Simulate(options with { InteractionRate = 0.1 });
        Assert.InRange(twice.Count / (double)result.Count, 1.8, 2.2);

        var tooDense = Assert.Throws<TroveException>(() => new SimulationOptions { Items = 400, InteractionRate = 0.9, MaxInteractions = 200 }.Validate());
        Assert.Contains("between 0.0125 and 0.5", tooDense.Message);
        Assert.Throws<TroveException>(() => new SimulationOptions { Items = 400, InteractionRate = 0.05, MeanInteractions = 20 }.Validate());
        Assert.Equal(2, Trove.Cli.Program.Main(["simulate", "--items", "100", "--interaction-rate", "0", "--out", TestPaths.NewTempDirectory()]));
    }
}
