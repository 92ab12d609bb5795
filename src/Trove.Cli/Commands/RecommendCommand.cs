using System.CommandLine;
using System.Text.Json;
using Trove.Cli.Infrastructure;
using Trove.Cluster.Batch;
using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Data.Exports;
using Trove.Data.Stores;

namespace Trove.Cli.Commands;

/// <summary>`trove recommend`: top-K for one user, or for every user into recommendations.json.</summary>
public static class RecommendCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelPath();
        var user = new Option<string?>("--user", "-u") { Description = "Original id of the user to recommend for." };
        var all = new Option<bool>("--all") { Description = "Recommend for every user of the model (writes --out)." };
        var k = new Option<int>("--k", "-k") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var output = new Option<string>("--out", "-o") { Description = "Output file for --all.", DefaultValueFactory = _ => "recommendations.json" };
        var includeSeen = new Option<bool>("--include-seen") { Description = "Also recommend items the user already interacted with." };
        var exclude = new Option<string[]>("--exclude") { Description = "Item ids never to recommend (comma-separated or repeated).", AllowMultipleArgumentsPerToken = true };
        var filter = new Option<string[]>("--filter") { Description = "Only items whose categorical feature matches, e.g. category=books (repeatable)." };
        var json = new Option<bool>("--json") { Description = "Print the single-user result as JSON." };
        var db = new Option<string?>("--db") { Description = "With --all: also store the recommendations in this database (replacing this model version's rows)." };
        var cluster = new Option<bool>("--cluster") { Description = "With --all and --db (PostgreSQL): split the users into blocks that this process and every live `trove serve --cluster` replica lease and write into the database's recommendations table, each user exactly once even when a replica dies mid-run." };
        var blockSize = new Option<int>("--block-size") { Description = "With --cluster: users per leased block.", DefaultValueFactory = _ => 1000 };
        var lease = new Option<int>("--lease") { Description = "With --cluster: seconds a worker holds a block; a block of a worker that died is redone after this.", DefaultValueFactory = _ => 30 };
        var command = new Command("recommend", "Top-K recommendations for a user (--user) or for all users (--all --out recommendations.json).")
        {
            model, user, all, k, output, includeSeen, exclude, filter, json, db, cluster, blockSize, lease,
        };
        command.SetAction((r, cancel) => CommandRunner.RunAsync(async () =>
        {
            int count = r.GetValue(k);
            if (count <= 0 || count > 10_000) throw new TroveException($"--k must be between 1 and 10000, got {count}.");
            if (r.GetValue(cluster))
            {
                if (!r.GetValue(all)) throw new TroveException("--cluster works with --all: give --all --cluster --db postgres://....");
                if (r.GetValue(includeSeen) || (r.GetValue(exclude) ?? []).Length > 0 || (r.GetValue(filter) ?? []).Length > 0)
                    throw new TroveException("--cluster writes the default top-K (seen items excluded): drop --include-seen, --exclude and --filter.");
                return await ClusterBatch.RunAsync(BatchKind.Recommend, r.GetValue(model)!, r.GetValue(db), count, r.GetValue(blockSize), r.GetValue(lease), cancel);
            }
            var trained = ModelOptions.Load(r.GetValue(model)!);
            var itemFilter = ModelOptions.Filter(trained, r.GetValue(includeSeen), r.GetValue(exclude) ?? [], r.GetValue(filter) ?? []);
            if (r.GetValue(all))
            {
                var path = r.GetValue(output)!;
                var progress = new ConsoleProgress();
                IReadOnlyList<(int User, IReadOnlyList<Scored> Items)> results;
                using (var task = progress.Start("recommend", trained.Users.Count))
                    results = BatchRecommendations.ForAllUsers(trained.Model, trained.Users.Count, count, itemFilter, Environment.ProcessorCount, task).ToList();
                int written = RecommendationsJson.Write(path, trained, results, count);
                Console.WriteLine($"wrote top-{count} recommendations for {written:N0} users to {Path.GetFullPath(path)}");
                if (r.GetValue(db) is { } dbPath)
                {
                    using var store = InteractionStores.Open(dbPath, createIfMissing: false);
                    store.RegisterModel(ModelRecord.FromManifest(trained.Manifest, r.GetValue(model)));
                    int stored = await store.SaveRecommendationsAsync(trained.Manifest.ModelVersion, RecommendationRow.From(trained, results), cancel);
                    Console.WriteLine($"stored {stored:N0} recommendation rows for model version {trained.Manifest.ModelVersion} in {InteractionStores.Describe(dbPath)}");
                }
                return 0;
            }
            var id = r.GetValue(user) ?? throw new TroveException("Give --user ID, or --all to recommend for every user.");
            int u = trained.Users.IndexOf(id, "user");
            var recs = trained.Model.Recommend(u, count, itemFilter);
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    user = id,
                    model = trained.Manifest.ModelVersion,
                    items = recs.Select(s => new { item = trained.Items[s.Index], score = s.Score, features = ItemTable.Describe(trained, s.Index) }),
                }, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"top {recs.Count} for user {id} ({trained.Manifest.Algorithm}, {trained.Model.GetType().Name}):");
            ItemTable.Print(trained, recs);
            return 0;
        }));
        return command;
    }
}
