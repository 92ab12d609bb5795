using System.Globalization;
using System.Text.Json;
using Trove.Core.Data;
using Trove.Data.Formats;
using Trove.Data.Readers;
using Trove.Data.Simulation;
using Trove.Tests.Support;

namespace Trove.Tests.Simulation;

/// <summary>
/// Simulated products carry what the NCF seed's mock products have: a description, total ratings, sold count,
/// SKUs (price, stock, variant) and an active flag, in items.csv, the in-memory dataset and the universal JSON.
/// </summary>
public class ProductDetailsTests
{
    [Fact]
    public void Items_carry_descriptions_skus_counts_and_an_active_flag_consistent_with_the_log()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 400, Items = 300, Seed = 11 });
        var cat = result.Catalogue;
        var sold = result.SoldCounts();
        var ratings = result.TotalRatings();
        var purchases = new int[cat.Count];
        var rated = new int[cat.Count];
        for (int r = 0; r < result.Count; r++)
        {
            if (result.Events[r] == (byte)SimulatedEvent.Purchase) purchases[result.Items[r]]++;
            if (result.Events[r] == (byte)SimulatedEvent.Rating) rated[result.Items[r]]++;
        }
        int inactive = 0;
        for (int i = 0; i < cat.Count; i++)
        {
            Assert.Equal(cat.PriorSold[i] + purchases[i], sold[i]);
            Assert.Equal(cat.PriorRatings[i] + rated[i], ratings[i]);
            Assert.True(cat.PriorRatings[i] <= cat.PriorSold[i]);
            // The description names the product, its brand and its category, and lists every variant.
            var d = cat.Descriptions[i];
            Assert.StartsWith(cat.Titles[i] + " by " + cat.BrandNames[cat.Brand[i]], d);
            Assert.Contains($"our {cat.CategoryNames[cat.Category[i]]} range", d);
            using var skus = JsonDocument.Parse(cat.SkusJson(i));
            var list = skus.RootElement.EnumerateArray().ToList();
            Assert.InRange(list.Count, 1, 4);
            Assert.Equal(cat.Price(i), list[0].GetProperty("price").GetDouble(), 9);
            Assert.Equal(cat.Stock(i), list.Sum(s => s.GetProperty("stock").GetInt32()));
            for (int k = 0; k < list.Count; k++)
            {
                Assert.Equal($"{cat.ItemIds[i]}-{k + 1}", list[k].GetProperty("sku").GetString());
                Assert.Contains(list[k].GetProperty("variant").GetString()!, d);
                Assert.True(list[k].GetProperty("price").GetDouble() > 0);
                if (k > 0) Assert.True(list[k].GetProperty("price").GetDouble() > list[k - 1].GetProperty("price").GetDouble(), "larger variants cost more");
            }
            if (!cat.Active[i]) { inactive++; Assert.Equal(0, cat.Stock(i)); }
        }
        // About 5% of products are not on sale.
        Assert.InRange(inactive, 3, 35);
        // Popular products sold more before the window: the top tenth by weight against the bottom half.
        var byWeight = Enumerable.Range(0, cat.Count).OrderByDescending(i => cat.Weight[i]).ToArray();
        Assert.True(byWeight.Take(30).Average(i => cat.PriorSold[i]) > 2 * byWeight.Skip(150).Average(i => cat.PriorSold[i]));
    }

    [Fact]
    public void Csv_dataset_and_universal_json_carry_the_same_product_details()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 120, Items = 60, Seed = 5 });
        SimulationCsv.WriteAll(result, dir);
        var memory = result.ToDataset();
        var csv = DatasetLoader.Load(dir);
        var json = Path.Combine(dir, "data.json");
        UniversalJsonWriter.Write(memory, json);
        var fromJson = UniversalJsonReader.Read(json);
        var cat = result.Catalogue;
        foreach (var data in new[] { memory, csv, fromJson })
        {
            // Loaders may order ids differently (first appearance in the interactions): compare item by item.
            var f = data.ItemFeatures;
            for (int i = 0; i < cat.Count; i++)
            {
                int at = data.Items.IndexOf(cat.ItemIds[i]);
                Assert.Equal(cat.Descriptions[i], f.Text["description"][at]);
                Assert.Equal(cat.SkusJson(i), f.Text["skus"][at]);
                Assert.Equal(result.TotalRatings()[i], f.Numeric["total_ratings"][at]);
                Assert.Equal(result.SoldCounts()[i], f.Numeric["sold_count"][at]);
                Assert.Equal(cat.Stock(i), f.Numeric["stock"][at]);
                Assert.Equal(cat.Active[i] ? "true" : "false", f.Categorical["active"][at]);
                Assert.Equal(cat.CategoryNames[cat.Category[i]], f.Categorical["category"][at]);
            }
        }
        Assert.Equal(memory.Interactions.Weights, csv.Interactions.Weights);
    }

    [Fact]
    public void The_cli_writes_the_details_in_json_and_the_store_keeps_them()
    {
        var dir = TestPaths.NewTempDirectory();
        var json = Path.Combine(dir, "data.json");
        Assert.Equal(0, Trove.Cli.Program.Main(["simulate", "--users", "40", "--items", "30", "--format", "json", "--out", json, "--no-diagnostics"]));
        var db = Path.Combine(dir, "t.db");
        Assert.Equal(0, Trove.Cli.Program.Main(["import", "--data", json, "--db", db]));
        using var store = Trove.Data.Stores.InteractionStores.Open(db, createIfMissing: false);
        var f = store.LoadDataset().ItemFeatures;
        using var skus = JsonDocument.Parse(f.Text["skus"][0]!);
        Assert.Equal(JsonValueKind.Array, skus.RootElement.ValueKind);
        Assert.Contains(" by ", f.Text["description"][0]);
        Assert.True(f.Numeric["sold_count"].All(v => v >= 0));
    }
}
