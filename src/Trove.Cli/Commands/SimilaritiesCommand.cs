using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Data.Stores;
using Trove.Models.Neighbourhood;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove similarities --db ... --metric cosine|jaccard|pearson --threshold 0.1 --max-similar 50 --min-shared 5`:
/// user-user similarities of the stored interactions, written into user_similarities (the previous run's rows of the same metric are
/// replaced in one transaction; other metrics' rows stay, side by side).
/// </summary>
public static class SimilaritiesCommand
{
    public static Command Create()
    {
        var db = new Option<string>("--db") { Description = "The database (SQLite file or postgres://...).", Required = true };
        var metric = new Option<string>("--metric") { Description = "cosine, jaccard or pearson (adjusted cosine: each user's mean subtracted).", DefaultValueFactory = _ => "cosine" };
        var threshold = new Option<float>("--threshold") { Description = "Keep pairs with similarity above this.", DefaultValueFactory = _ => 0.1f };
        var maxSimilar = new Option<int>("--max-similar") { Description = "Similar users kept per user.", DefaultValueFactory = _ => 50 };
        var minShared = new Option<int>("--min-shared") { Description = "Minimum items two users must share.", DefaultValueFactory = _ => 5 };
        var shrink = new Option<float>("--shrink") { Description = "Shrinkage added to the denominator (0 = plain metric).", DefaultValueFactory = _ => 0f };
        var weighting = new Option<string>("--weighting") { Description = "How weights (play counts) enter cosine/pearson: none, binary, tfidf, bm25.", DefaultValueFactory = _ => "none" };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("similarities", "Compute user-user similarities into user_similarities (this metric's rows replaced atomically; other metrics kept).")
        {
            db, metric, threshold, maxSimilar, minShared, shrink, weighting, threads,
        };
        command.SetAction(r => CommandRunner.Run(() =>
        {
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
            int written = collaborative.SaveUserSimilarities(name, rows);
            collaborative.LogIngest(new IngestLogEntry { Source = "similarities:" + name, StartedUtc = started, FinishedUtc = DateTime.UtcNow, Rows = written });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"stored {written:N0} {name} similarities for {data.UserCount:N0} users (threshold {settings.Threshold}, max {settings.Neighbours}, min shared {settings.MinShared}) in {clock.Elapsed.TotalSeconds:F1}s into {InteractionStores.Describe(target)}"));
            return 0;
        }));
        return command;
    }
}
