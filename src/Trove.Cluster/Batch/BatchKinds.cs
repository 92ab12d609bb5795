using Npgsql;
using NpgsqlTypes;
using Trove.Core.Persistence;
using Trove.Core.Recommending;

namespace Trove.Cluster.Batch;

/// <summary>What a batch job computes for each row of a block, and where the results go.</summary>
public enum BatchKind
{
    /// <summary>Every user's top-K recommendations (seen items excluded), into <c>recommendations</c>.</summary>
    Recommend,

    /// <summary>Every item's K most similar items, a new set in <c>model_similarities</c> published when the job finishes.</summary>
    SimilarItems,

    /// <summary>Every user's K most similar users, a new set in <c>model_similarities</c> published when the job finishes.</summary>
    SimilarUsers,
}

/// <summary>
/// The part of a batch job that differs by kind: how many rows, what one row computes, the COPY of a block's results,
/// and what finishing the job publishes. Everything else (blocks, leases, takeover, exactly-once) is <see cref="BatchJobs"/>.
/// </summary>
internal static class BatchKinds
{
    public static string Name(BatchKind kind) => kind switch
    {
        BatchKind.Recommend => "recommend",
        BatchKind.SimilarItems => "similar-items",
        BatchKind.SimilarUsers => "similar-users",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string name, out BatchKind kind)
    {
        foreach (var k in Enum.GetValues<BatchKind>())
            if (Name(k) == name) { kind = k; return true; }
        kind = default;
        return false;
    }

    /// <summary>The rows a job of <paramref name="kind"/> covers: the model's users, or its items.</summary>
    public static int RowCount(BatchKind kind, TrainedModel model) => kind == BatchKind.SimilarItems ? model.Items.Count : model.Users.Count;

    public static IReadOnlyList<Scored> Compute(BatchJob job, TrainedModel model, int row) => job.Kind switch
    {
        BatchKind.Recommend => model.Model.Recommend(row, job.K, ItemFilter.Default),
        BatchKind.SimilarItems => model.Model.SimilarItems(row, job.K),
        BatchKind.SimilarUsers => model.Model.SimilarUsers(row, job.K),
        _ => throw new ArgumentOutOfRangeException(nameof(job), job.Kind, null),
    };

    /// <summary>COPYs one block's results (row <paramref name="first"/> + i has <c>results[i]</c>) on the completing transaction's connection.</summary>
    public static async Task WriteAsync(NpgsqlConnection connection, BatchJob job, TrainedModel model, int first, IReadOnlyList<Scored>[] results, CancellationToken cancel)
    {
        var (subjects, others) = job.Kind switch
        {
            BatchKind.Recommend => (model.Users, model.Items),
            BatchKind.SimilarItems => (model.Items, model.Items),
            _ => (model.Users, model.Users),
        };
        if (job.Kind == BatchKind.Recommend)
        {
            var now = DateTime.UtcNow;
            await using var copy = await connection.BeginBinaryImportAsync("COPY recommendations (model_version, \"user\", rank, item, score, created_utc) FROM STDIN (FORMAT BINARY)", cancel);
            for (int i = 0; i < results.Length; i++)
                for (int rank = 0; rank < results[i].Count; rank++)
                {
                    await copy.StartRowAsync(cancel);
                    await copy.WriteAsync(job.ModelVersion, NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(subjects[first + i], NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(rank + 1, NpgsqlDbType.Integer, cancel);
                    await copy.WriteAsync(others[results[i][rank].Index], NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(results[i][rank].Score, NpgsqlDbType.Real, cancel);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, cancel);
                }
            await copy.CompleteAsync(cancel);
        }
        else
        {
            // Into the job's own set (job_id), beside the published one: readers of model_similarities do not see it yet.
            await using var copy = await connection.BeginBinaryImportAsync("COPY similarity_rows (job_id, subject, rank, other, score) FROM STDIN (FORMAT BINARY)", cancel);
            for (int i = 0; i < results.Length; i++)
                for (int rank = 0; rank < results[i].Count; rank++)
                {
                    await copy.StartRowAsync(cancel);
                    await copy.WriteAsync(job.Id, NpgsqlDbType.Bigint, cancel);
                    await copy.WriteAsync(subjects[first + i], NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(rank + 1, NpgsqlDbType.Integer, cancel);
                    await copy.WriteAsync(others[results[i][rank].Index], NpgsqlDbType.Text, cancel);
                    await copy.WriteAsync(results[i][rank].Score, NpgsqlDbType.Real, cancel);
                }
            await copy.CompleteAsync(cancel);
        }
    }

    /// <summary>
    /// Called in the transaction that commits a job's last block. A similarity job points its (model version, kind)
    /// at its own rows and deletes the set it replaces, in that one transaction: a reader sees the old set or the new
    /// one, never a mix. A set older than the published one (two jobs raced) is not published, and its rows go.
    /// </summary>
    public static async Task PublishAsync(NpgsqlConnection connection, NpgsqlTransaction tx, BatchJob job, CancellationToken cancel)
    {
        if (job.Kind == BatchKind.Recommend) return; // written in place: the job cleared the version's rows when it started
        await using (var point = new NpgsqlCommand("""
            INSERT INTO similarity_sets (model_version, kind, job_id, published_utc) VALUES (@v, @kind, @job, now())
            ON CONFLICT (model_version, kind) DO UPDATE SET job_id = EXCLUDED.job_id, published_utc = EXCLUDED.published_utc
            WHERE similarity_sets.job_id < EXCLUDED.job_id
            """, connection, tx))
        {
            point.Parameters.AddWithValue("v", job.ModelVersion);
            point.Parameters.AddWithValue("kind", Name(job.Kind));
            point.Parameters.AddWithValue("job", job.Id);
            await point.ExecuteNonQueryAsync(cancel);
        }
        await using var drop = new NpgsqlCommand("""
            DELETE FROM similarity_rows r USING batch_jobs j
            WHERE r.job_id = j.id AND j.kind = @kind AND j.model_version = @v AND j.id <= @job
              AND j.id <> (SELECT s.job_id FROM similarity_sets s WHERE s.model_version = @v AND s.kind = @kind)
            """, connection, tx);
        drop.Parameters.AddWithValue("v", job.ModelVersion);
        drop.Parameters.AddWithValue("kind", Name(job.Kind));
        drop.Parameters.AddWithValue("job", job.Id);
        await drop.ExecuteNonQueryAsync(cancel);
    }
}
