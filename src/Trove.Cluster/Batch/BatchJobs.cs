using Npgsql;
using NpgsqlTypes;
using Trove.Cluster.Schema;
using Trove.Core.Recommending;
using Trove.Core.Persistence;

namespace Trove.Cluster.Batch;

/// <summary>A batch job as stored in <c>batch_jobs</c>.</summary>
/// <param name="Id">The job's id (also the version of the similarity set it writes).</param>
/// <param name="Kind">What each row of a block is: a user's top-K recommendations, an item's or a user's most similar.</param>
/// <param name="ModelVersion">The model version every block is computed with.</param>
/// <param name="ModelPath">The model file, for workers that do not serve that version.</param>
/// <param name="K">Results per row.</param>
/// <param name="Lease">How long a worker holds a block; one that dies holding it delays that block by at most this.</param>
public sealed record BatchJob(long Id, BatchKind Kind, string ModelVersion, string ModelPath, int K, TimeSpan Lease);

/// <summary>How far a job is: blocks done, of all, and how many blocks were taken over after a lease expired.</summary>
/// <param name="Done">Blocks whose rows are committed.</param>
/// <param name="Total">Blocks in the job.</param>
/// <param name="Retried">Blocks leased more than once (a worker died or was too slow holding them).</param>
/// <param name="DoneBy">Blocks committed per worker.</param>
/// <param name="Finished">True once the last block committed (and, for similarities, the new set was published).</param>
public sealed record BatchProgress(int Done, int Total, int Retried, IReadOnlyDictionary<string, int> DoneBy, bool Finished);

/// <summary>
/// Work split into blocks of rows (users or items) written into PostgreSQL exactly once by whichever silos are alive:
/// the blocks are rows of <c>batch_blocks</c>; a worker leases a pending block (with an expiry), computes it, and writes
/// its rows in the same transaction that marks it done, which commits only while the worker still holds the lease. A
/// worker that dies leaves a lease that expires; the next worker to ask takes the block over. A late worker whose
/// lease was taken over finds it gone and its transaction writes nothing. The transaction that completes the last block
/// also finishes the job (and publishes a similarity set), so a job finishes even when the process that created it
/// died. Bulk results go to PostgreSQL by binary COPY; only the job id travels as a message (NOTIFY), never the rows.
/// What a block computes and where its rows go is the job's <see cref="BatchKind"/>; the leasing is the same for all.
/// </summary>
public static class BatchJobs
{
    /// <summary>
    /// Creates a job of <paramref name="kind"/> over <paramref name="rows"/> rows (the model's users or items) in blocks
    /// of <paramref name="blockSize"/>, and announces it on <see cref="ClusterSchema.JobsChannel"/>. A recommend job
    /// clears the model version's stored recommendations in the same transaction; a similarity job writes a new set
    /// beside the published one and replaces it only when its last block commits.
    /// </summary>
    public static async Task<BatchJob> CreateAsync(NpgsqlDataSource source, BatchKind kind, string modelVersion, string modelPath, int rows, int k, int blockSize,
        TimeSpan lease, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int leaseSeconds = (int)Math.Ceiling(lease.TotalSeconds);
        await using var connection = await source.OpenConnectionAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        long id;
        await using (var insert = new NpgsqlCommand("INSERT INTO batch_jobs (kind, model_version, model_path, k, lease_seconds) VALUES (@kind, @v, @p, @k, @lease) RETURNING id", connection, tx))
        {
            insert.Parameters.AddWithValue("kind", BatchKinds.Name(kind));
            insert.Parameters.AddWithValue("v", modelVersion);
            insert.Parameters.AddWithValue("p", modelPath);
            insert.Parameters.AddWithValue("k", k);
            insert.Parameters.AddWithValue("lease", leaseSeconds);
            id = (long)(await insert.ExecuteScalarAsync(cancel))!;
        }
        // A job over no rows would have no last block to finish it.
        await using (var blocks = new NpgsqlCommand("""
            INSERT INTO batch_blocks (job_id, block, first_user, end_user)
            SELECT @id, b, b * @size, least((b + 1) * @size, @rows) FROM generate_series(0, greatest(@rows + @size - 1, @size) / @size - 1) b
            """, connection, tx))
        {
            blocks.Parameters.AddWithValue("id", id);
            blocks.Parameters.AddWithValue("size", blockSize);
            blocks.Parameters.AddWithValue("rows", rows);
            await blocks.ExecuteNonQueryAsync(cancel);
        }
        if (kind == BatchKind.Recommend)
        {
            await using var clear = new NpgsqlCommand("DELETE FROM recommendations WHERE model_version = @v", connection, tx);
            clear.Parameters.AddWithValue("v", modelVersion);
            await clear.ExecuteNonQueryAsync(cancel);
        }
        await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{ClusterSchema.JobsChannel}', @id::text)", connection, tx))
        {
            notify.Parameters.AddWithValue("id", id);
            await notify.ExecuteNonQueryAsync(cancel);
        }
        await tx.CommitAsync(cancel);
        return new BatchJob(id, kind, modelVersion, modelPath, k, TimeSpan.FromSeconds(leaseSeconds));
    }

