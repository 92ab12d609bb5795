using Npgsql;
using NpgsqlTypes;
using Trove.Cluster.Schema;
using Trove.Core.Recommending;
using Trove.Core.Persistence;
using Trove.Core.Training;

namespace Trove.Cluster.Batch;

/// <summary>A batch job as stored in <c>batch_jobs</c>.</summary>
/// <param name="Lease">How long a worker holds a block; one that dies holding it delays that block by at most this.</param>
public sealed record BatchJob(long Id, string ModelVersion, string ModelPath, int K, TimeSpan Lease);

/// <summary>How far a job is: blocks done, of all, and how many blocks were taken over after a lease expired.</summary>
public sealed record BatchProgress(int Done, int Total, int Retried, IReadOnlyDictionary<string, int> DoneBy);

/// <summary>
/// Every user's top-K written into the <c>recommendations</c> table exactly once by whichever silos are alive: the
/// users are split into blocks in PostgreSQL; a worker leases a pending block (with an expiry), computes it, and writes
/// its rows in the same transaction that marks it done, which commits only while the worker still holds the lease. A
/// worker that dies leaves a lease that expires; the next worker to ask takes the block over. A late worker whose
/// lease was taken over finds it gone and its transaction writes nothing. Bulk results go to PostgreSQL by binary COPY;
/// only the job id travels as a message (NOTIFY), never the rows.
/// </summary>
public static class BatchJobs
{
    /// <summary>
    /// Creates a recommend-all job for the model's users in blocks of <paramref name="blockSize"/>, clearing the model
    /// version's stored recommendations in the same transaction, and announces it on <see cref="ClusterSchema.JobsChannel"/>.
    /// </summary>
    public static async Task<BatchJob> CreateAsync(NpgsqlDataSource source, string modelVersion, string modelPath, int users, int k, int blockSize, TimeSpan lease, CancellationToken cancel = default)
    {
        await using var connection = await source.OpenConnectionAsync(cancel);
        await using var tx = await connection.BeginTransactionAsync(cancel);
        long id;
        await using (var insert = new NpgsqlCommand("INSERT INTO batch_jobs (kind, model_version, model_path, k, lease_seconds) VALUES ('recommend', @v, @p, @k, @lease) RETURNING id", connection, tx))
        {
            insert.Parameters.AddWithValue("v", modelVersion);
            insert.Parameters.AddWithValue("p", modelPath);
            insert.Parameters.AddWithValue("k", k);
            insert.Parameters.AddWithValue("lease", (int)Math.Ceiling(lease.TotalSeconds));
            id = (long)(await insert.ExecuteScalarAsync(cancel))!;
        }
        await using (var blocks = new NpgsqlCommand("""
            INSERT INTO batch_blocks (job_id, block, first_user, end_user)
            SELECT @id, b, b * @size, least((b + 1) * @size, @users) FROM generate_series(0, (@users + @size - 1) / @size - 1) b
            """, connection, tx))
        {
            blocks.Parameters.AddWithValue("id", id);
            blocks.Parameters.AddWithValue("size", blockSize);
            blocks.Parameters.AddWithValue("users", users);
            await blocks.ExecuteNonQueryAsync(cancel);
        }
        await using (var clear = new NpgsqlCommand("DELETE FROM recommendations WHERE model_version = @v", connection, tx))
        {
            clear.Parameters.AddWithValue("v", modelVersion);
            await clear.ExecuteNonQueryAsync(cancel);
        }
        await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{ClusterSchema.JobsChannel}', @id::text)", connection, tx))
        {
            notify.Parameters.AddWithValue("id", id);
            await notify.ExecuteNonQueryAsync(cancel);
        }
        await tx.CommitAsync(cancel);
        return new BatchJob(id, modelVersion, modelPath, k, TimeSpan.FromSeconds((int)Math.Ceiling(lease.TotalSeconds)));
    }

