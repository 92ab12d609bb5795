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
/// `trove recommend --all --cluster --db postgres://...`: creates a leased-block job (Trove.Cluster's
/// <see cref="BatchJobs"/>), works on it beside every live replica, and returns when every block is written.
/// </summary>
internal static class ClusterRecommend
{
    public static int Run(string modelPath, string? db, int k, int blockSize, int leaseSeconds)
    {
        if (db is null || !InteractionStores.IsPostgres(db)) throw new TroveException("--cluster needs --db with the cluster's PostgreSQL database, e.g. --db postgres://trove@127.0.0.1:5432/trove.");
        if (blockSize < 1) throw new TroveException($"--block-size must be positive, got {blockSize}.");
        if (leaseSeconds < 1) throw new TroveException($"--lease must be at least 1 second, got {leaseSeconds}.");
        var clock = Stopwatch.StartNew();
        var trained = ModelOptions.Load(modelPath);
        ClusterSchema.Migrate(db);
        using var source = NpgsqlDataSource.Create(ClusterSchema.ConnectionString(db));
        var job = BatchJobs.CreateAsync(source, trained.Manifest.ModelVersion, Path.GetFullPath(modelPath), trained.Users.Count, k, blockSize,
            TimeSpan.FromSeconds(leaseSeconds)).GetAwaiter().GetResult();
        string owner = $"{Environment.MachineName}:{Environment.ProcessId}:cli";
        BatchProgress progress;
        while (true)
        {
            // Work while blocks are free; then wait for the ones leased by others (taking over any whose lease expires).
            BatchJobs.WorkAsync(source, job, trained, owner, Environment.ProcessorCount).GetAwaiter().GetResult();
            progress = BatchJobs.ProgressAsync(source, job.Id).GetAwaiter().GetResult();
            if (progress.Done == progress.Total) break;
            Thread.Sleep(200);
        }
        BatchJobs.FinishAsync(source, job.Id).GetAwaiter().GetResult();
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"job {job.Id}: top-{k} for {trained.Users.Count:N0} users of {trained.Manifest.ModelVersion} in {progress.Total} blocks written to {InteractionStores.Describe(db)} in {clock.Elapsed.TotalSeconds:F1} s"));
        foreach (var (worker, blocks) in progress.DoneBy.OrderBy(p => p.Key, StringComparer.Ordinal))
            Console.WriteLine(string.Create(inv, $"  {worker}: {blocks} blocks"));
        Console.WriteLine(string.Create(inv, $"  blocks redone after an expired lease: {progress.Retried}"));
        return 0;
    }
}
