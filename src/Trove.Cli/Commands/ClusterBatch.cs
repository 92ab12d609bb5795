using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Trove.Cli.Infrastructure;
using Trove.Cluster.Batch;
using Trove.Cluster.Schema;
using Trove.Core.Errors;
using Trove.Data.Stores;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove recommend --all --cluster` and `trove similarities --cluster`: creates a leased-block job (Trove.Cluster's
/// <see cref="BatchJobs"/>), works on it beside every live replica, and returns when its last block is written.
/// </summary>
internal static class ClusterBatch
{
    public static async Task<int> RunAsync(BatchKind kind, string modelPath, string? db, int k, int blockSize, int leaseSeconds, CancellationToken cancel)
    {
        if (db is null || !InteractionStores.IsPostgres(db)) throw new TroveException("--cluster needs --db with the cluster's PostgreSQL database, e.g. --db postgres://trove@127.0.0.1:5432/trove.");
        if (blockSize < 1) throw new TroveException($"--block-size must be positive, got {blockSize}.");
        if (leaseSeconds < 1) throw new TroveException($"--lease must be at least 1 second, got {leaseSeconds}.");
        if (k < 1 || k > 10_000) throw new TroveException($"--k must be between 1 and 10000, got {k}.");
        var clock = Stopwatch.StartNew();
        var trained = ModelOptions.Load(modelPath);
        int rows = kind == BatchKind.SimilarItems ? trained.Items.Count : trained.Users.Count;
        // A model without similarities fails here, in one line, not in every replica's log.
        if (rows > 0 && kind == BatchKind.SimilarItems) trained.Model.SimilarItems(0, 1);
        if (rows > 0 && kind == BatchKind.SimilarUsers) trained.Model.SimilarUsers(0, 1);
        ClusterSchema.Migrate(db);
        await using var source = NpgsqlDataSource.Create(ClusterSchema.ConnectionString(db));
        var job = await BatchJobs.CreateAsync(source, kind, trained.Manifest.ModelVersion, Path.GetFullPath(modelPath), rows, k, blockSize,
            TimeSpan.FromSeconds(leaseSeconds), cancel);
        string owner = $"{Environment.MachineName}:{Environment.ProcessId}:cli";
        var progress = await BatchJobs.RunToEndAsync(source, job, trained, owner, Environment.ProcessorCount, cancel);
        var inv = CultureInfo.InvariantCulture;
        string what = kind switch
        {
            BatchKind.Recommend => $"top-{k} for {rows:N0} users",
            BatchKind.SimilarItems => $"{k} most similar items for {rows:N0} items",
            _ => $"{k} most similar users for {rows:N0} users",
        };
        string where = kind == BatchKind.Recommend ? "recommendations" : "model_similarities (published as one set)";
        Console.WriteLine(string.Create(inv, $"job {job.Id}: {what} of {trained.Manifest.ModelVersion} in {progress.Total} blocks written to {where} in {InteractionStores.Describe(db)} in {clock.Elapsed.TotalSeconds:F1} s"));
        foreach (var (worker, blocks) in progress.DoneBy.OrderBy(p => p.Key, StringComparer.Ordinal))
            Console.WriteLine(string.Create(inv, $"  {worker}: {blocks} blocks"));
        Console.WriteLine(string.Create(inv, $"  blocks redone after an expired lease: {progress.Retried}"));
        return 0;
    }
}