    /// <summary>Jobs with blocks not yet done, oldest first.</summary>
    public static async Task<IReadOnlyList<BatchJob>> OpenJobsAsync(NpgsqlDataSource source, CancellationToken cancel = default)
    {
        await using var command = source.CreateCommand("""
            SELECT j.id, j.kind, j.model_version, j.model_path, j.k, j.lease_seconds FROM batch_jobs j
            WHERE EXISTS (SELECT 1 FROM batch_blocks b WHERE b.job_id = j.id AND NOT b.done) ORDER BY j.id
            """);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        var jobs = new List<BatchJob>();
        while (await reader.ReadAsync(cancel))
        {
            // A kind this version does not know (a newer Trove created it) is left to the replicas that do.
            if (!BatchKinds.TryParse(reader.GetString(1), out var kind)) continue;
            jobs.Add(new BatchJob(reader.GetInt64(0), kind, reader.GetString(2), reader.GetString(3), reader.GetInt32(4), TimeSpan.FromSeconds(reader.GetInt32(5))));
        }
        return jobs;
    }

    /// <summary>
    /// Leases and completes blocks of <paramref name="job"/> until none is free (all done, or leased by live workers).
    /// Returns the blocks this worker completed. <paramref name="model"/> must be the job's model version.
    /// </summary>
    public static async Task<int> WorkAsync(NpgsqlDataSource source, BatchJob job, TrainedModel model, string owner, int threads, CancellationToken cancel = default)
    {
        if (model.Manifest.ModelVersion != job.ModelVersion)
            throw new ArgumentException($"Job {job.Id} is for model {job.ModelVersion}, not {model.Manifest.ModelVersion}.", nameof(model));
        int completed = 0;
        int rows = BatchKinds.RowCount(job.Kind, model);
        while (await LeaseAsync(source, job.Id, owner, job.Lease, cancel) is { } block)
        {
            int end = Math.Min(block.End, rows);
            var results = new IReadOnlyList<Scored>[Math.Max(0, end - block.First)];
            Parallel.For(block.First, end, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancel },
                row => results[row - block.First] = BatchKinds.Compute(job, model, row));
            if (await CompleteAsync(source, job, block.Number, owner, model, block.First, results, cancel)) completed++;
        }
        return completed;
    }

    private readonly record struct Block(int Number, int First, int End);

    private static async Task<Block?> LeaseAsync(NpgsqlDataSource source, long job, string owner, TimeSpan lease, CancellationToken cancel)
    {
        // SKIP LOCKED: workers asking at once get different blocks; a block being completed (row locked) is skipped.
        await using var command = source.CreateCommand("""
            UPDATE batch_blocks SET lease_owner = @owner, lease_expires = now() + @lease, attempts = attempts + 1
            WHERE (job_id, block) = (
                SELECT job_id, block FROM batch_blocks
                WHERE job_id = @job AND NOT done AND (lease_expires IS NULL OR lease_expires < now())
                ORDER BY block LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING block, first_user, end_user
            """);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("job", job);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        return await reader.ReadAsync(cancel) ? new Block(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2)) : null;
    }

    /// <summary>
    /// Writes a block's rows and marks it done in one transaction, only while <paramref name="owner"/> still holds its
    /// lease; when it is the job's last block, the same transaction finishes the job.
    /// </summary>
    private static async Task<bool> CompleteAsync(NpgsqlDataSource source, BatchJob job, int block, string owner, TrainedModel model, int first,
        IReadOnlyList<Scored>[] results, CancellationToken cancel)
    {
        await using var connection = await source.OpenConnectionAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        await using (var claim = new NpgsqlCommand("SELECT 1 FROM batch_blocks WHERE job_id = @job AND block = @block AND NOT done AND lease_owner = @owner FOR UPDATE", connection, tx))
        {
            claim.Parameters.AddWithValue("job", job.Id);
            claim.Parameters.AddWithValue("block", block);
            claim.Parameters.AddWithValue("owner", owner);
            if (await claim.ExecuteScalarAsync(cancel) is null) return false; // taken over after our lease expired: its new owner writes it
        }
        await BatchKinds.WriteAsync(connection, job, model, first, results, cancel);
        await using (var done = new NpgsqlCommand("UPDATE batch_blocks SET done = true, done_by = @owner WHERE job_id = @job AND block = @block", connection, tx))
        {
            done.Parameters.AddWithValue("owner", owner);
            done.Parameters.AddWithValue("job", job.Id);
            done.Parameters.AddWithValue("block", block);
            await done.ExecuteNonQueryAsync(cancel);
        }
        await FinishIfLastAsync(connection, tx, job, cancel);
        await tx.CommitAsync(cancel);
        return true;
    }

    private static async Task FinishIfLastAsync(NpgsqlConnection connection, NpgsqlTransaction tx, BatchJob job, CancellationToken cancel)
    {
        // Completions of one job serialise here, at their very end: under READ COMMITTED the count below, a statement
        // after the lock, sees every completion committed before it, so of two workers finishing the last two blocks
        // at once exactly one sees none pending. NO KEY UPDATE, not UPDATE: each completion already holds KEY SHARE on
        // the job row (the foreign key of the similarity rows it copied), which UPDATE would wait on: a deadlock.
        await using (var lockJob = new NpgsqlCommand("SELECT 1 FROM batch_jobs WHERE id = @job FOR NO KEY UPDATE", connection, tx))
        {
            lockJob.Parameters.AddWithValue("job", job.Id);
            await lockJob.ExecuteNonQueryAsync(cancel);
        }
        await using (var pending = new NpgsqlCommand("SELECT count(*) FROM batch_blocks WHERE job_id = @job AND NOT done", connection, tx))
        {
            pending.Parameters.AddWithValue("job", job.Id);
            if ((long)(await pending.ExecuteScalarAsync(cancel))! > 0) return;
        }
        await BatchKinds.PublishAsync(connection, tx, job, cancel);
        await using var finish = new NpgsqlCommand("UPDATE batch_jobs SET finished_utc = now() WHERE id = @job AND finished_utc IS NULL", connection, tx);
        finish.Parameters.AddWithValue("job", job.Id);
        await finish.ExecuteNonQueryAsync(cancel);
    }

    /// <summary>Blocks done and in all; blocks leased more than once; blocks done per worker; whether the job finished.</summary>
    public static async Task<BatchProgress> ProgressAsync(NpgsqlDataSource source, long job, CancellationToken cancel = default)
    {
        await using var command = source.CreateCommand("""
            SELECT b.done, b.attempts, b.done_by, j.finished_utc IS NOT NULL FROM batch_blocks b JOIN batch_jobs j ON j.id = b.job_id WHERE b.job_id = @job
            """);
        command.Parameters.AddWithValue("job", job);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        int done = 0, total = 0, retried = 0;
        bool finished = false;
        var by = new Dictionary<string, int>();
        while (await reader.ReadAsync(cancel))
        {
            total++;
            finished = reader.GetBoolean(3);
            if (reader.GetInt32(1) > 1) retried++;
            if (!reader.GetBoolean(0)) continue;
            done++;
            var owner = reader.GetString(2);
            by[owner] = by.GetValueOrDefault(owner) + 1;
        }
        return new BatchProgress(done, total, retried, by, finished);
    }

    /// <summary>
    /// Works on <paramref name="job"/> beside the replicas until its last block is committed: leases free blocks, then
    /// waits for the ones leased by others (taking over any whose lease expires). Returns the final progress.
    /// </summary>
    public static async Task<BatchProgress> RunToEndAsync(NpgsqlDataSource source, BatchJob job, TrainedModel model, string owner, int threads, CancellationToken cancel = default)
    {
        while (true)
        {
            await WorkAsync(source, job, model, owner, threads, cancel);
            var progress = await ProgressAsync(source, job.Id, cancel);
            if (progress.Finished) return progress;
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancel);
        }
    }
}