    /// <summary>Jobs with blocks not yet done, oldest first.</summary>
    public static async Task<IReadOnlyList<BatchJob>> OpenJobsAsync(NpgsqlDataSource source, CancellationToken cancel = default)
    {
        await using var command = source.CreateCommand("""
            SELECT j.id, j.model_version, j.model_path, j.k, j.lease_seconds FROM batch_jobs j
            WHERE EXISTS (SELECT 1 FROM batch_blocks b WHERE b.job_id = j.id AND NOT b.done) ORDER BY j.id
            """);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        var jobs = new List<BatchJob>();
        while (await reader.ReadAsync(cancel)) jobs.Add(new BatchJob(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), TimeSpan.FromSeconds(reader.GetInt32(4))));
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
        while (await LeaseAsync(source, job.Id, owner, job.Lease, cancel) is { } block)
        {
            int end = Math.Min(block.End, model.Users.Count);
            var results = new IReadOnlyList<Scored>[Math.Max(0, end - block.First)];
            Parallel.For(block.First, end, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancel },
                u => results[u - block.First] = model.Model.Recommend(u, job.K, ItemFilter.Default));
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

    /// <summary>Writes a block's rows and marks it done in one transaction, only while <paramref name="owner"/> still holds its lease.</summary>
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
        var now = DateTime.UtcNow;
        await using (var copy = await connection.BeginBinaryImportAsync("COPY recommendations (model_version, \"user\", rank, item, score, created_utc) FROM STDIN (FORMAT BINARY)", cancel))
        {
            for (int i = 0; i < results.Length; i++)
            {
                string user = model.Users[first + i];
                for (int rank = 0; rank < results[i].Count; rank++)
                {
                    await copy.StartRowAsync(cancel);
                    await copy.WriteAsync(job.ModelVersion, NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(user, NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(rank + 1, NpgsqlDbType.Integer, cancel);
                    await copy.WriteAsync(model.Items[results[i][rank].Index], NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(results[i][rank].Score, NpgsqlDbType.Real, cancel);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancel);
                }
            }
            await copy.CompleteAsync(cancel);
        }
        await using (var done = new NpgsqlCommand("UPDATE batch_blocks SET done = true, done_by = @owner WHERE job_id = @job AND block = @block", connection, tx))
        {
            done.Parameters.AddWithValue("owner", owner);
            done.Parameters.AddWithValue("job", job.Id);
            done.Parameters.AddWithValue("block", block);
            await done.ExecuteNonQueryAsync(cancel);
        }
        await tx.CommitAsync(cancel);
        return true;
    }

    /// <summary>Blocks done and in all; blocks leased more than once; blocks done per worker.</summary>
    public static async Task<BatchProgress> ProgressAsync(NpgsqlDataSource source, long job, CancellationToken cancel = default)
    {
        await using var command = source.CreateCommand("SELECT done, attempts, done_by FROM batch_blocks WHERE job_id = @job");
        command.Parameters.AddWithValue("job", job);
        await using var reader = await command.ExecuteReaderAsync(cancel);
        int done = 0, total = 0, retried = 0;
        var by = new Dictionary<string, int>();
        while (await reader.ReadAsync(cancel))
        {
            total++;
            if (reader.GetInt32(1) > 1) retried++;
            if (!reader.GetBoolean(0)) continue;
            done++;
            var owner = reader.GetString(2);
            by[owner] = by.GetValueOrDefault(owner) + 1;
        }
        return new BatchProgress(done, total, retried, by);
    }

    /// <summary>Marks a job finished (every block done).</summary>
    public static async Task FinishAsync(NpgsqlDataSource source, long job, CancellationToken cancel = default)
    {
        await using var command = source.CreateCommand("UPDATE batch_jobs SET finished_utc = now() WHERE id = @job AND finished_utc IS NULL");
        command.Parameters.AddWithValue("job", job);
        await command.ExecuteNonQueryAsync(cancel);
    }
}
