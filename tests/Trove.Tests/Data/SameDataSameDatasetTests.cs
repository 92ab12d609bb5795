using System.Globalization;
using System.Text;
using Trove.Core.Data;
using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Evaluation.Protocols;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>
/// The same interactions through a CSV file, a CSV folder (with users.csv/items.csv), universal JSON and a store
/// give the same dataset: the same weights per (user, item) and the same holdout split for the same seed.
/// </summary>
public class SameDataSameDatasetTests
{
    private sealed record Row(string User, string Item, float? Score, long Time, string Event);

    private static List<Row> Rows()
    {
        var rng = new Random(5);
        var events = new[] { "view", "add_to_cart", "purchase", "rating" };
        var rows = new List<Row>();
        for (int u = 0; u < 30; u++)
            for (int k = 0; k < 4 + rng.Next(12); k++)
            {
                var ev = events[rng.Next(events.Length)];
                rows.Add(new Row($"u{rng.Next(40)}", $"i{rng.Next(25)}", ev == "rating" ? 1 + rng.Next(5) : null, 1_700_000_000 + rows.Count * 60L, ev));
            }
        return rows;
    }

    private static string WriteAll(List<Row> rows)
    {
        var dir = TestPaths.NewTempDirectory();
        var inv = CultureInfo.InvariantCulture;
        var csv = new StringBuilder("user,item,score,timestamp,event\n");
        foreach (var r in rows) csv.Append(inv, $"{r.User},{r.Item},{r.Score},{r.Time},{r.Event}\n");
        File.WriteAllText(Path.Combine(dir, "interactions.csv"), csv.ToString());
        Directory.CreateDirectory(Path.Combine(dir, "folder"));
        File.WriteAllText(Path.Combine(dir, "folder", "interactions.csv"), csv.ToString());
        // Feature files list ids in another order than the interactions (sorted, plus ids without interactions).
        var users = rows.Select(r => r.User).Distinct().Order(StringComparer.Ordinal).ToList();
        var items = rows.Select(r => r.Item).Distinct().Order(StringComparer.Ordinal).ToList();
        File.WriteAllText(Path.Combine(dir, "folder", "users.csv"), "user,segment\n" + string.Concat(users.Select(u => $"{u},s{u.Length}\n")));
        File.WriteAllText(Path.Combine(dir, "folder", "items.csv"), "item,category\n" + string.Concat(items.Select(i => $"{i},c{i.Length}\n")));
        var json = new StringBuilder("{\"user_data\": [");
        json.AppendJoin(",", users.Select(u => $"{{\"user_id\": \"{u}\", \"categorical\": {{\"segment\": \"s{u.Length}\"}}}}"));
        json.Append("], \"item_data\": [");
        json.AppendJoin(",", items.Select(i => $"{{\"item_id\": \"{i}\", \"categorical\": {{\"category\": \"c{i.Length}\"}}}}"));
        json.Append("], \"interactions\": [");
        json.AppendJoin(",\n", rows.Select(r => string.Create(inv,
            $"{{\"user_id\": \"{r.User}\", \"item_id\": \"{r.Item}\", \"interaction_type\": \"{r.Event}\", \"timestamp\": {r.Time}{(r.Score is float s ? $", \"rating\": {s}" : "")}}}")));
        json.Append("]}");
        File.WriteAllText(Path.Combine(dir, "data.json"), json.ToString());
        return dir;
    }

    /// <summary>(user, item) -> summed weight, by external ids.</summary>
    private static SortedDictionary<string, float> Weights(Dataset d)
    {
        var result = new SortedDictionary<string, float>(StringComparer.Ordinal);
        var m = d.UserItems;
        for (int u = 0; u < m.Rows; u++)
        {
            var idx = m.RowIndices(u); var val = m.RowValues(u);
            for (int k = 0; k < idx.Length; k++) result[$"{d.Users[u]}|{d.Items[idx[k]]}"] = MathF.Round(val[k], 5);
        }
        return result;
    }

    private static string[] TestPairs(Dataset d, int seed)
    {
        var split = HoldoutProtocol.Split(d, 0.2, 0.1, seed);
        var log = split.TestInteractions!;
        return Enumerable.Range(0, log.Count).Select(r => $"{d.Users[log.Users[r]]}|{d.Items[log.Items[r]]}").Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public void Csv_folder_json_and_store_give_the_same_weights_and_split()
    {
        var dir = WriteAll(Rows());
        var db = Path.Combine(dir, "t.db");
        using (var store = SqliteStore.Open(db)) DataImporter.Import(store, Path.Combine(dir, "folder"));
        var sources = new Dictionary<string, Dataset>
        {
            ["csv"] = DatasetLoader.Load(Path.Combine(dir, "interactions.csv")),
            ["folder"] = DatasetLoader.Load(Path.Combine(dir, "folder")),
            ["json"] = DatasetLoader.Load(Path.Combine(dir, "data.json")),
            ["store"] = DatasetLoader.Load(db),
        };
        var expected = Weights(sources["csv"]);
        var expectedTest = TestPairs(sources["csv"], 7);
        Assert.NotEmpty(expectedTest);
        foreach (var (name, data) in sources)
        {
            Assert.True(expected.SequenceEqual(Weights(data)), $"{name}: weights differ from the CSV's");
            Assert.True(expectedTest.SequenceEqual(TestPairs(data, 7)), $"{name}: the holdout split differs from the CSV's");
        }
        Assert.False(expectedTest.SequenceEqual(TestPairs(sources["csv"], 8)), "another seed should give another split");
    }

    [Fact]
    public void Ratings_weigh_the_same_in_csv_and_json_with_or_without_an_event_type()
    {
        var dir = TestPaths.NewTempDirectory();
        // Without an event type a rating is its own weight; with the event "rating" it is 0.2 x the rating in both formats.
        var plainCsv = CsvTestFiles.Write("user,item,rating,timestamp\na,x,4,100\nb,x,2,200\n", "plain.csv", dir);
        var plainJson = CsvTestFiles.Write("""{"interactions": [{"user_id": "a", "item_id": "x", "rating": 4, "timestamp": 100}, {"user_id": "b", "item_id": "x", "rating": 2, "timestamp": 200}]}""", "plain.json", dir);
        var typedCsv = CsvTestFiles.Write("user,item,score,timestamp,event\na,x,4,100,rating\nb,x,2,200,rating\n", "typed.csv", dir);
        var typedJson = CsvTestFiles.Write("""{"interactions": [{"user_id": "a", "item_id": "x", "interaction_type": "rating", "rating": 4, "timestamp": 100}, {"user_id": "b", "item_id": "x", "interaction_type": "rating", "rating": 2, "timestamp": 200}]}""", "typed.json", dir);
        Assert.Equal([4f, 2f], DatasetLoader.Load(plainCsv).Interactions.Weights);
        Assert.Equal([4f, 2f], DatasetLoader.Load(plainJson).Interactions.Weights);
        Assert.Equal([0.8f, 0.4f], DatasetLoader.Load(typedCsv).Interactions.Weights);
        Assert.Equal([0.8f, 0.4f], DatasetLoader.Load(typedJson).Interactions.Weights);
    }
}
