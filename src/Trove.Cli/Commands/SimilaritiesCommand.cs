using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Cluster.Batch;
using Trove.Core.Errors;
using Trove.Data.Stores;
using Trove.Models.Neighbourhood;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove similarities --db ... --metric cosine|jaccard|pearson --threshold 0.1 --max-similar 50 --min-shared 5`:
/// user-user similarities of the stored interactions, written into user_similarities (the previous run's rows of the same metric are
/// replaced in one transaction; other metrics' rows stay, side by side).
/// `trove similarities --cluster --db postgres://... --model M.trove [--of items|users] --k 20`: the model's item-item (or
/// user-user) top-K, computed in leased blocks by this process and every live replica, published as one set in
/// model_similarities when the last block commits.
/// </summary>
public static class SimilaritiesCommand
{
    public static Command Create()
    {
        var db = new Option<string>("--db") { Description = "The database (SQLite file or postgres://...; with --cluster the cluster's PostgreSQL).", Required = true };
        var metric = new Option<string>("--metric") { Description = "cosine, jaccard or pearson (adjusted cosine: each user's mean subtracted).", DefaultValueFactory = _ => "cosine" };
        var threshold = new Option<float>("--threshold") { Description = "Keep pairs with similarity above this.", DefaultValueFactory = _ => 0.1f };
        var maxSimilar = new Option<int>("--max-similar") { Description = "Similar users kept per user.", DefaultValueFactory = _ => 50 };
        var minShared = new Option<int>("--min-shared") { Description = "Minimum items two users must share.", DefaultValueFactory = _ => 5 };
        var shrink = new Option<float>("--shrink") { Description = "Shrinkage added to the denominator (0 = plain metric).", DefaultValueFactory = _ => 0f };
        var weighting = new Option<string>("--weighting") { Description = "How weights (play counts) enter cosine/pearson: none, binary, tfidf, bm25.", DefaultValueFactory = _ => "none" };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cluster = new Option<bool>("--cluster") { Description = "With --model and --db (PostgreSQL): the model's similar items (or users, --of users) for every item, in blocks that this process and every live `trove serve --cluster` replica lease, written exactly once even when a replica dies, and published in model_similarities as one set replacing the previous one." };
        var model = new Option<string?>("--model", "-m") { Description = "With --cluster: the trained model file whose similarities are exported." };
        var of = new Option<string>("--of") { Description = "With --cluster: items (item-item) or users (user-user).", DefaultValueFactory = _ => "items" };
        var k = new Option<int>("--k", "-k") { Description = "With --cluster: similar items (users) kept per item (user).", DefaultValueFactory = _ => 20 };
        var blockSize = new Option<int>("--block-size") { Description = "With --cluster: items (users) per leased block.", DefaultValueFactory = _ => 1000 };
        var lease = new Option<int>("--lease") { Description = "With --cluster: seconds a worker holds a block; a block of a worker that died is redone after this.", DefaultValueFactory = _ => 30 };
        var command = new Command("similarities", "Compute user-user similarities into user_similarities (this metric's rows replaced atomically; other metrics kept), or with --cluster a model's similar items/users across the cluster.")
        {
            db, metric, threshold, maxSimilar, minShared, shrink, weighting, threads, cluster, model, of, k, blockSize, lease,
        };
        command.SetAction((r, cancel) => CommandRunner.RunAsync(async () =>
        {
            if (r.GetValue(cluster))
            {
                if (r.GetValue(model) is not { } modelPath) throw new TroveException("--cluster exports a model's similarities: give --model MODEL.trove.");
                var kind = r.GetValue(of)!.Trim().ToLowerInvariant() switch
                {
                    "items" => BatchKind.SimilarItems,
                    "users" => BatchKind.SimilarUsers,
                    var other => throw new TroveException($"--of must be items or users, got '{other}'."),
                };
                return await ClusterBatch.RunAsync(kind, modelPath, r.GetValue(db), r.GetValue(k), r.GetValue(blockSize), r.GetValue(lease), cancel);
            }
            if (r.GetValue(model) is not null) throw new TroveException("--model works with --cluster; without it similarities are computed from the stored interactions (--metric).");
            var settings = new UserSimilaritySettings
            {
                Similarity = UserSimilaritySettings.ParseMetric(r.GetValue(metric)!),
                Threshold = r.GetValue(threshold),
                Neighbours = r.GetValue(maxSimilar),
                MinShared = r.GetValue(minShared),
                Shrink = r.GetValue(shrink),
                Weighting = UserSimilaritySettings.ParseWeighting(r.GetValue(weighting)!),
            };
            if (settings.Shrink < 0 || !float.IsFinite(settings.Shrink)) throw new TroveException($"--shrink must be >= 0, got {settings.Shrink}.");
            var target = r.GetValue(db)!;
            if (!InteractionStores.Exists(target)) throw new TroveException($"Database '{target}' does not exist. Create one with: trove import --data PATH --db {target}");
            using var store = InteractionStores.Open(target, createIfMissing: false);
            var collaborative = store.Collaborative();
            var progress = new ConsoleProgress();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var data = store.LoadDataset(progress);
            if (data.Interactions.Count == 0) throw new TroveException($"Database '{target}' has no interactions. Import some with: trove import --data PATH --db {target}");
            var started = DateTime.UtcNow;
            var name = r.GetValue(metric)!.Trim().ToLowerInvariant();
            var rows = UserSimilarities.Compute(data, settings, Math.Max(1, r.GetValue(threads)))
                .Select(s => new UserSimilarityRow(data.Users[s.User], s.Rank, data.Users[s.Other], s.Similarity, s.SharedItems, name));
            int written = await collaborative.SaveUserSimilaritiesAsync(name, rows, cancel);
            collaborative.LogIngest(new IngestLogEntry { Source = "similarities:" + name, StartedUtc = started, FinishedUtc = DateTime.UtcNow, Rows = written });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stored {written:N0} {name} similarities for {data.UserCount:N0} users (threshold {settings.Threshold}, max {settings.Neighbours}, min shared {settings.MinShared}) in {clock.Elapsed.TotalSeconds:F1}s into {InteractionStores.Describe(target)}"));
            return 0;
        }));
        return command;
    }
}
