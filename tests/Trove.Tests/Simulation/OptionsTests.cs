using Trove.Core.Errors;
using Trove.Data.Simulation;
using Trove.Tests.Support;

namespace Trove.Tests.Simulation;

public class OptionsTests
{
    public static TheoryData<SimulationOptions, string> BadOptions => new()
    {
        { new SimulationOptions { Users = 0 }, "users must be at least 1" },
        { new SimulationOptions { Users = -5 }, "users must be at least 1 (got -5)" },
        { new SimulationOptions { Items = 0 }, "items must be at least 1" },
        { new SimulationOptions { MinInteractions = 20, MaxInteractions = 10 }, "min-interactions (20) must not exceed max-interactions (10)" },
        { new SimulationOptions { PopularityExponent = -0.5 }, "popularity-exponent must be >= 0" },
        { new SimulationOptions { PopularityExponent = double.NaN }, "popularity-exponent" },
        { new SimulationOptions { TasteShare = 1.5 }, "taste-share must be between 0 and 1" },
        { new SimulationOptions { RecencyDecay = -1 }, "recency-decay must be >= 0" },
        { new SimulationOptions { Days = 0 }, "days must be between 1" },
        { new SimulationOptions { NegativesPerUser = -1 }, "negatives-per-user must be >= 0" },
        { new SimulationOptions { MeanInteractions = 500 }, "mean-interactions must lie between" },
        { new SimulationOptions { EventMix = new EventMix(0.1, 0.5, 0.2, 0.2) }, "add_to_cart share" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_throw_a_trove_exception_with_a_clear_message(SimulationOptions options, string expected)
    {
        var e = Assert.Throws<TroveException>(() => InteractionSimulator.Simulate(options));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Defaults_are_valid()
    {
        new SimulationOptions().Validate();
        Assert.InRange(new SimulationOptions().TasteShare, 0.7, 0.8);
        Assert.Equal(EventMix.Default, EventMix.Parse("view=0.6,add_to_cart=0.2,purchase=0.15,rating=0.05"));
        Assert.Throws<TroveException>(() => EventMix.Parse("click=0.5"));
    }

    [Fact]
    public void Edge_cases_still_work()
    {
        // One item, one category, one brand, tiny window, more categories than items.
        var tiny = InteractionSimulator.Simulate(new SimulationOptions { Users = 3, Items = 1, Categories = 1, Brands = 1, Days = 1, NegativesPerUser = 3 });
        Assert.All(tiny.Items, i => Assert.Equal(0, i));
        Assert.Empty(tiny.NegativeItems);
        var sparse = InteractionSimulator.Simulate(new SimulationOptions { Users = 20, Items = 5, Categories = 12, Brands = 3, TasteShare = 0 });
        Assert.Equal(20, sparse.Users.Count);
        var noTaste = InteractionSimulator.Simulate(new SimulationOptions { Users = 200, Items = 300, Categories = 10, TasteShare = 0 });
        for (int u = 0; u < 200; u++)
        {
            var fav = noTaste.Users.FavouriteCategories(u).ToArray();
            for (int r = noTaste.UserOffsets[u]; r < noTaste.UserOffsets[u + 1]; r++)
                Assert.DoesNotContain(noTaste.Catalogue.Category[noTaste.Items[r]], fav);
        }
    }
}

[Collection(ConsoleCollection.Name)]
public class SimulateCommandTests
{
    private static (int Code, string Out, string Err) Invoke(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Simulate_writes_the_files_and_prints_diagnostics()
    {
        var dir = TestPaths.NewTempDirectory();
        var (code, stdout, _) = Invoke("simulate", "--users", "80", "--items", "60", "--seed", "3", "--out", dir,
            "--popularity-exponent", "1.2", "--min-interactions", "4", "--max-interactions", "30", "--taste-share", "0.7",
            "--recency-decay", "0.3", "--days", "60", "--categories", "6", "--brands", "12", "--negatives-per-user", "4");
        Assert.Equal(0, code);
        foreach (var name in new[] { "interactions.csv", "items.csv", "users.csv", "negatives.csv" })
            Assert.True(File.Exists(Path.Combine(dir, name)), name);
        Assert.Contains("items with 2+ users", stdout);
        Assert.Contains("item-item co-occurrence density", stdout);
        var users = File.ReadAllLines(Path.Combine(dir, "users.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[3])).ToArray();
        Assert.All(users, a => Assert.InRange(a, 4, 30));
        Assert.Equal(80 * 4 + 1, File.ReadAllLines(Path.Combine(dir, "negatives.csv")).Length);
    }

    [Fact]
    public void End_date_event_mix_and_named_categories_reach_the_simulator()
    {
        var dir = TestPaths.NewTempDirectory();
        var (code, _, stderr) = Invoke("simulate", "--users", "40", "--items", "30", "--out", dir, "--end-date", "2024-06-30", "--days", "10",
            "--event-mix", "view=0.8,add_to_cart=0.2,purchase=0,rating=0", "--categories", "books,music", "--brands", "3", "--no-diagnostics");
        Assert.True(code == 0, stderr);
        var rows = File.ReadAllLines(Path.Combine(dir, "interactions.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.All(rows, f => Assert.InRange(string.CompareOrdinal(f[3], "2024-06-20T00:00:00Z"), 0, int.MaxValue));
        Assert.All(rows, f => Assert.True(string.CompareOrdinal(f[3], "2024-06-30T00:00:00Z") <= 0, f[3]));
        Assert.All(rows, f => Assert.Contains(f[4], new[] { "view", "add_to_cart" }));
        var categories = File.ReadAllLines(Path.Combine(dir, "items.csv")).Skip(1).Select(l => l.Split(',')[2]).Distinct().Order();
        Assert.Equal(["books", "music"], categories);
    }

    [Theory]
    [InlineData("--end-date", "yesterday-ish", "Bad --end-date")]
    [InlineData("--event-mix", "view=0.1,add_to_cart=0,purchase=0.5,rating=0", "purchase share")]
    [InlineData("--users", "0", "users must be at least 1")]
    [InlineData("--min-interactions", "50", "min-interactions (50) must not exceed max-interactions (10)")]
    [InlineData("--popularity-exponent", "-1", "popularity-exponent must be >= 0")]
    public void Bad_options_give_one_line_and_exit_code_2(string name, string value, string expected)
    {
        var dir = TestPaths.NewTempDirectory();
        var (code, _, stderr) = Invoke("simulate", "--out", dir, "--max-interactions", "10", name, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}

public class NamedCatalogueTests
{
    [Fact]
    public void Category_and_brand_names_can_be_given()
    {
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 30, Items = 60, CategoryNames = ["books", "vinyl"], BrandNames = ["Penguin", "Blue Note", "Verso"] });
        Assert.Equal(["books", "vinyl"], r.Catalogue.CategoryNames);
        Assert.Equal(["Penguin", "Blue Note", "Verso"], r.Catalogue.BrandNames);
        Assert.Equal(1, r.Catalogue.BrandHomeCategory[1]);
        // A known category keeps its products; an unknown one gets generic ones.
        var titles = Enumerable.Range(0, 60).Where(i => r.Catalogue.Category[i] == 0).Select(i => r.Catalogue.Titles[i]).ToArray();
        Assert.Contains(titles, t => new[] { "Novel", "Cookbook", "Biography", "Thriller", "Guidebook", "Textbook", "Anthology" }.Any(t.Contains));
    }

    [Fact]
    public void Known_category_names_bring_their_brands()
    {
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 5, Items = 20, CategoryNames = ["toys", "electronics"], Brands = 4 });
        Assert.Equal(["Lego", "Apple", "Mattel", "Samsung"], r.Catalogue.BrandNames);
    }

    [Theory]
    [InlineData(new[] { "books", "Books" }, "appears twice")]
    [InlineData(new[] { "a|b" }, "must be non-empty")]
    [InlineData(new string[0], "is empty")]
    public void Bad_names_are_rejected(string[] names, string expected)
    {
        var e = Assert.Throws<TroveException>(() => InteractionSimulator.Simulate(new SimulationOptions { CategoryNames = names }));
        Assert.Contains(expected, e.Message);
    }
}
