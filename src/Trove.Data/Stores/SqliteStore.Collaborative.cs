using System.Globalization;
using Microsoft.Data.Sqlite;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>The collaborative-filtering tables and views of schema versions 2 and 3 (see <see cref="ICollaborativeStore"/>).</summary>
public sealed partial class SqliteStore : ICollaborativeStore
{
    private static string Now() => DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);

    private static void TouchUsers(SqliteStore store, SqliteTransaction tx, IEnumerable<long> users)
    {
        using var cmd = store.Command("UPDATE users SET updated_utc = $t WHERE id = $id", tx);
        cmd.Parameters.AddWithValue("$t", Now());
        var pid = cmd.Parameters.Add("$id", SqliteType.Integer);
        cmd.Prepare();
        foreach (var id in users.Distinct()) { pid.Value = id; cmd.ExecuteNonQuery(); }
    }

    private void DeleteUserInteractions(SqliteTransaction tx, long user, IReadOnlyCollection<string>? events)
    {
        using var cmd = Command("DELETE FROM interactions WHERE user_id = $u" + (events is null ? "" : " AND event IN (SELECT value FROM json_each($e))"), tx);
        cmd.Parameters.AddWithValue("$u", user);
        if (events is not null) cmd.Parameters.AddWithValue("$e", System.Text.Json.JsonSerializer.Serialize(events));
        cmd.ExecuteNonQuery();
    }

    public ImportResult ReplaceUserInteractions(string user, IReadOnlyCollection<string>? events, IdMap items, FeatureTable itemFeatures, IEnumerable<InteractionRecord> rows,
        LastFmUserProfile? profile = null, IReadOnlyCollection<UserItemTag>? tags = null)
    {
        using var session = new ImportSession(this);
        return SqlStoreQueries.ReplaceUserInteractions(session, user, events, items, itemFeatures, rows, profile, tags);
    }

    public IReadOnlyList<LastFmUserProfile> LastFmUsers() => _queries.LastFmUsers();

    public IReadOnlyList<UserItemTag> UserItemTags(string? user = null) => _queries.UserItemTags(user);

    public int SaveUserSimilarities(string metric, IEnumerable<UserSimilarityRow> rows) =>
        SaveUserSimilaritiesCore(metric, rows, isAsync: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<int> SaveUserSimilaritiesAsync(string metric, IEnumerable<UserSimilarityRow> rows, CancellationToken cancel = default) =>
        SaveUserSimilaritiesCore(metric, rows, isAsync: true, cancel);

    /// <summary>Both saves (Microsoft.Data.Sqlite's async methods run synchronously; the async path awaits them and checks the token).</summary>
    private async Task<int> SaveUserSimilaritiesCore(string metric, IEnumerable<UserSimilarityRow> rows, bool isAsync, CancellationToken cancel)
    {
        using var tx = _db.BeginTransaction(deferred: false);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var cmd = Command("SELECT id, external_id FROM users", tx))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) ids[r.GetString(1)] = r.GetInt64(0);
        using (var delete = Command("DELETE FROM user_similarity_scores WHERE metric = $m", tx))
        {
            delete.Parameters.AddWithValue("$m", metric);
            delete.ExecuteNonQuery();
        }
        using var insert = Command("INSERT INTO user_similarity_scores(user_id, rank, similar_user_id, similarity, shared_items, metric, computed_utc) VALUES ($u, $r, $o, $s, $n, $m, $c)", tx);
        var pu = insert.Parameters.Add("$u", SqliteType.Integer); var pr = insert.Parameters.Add("$r", SqliteType.Integer);
        var po = insert.Parameters.Add("$o", SqliteType.Integer); var ps = insert.Parameters.Add("$s", SqliteType.Real);
        var pn = insert.Parameters.Add("$n", SqliteType.Integer);
        insert.Parameters.AddWithValue("$m", metric);
        insert.Parameters.AddWithValue("$c", Now());
        insert.Prepare();
        int n = 0;
        try
        {
            foreach (var row in rows)
            {
                var (u, o) = StoredRowChecks.Similarity(row, ids);
                if ((n & 4095) == 0) cancel.ThrowIfCancellationRequested();
                pu.Value = u; pr.Value = row.Rank; po.Value = o; ps.Value = (double)row.Similarity; pn.Value = row.SharedItems;
                if (isAsync) await insert.ExecuteNonQueryAsync(cancel);
                else insert.ExecuteNonQuery();
                n++;
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new TroveException($"Duplicate similarity rank for one user: {e.Message}; nothing was saved.", e);
        }
        tx.Commit();
        return n;
    }

    public IReadOnlyList<UserSimilarityRow> GetUserSimilarities(string? user = null, string? metric = null) => _queries.GetUserSimilarities(user, metric);

    public long LogIngest(IngestLogEntry entry) => _queries.LogIngest(entry);

    public IReadOnlyList<IngestLogEntry> IngestLogs(int limit = 100) => _queries.IngestLogs(limit);

    public IReadOnlyList<UserStatsRow> UserStats() => _queries.UserStats();

    public IReadOnlyList<ItemPopularityRow> ItemPopularity(int limit = 100) => _queries.ItemPopularity(limit);
}
