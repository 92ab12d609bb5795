using System.Globalization;
using System.Text.RegularExpressions;
using Trove.Core.Data;
using Trove.Data.Simulation;
using Trove.Tests.Support;

namespace Trove.Tests.Simulation;

public class CsvAndDatasetTests
{
    private static (SimulationResult Result, string Dir) Write(SimulationOptions options)
    {
        var dir = TestPaths.NewTempDirectory();
        var result = InteractionSimulator.Simulate(options);
        SimulationCsv.WriteAll(result, dir);
        return (result, dir);
    }

    [Fact]
    public void Csv_headers_and_row_formats_are_exact()
    {
        var (result, dir) = Write(new SimulationOptions { Users = 150, Items = 120, Seed = 3, NegativesPerUser = 2 });
        var interactions = File.ReadAllLines(Path.Combine(dir, "interactions.csv"));
        Assert.Equal("user,item,score,timestamp,event", interactions[0]);
        Assert.Equal(result.Count, interactions.Length - 1);
        var row = new Regex(@"^u\d{3},i\d{3},([1-5]?),(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z),(view|add_to_cart|purchase|rating)$");
        foreach (var line in interactions.Skip(1))
        {
            var m = row.Match(line);
            Assert.True(m.Success, $"bad interaction row '{line}'");
            Assert.Equal(m.Groups[3].Value == "rating", m.Groups[1].Value.Length == 1);
            Assert.True(DateTime.TryParseExact(m.Groups[2].Value, "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        }

        var items = File.ReadAllLines(Path.Combine(dir, "items.csv"));
        Assert.Equal("item,title,category,brand,rating,price,release_date,description,total_ratings,sold_count,stock,active,skus", items[0]);
        Assert.Equal(120, items.Length - 1);
        var itemRow = new Regex(@"^i\d{3},[^,""]+,[a-z_0-9]+,[^,]+,[1-5]\.\d,\d+\.\d{2},\d{4}-\d{2}-\d{2},""[^""]+"",\d+,\d+,\d+,(true|false),""\[(\{""""sku"""":""""i\d{3}-\d"""",.*\})\]""$");
        foreach (var line in items.Skip(1)) Assert.True(itemRow.IsMatch(line), $"bad item row '{line}'");

        var users = File.ReadAllLines(Path.Combine(dir, "users.csv"));
        Assert.Equal("user,favourite_categories,favourite_brands,activity", users[0]);
        Assert.Equal(150, users.Length - 1);
        var userRow = new Regex(@"^u\d{3},[a-z_0-9]+(\|[a-z_0-9]+){0,2},[^,|]+(\|[^,|]+)?,\d+$");
        foreach (var line in users.Skip(1)) Assert.True(userRow.IsMatch(line), $"bad user row '{line}'");

        Assert.Equal("user,item,label", File.ReadLines(Path.Combine(dir, "negatives.csv")).First());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(dir, ".*"));
    }

    [Fact]
    public void Timestamps_are_iso_8601_utc()
    {
        var (result, dir) = Write(new SimulationOptions { Users = 10, Items = 10, Seed = 1 });
        var first = File.ReadLines(Path.Combine(dir, "interactions.csv")).Skip(1).First().Split(',');
        var expected = DateTimeOffset.FromUnixTimeSeconds(result.Timestamps[0]).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(expected, first[3]);
    }

    [Fact]
    public void Items_csv_values_match_the_catalogue()
    {
        var (result, dir) = Write(new SimulationOptions { Users = 10, Items = 50, Seed = 2 });
        var cat = result.Catalogue;
        var lines = File.ReadAllLines(Path.Combine(dir, "items.csv")).Skip(1).ToArray();
        for (int i = 0; i < cat.Count; i++)
        {
            var f = lines[i].Split(',');
            Assert.Equal(cat.ItemIds[i], f[0]);
            Assert.Equal(cat.Titles[i], f[1]);
            Assert.Equal(cat.CategoryNames[cat.Category[i]], f[2]);
            Assert.Equal(cat.BrandNames[cat.Brand[i]], f[3]);
            Assert.Equal(cat.Rating(i), double.Parse(f[4], CultureInfo.InvariantCulture), 9);
            Assert.Equal(cat.Price(i), double.Parse(f[5], CultureInfo.InvariantCulture), 9);
            Assert.Equal(DateTime.UnixEpoch.AddDays(cat.ReleaseDay[i]).ToString("yyyy-MM-dd"), f[6]);
            Assert.True(cat.Price(i) > 0);
        }
    }

    [Fact]
    public void The_in_memory_dataset_equals_what_reading_the_csv_back_gives()
    {
        var (result, dir) = Write(new SimulationOptions { Users = 200, Items = 150, Seed = 4 });
        var data = result.ToDataset();
        var weights = EventWeights.Default;
        var lines = File.ReadAllLines(Path.Combine(dir, "interactions.csv")).Skip(1).ToArray();
        Assert.Equal(lines.Length, data.Interactions.Count);
        var log = data.Interactions;
        for (int r = 0; r < lines.Length; r++)
        {
            var f = lines[r].Split(',');
            Assert.Equal(f[0], data.Users[log.Users[r]]);
            Assert.Equal(f[1], data.Items[log.Items[r]]);
            Assert.True(weights.TryGetWeight(f[4], out var w));
            float score = f[2].Length == 0 ? 1f : float.Parse(f[2], CultureInfo.InvariantCulture);
            Assert.Equal(w * score, log.Weights[r]);
            Assert.Equal(f[4], log.EventNames[log.Events[r]]);
            Assert.Equal(DateTimeOffset.Parse(f[3], CultureInfo.InvariantCulture).ToUnixTimeSeconds(), log.Timestamps[r]);
        }
        // Id maps follow users.csv and items.csv order.
        Assert.Equal(File.ReadLines(Path.Combine(dir, "users.csv")).Skip(1).Select(l => l.Split(',')[0]), data.Users.Ids);
        Assert.Equal(File.ReadLines(Path.Combine(dir, "items.csv")).Skip(1).Select(l => l.Split(',')[0]), data.Items.Ids);
    }

    [Fact]
    public void The_dataset_carries_item_and_user_features()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 100, Items = 80, Seed = 6 });
        var data = result.ToDataset();
        Assert.Equal(100, data.UserCount);
        Assert.Equal(80, data.ItemCount);
        Assert.StartsWith("simulated", data.Source);
        var f = data.ItemFeatures;
        Assert.Equal(result.Catalogue.CategoryNames[result.Catalogue.Category[5]], f.Categorical["category"][5]);
        Assert.Equal(result.Catalogue.BrandNames[result.Catalogue.Brand[5]], f.Categorical["brand"][5]);
        Assert.All(f.Numeric["rating"], v => Assert.InRange(v, 1f, 5f));
        Assert.All(f.Numeric["price"], v => Assert.True(v > 0));
        Assert.All(f.Numeric["release_year"], v => Assert.InRange(v, 2021f, 2024f));
        Assert.Equal(result.Catalogue.Titles[0], f.Text["title"][0]);
        Assert.Equal(result.FavouriteCategoriesText(3), data.UserFeatures.Categorical["favourite_categories"][3]);
        Assert.NotEmpty(data.UserFeatures.Labels("favourite_brands", 3));
        Assert.Equal(result.Users.Activity[3], data.UserFeatures.Numeric["activity"][3]);
        Assert.Equal(data.UserItems.NonZeros, result.ComputeDiagnostics().DistinctPairs);
    }

    [Fact]
    public void Custom_event_weights_apply_to_the_dataset()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 50, Items = 40, Seed = 6 });
        var data = result.ToDataset(EventWeights.Parse("view=1,add_to_cart=1,purchase=1,rating=1"));
        for (int r = 0; r < result.Count; r++)
            Assert.Equal(result.Scores[r] == 0 ? 1f : result.Scores[r], data.Interactions.Weights[r]);
    }

    [Fact]
    public void SimulateDataset_returns_the_dataset_and_its_diagnostics()
    {
        var data = InteractionSimulator.SimulateDataset(new SimulationOptions { Users = 120, Items = 90, Seed = 9 }, out var d);
        Assert.Equal(data.Interactions.Count, d.Interactions);
        Assert.Equal(120, d.Users);
    }

    [Fact]
    public void Category_and_brand_names_are_realistic_and_extend_when_needed()
    {
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 5, Items = 200, Categories = 25, Brands = 60, Seed = 1 });
        var names = r.Catalogue.CategoryNames;
        Assert.Equal(["electronics", "fashion", "home", "sports", "books", "beauty", "toys", "food", "health", "automotive"], names.Take(10));
        Assert.Equal(25, names.Distinct().Count());
        Assert.Equal("category_25", names[24]);
        Assert.Contains("Apple", r.Catalogue.BrandNames);
        Assert.Equal(60, r.Catalogue.BrandNames.Distinct().Count());
        // Brands are tied to categories: every item's brand was made for its category.
        for (int i = 0; i < r.Catalogue.Count; i++)
            Assert.Equal(r.Catalogue.Category[i], r.Catalogue.BrandHomeCategory[r.Catalogue.Brand[i]]);
    }
}
