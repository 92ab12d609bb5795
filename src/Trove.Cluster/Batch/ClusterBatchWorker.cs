using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Trove.Cluster.Events;
using Trove.Cluster.Schema;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Server.Models;

namespace Trove.Cluster.Batch;

/// <summary>
/// A replica's share of batch jobs: it LISTENs on <see cref="ClusterSchema.JobsChannel"/> (and looks every
/// <see cref="TroveClusterOptions.ModelPollInterval"/>, for announcements missed while disconnected) and leases blocks
/// of open jobs until none is free. The job's model is the one served when the versions match, else its file.
/// </summary>
internal sealed class ClusterBatchWorker(ClusterDatabase database, ModelCatalog catalog, TroveClusterOptions options, ILogger<ClusterBatchWorker> log) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:silo{options.SiloPort}";
    private TrainedModel? _loaded;

    protected override Task ExecuteAsync(CancellationToken stop) =>
        database.FollowAsync(ClusterSchema.JobsChannel, options.ModelPollInterval, WorkOnOpenJobsAsync, log, "batch worker", stop);

    private async Task WorkOnOpenJobsAsync(CancellationToken stop)
    {
        foreach (var job in await BatchJobs.OpenJobsAsync(database.Source, stop))
        {
            TrainedModel model;
            try { model = ModelFor(job); }
            catch (Exception e) when (e is Core.Errors.TroveException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                log.LogError("batch job {Job}: cannot load model {Version} from {Path}: {Error}", job.Id, job.ModelVersion, job.ModelPath, e.Message);
                continue; // another silo that can read the file does the blocks
            }
            // Scoring runs on the thread pool, beside the requests: one core's worth, so serving keeps the others.
            int done = await Task.Run(() => BatchJobs.WorkAsync(database.Source, job, model, _owner, threads: Math.Max(1, Environment.ProcessorCount / 2), stop), stop);
            if (done > 0) log.LogInformation("batch job {Job}: {Blocks} blocks written by {Owner}", job.Id, done, _owner);
        }
    }

    private TrainedModel ModelFor(BatchJob job)
    {
        var served = catalog.Current.Models.FirstOrDefault(m => m.Version == job.ModelVersion);
        if (served is not null) return served.Trained;
        if (_loaded?.Manifest.ModelVersion == job.ModelVersion) return _loaded;
        var loaded = ModelFile.Load(job.ModelPath, BuiltInAlgorithms.Registry);
        if (loaded.Manifest.ModelVersion != job.ModelVersion)
            throw new Core.Errors.TroveException($"{job.ModelPath} now holds model {loaded.Manifest.ModelVersion}, not the job's {job.ModelVersion}.");
        return _loaded = loaded;
    }
}
