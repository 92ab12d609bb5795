// Trove quick start: train, evaluate, save, load and recommend with your own ids.
//   dotnet run --project samples/QuickStart -c Release [-- PATH]
// PATH: a CSV (user,item[,score][,timestamp][,event]), a folder (MovieLens, Last.fm, interactions.csv) or a .db file.
// Without PATH it builds a small shop in memory.
using Trove;

var data = args.Length > 0 ? await InteractionData.LoadAsync(args[0]) : InteractionData.FromInteractions(SmallShop());
Console.WriteLine($"{data.UserCount} users, {data.ItemCount} items, {data.InteractionCount} interactions");

var split = data.SplitHoldout(testFraction: 0.2, seed: 42);
var model = Recommender.Create("ease");
await model.TrainAsync(split.Train);
var metrics = model.Evaluate(split);
Console.WriteLine($"ease on a held-out 20%: NDCG@10 {metrics["ndcg@10"]:F4}, recall@20 {metrics["recall@20"]:F4}");

await model.TrainAsync(data);                                   // the model to serve: all the data
var path = Path.Combine(Path.GetTempPath(), "quickstart-ease.trove");
await model.SaveAsync(path);
var loaded = await Recommender.LoadAsync(path);
Console.WriteLine($"saved and loaded {loaded.ModelVersion}");

string user = data.UserIds[0];
Console.WriteLine($"top 5 for {user}: {string.Join(", ", loaded.Recommend(user, 5).Select(r => $"{r.Id} ({r.Score:F3})"))}");
var newcomer = data.ItemIds.Take(3).Select(id => new HistoryEvent(id, EventType: "purchase")).ToList();
Console.WriteLine($"for a new user who bought {string.Join(", ", newcomer.Select(e => e.ItemId))}: " +
                  string.Join(", ", loaded.RecommendForHistory(newcomer, 5).Select(r => r.Id)));
Console.WriteLine($"similar to {data.ItemIds[0]}: {string.Join(", ", loaded.SimilarItems(data.ItemIds[0], 5).Select(r => r.Id))}");

// 300 customers with one of three tastes (books, games, garden), 10 events each.
static IEnumerable<Interaction> SmallShop()
{
    var random = new Random(7);
    string[] shelves = ["book", "game", "garden"];
    for (int c = 0; c < 300; c++)
    {
        string shelf = shelves[c % 3];
        for (int e = 0; e < 10; e++)
        {
            int item = (int)(20 * Math.Pow(random.NextDouble(), 2)); // popular items more often
            yield return new Interaction($"customer{c}", $"{shelf}-{item}", EventType: e % 4 == 0 ? "purchase" : "view");
        }
    }
}
