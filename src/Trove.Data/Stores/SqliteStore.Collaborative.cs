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

    private static DateTime? ParseTime(SqliteDataReader r, int column) =>
        r.IsDBNull(column) ? null : DateTime.Parse(r.GetString(column), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

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
        session.ClearUserInteractions(user, events);
        session.AddItems(items, itemFeatures);
        session.AddInteractions(rows.Select(r => r.User == user ? r : throw new TroveException($"ReplaceUserInteractions('{user}') got a row of user '{r.User}'.")));
        if (profile is not null || tags is not null) session.WriteUserExtras(user, profile, tags);
        return session.Commit();
    }

    /// <summary>The user's lastfm_users row and user_item_tags rows, inside an import's transaction (see <see cref="ReplaceUserInteractions"/>).</summary>
    private void WriteUserExtras(SqliteTransaction tx, long userId, string user, LastFmUserProfile? profile, IReadOnlyCollection<UserItemTag>? tags, Func<string, long?> itemId)
    {
        var now = Now();
        if (profile is not null)
        {
            if (profile.User != user) throw new TroveException($"ReplaceUserInteractions('{user}') got the profile of user '{profile.User}'.");
            using var cmd = Command("""
                INSERT INTO lastfm_users(user_id, username, real_name, country, playcount, registered_at, profile_url, fetched_at)
                VALUES ($id, $u, $n, $c, $p, $r, $url, $t)
                ON CONFLICT(user_id) DO UPDATE SET username = excluded.username, real_name = excluded.real_name, country = excluded.country,
                    playcount = excluded.playcount, registered_at = excluded.registered_at, profile_url = excluded.profile_url, fetched_at = excluded.fetched_at
                """, tx);
            cmd.Parameters.AddWithValue("$id", userId);
            cmd.Parameters.AddWithValue("$u", user);
            cmd.Parameters.AddWithValue("$n", (object?)profile.RealName ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$c", (object?)profile.Country ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$p", (object?)profile.PlayCount ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$r", profile.RegisteredUtc is { } r ? Iso(r) : DBNull.Value);
            cmd.Parameters.AddWithValue("$url", (object?)profile.ProfileUrl ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$t", now);
            cmd.ExecuteNonQuery();
        }
        if (tags is null) return;
        using (var delete = Command("DELETE FROM user_item_tags WHERE user_id = $u", tx))
        {
            delete.Parameters.AddWithValue("$u", userId);
            delete.ExecuteNonQuery();
        }
        using var insert = Command("INSERT OR IGNORE INTO user_item_tags(user_id, item_id, tag, fetched_at) VALUES ($u, $i, $tag, $t)", tx);
        insert.Parameters.AddWithValue("$u", userId);
        var pi = insert.Parameters.Add("$i", SqliteType.Integer);
        var ptag = insert.Parameters.Add("$tag", SqliteType.Text);
        insert.Parameters.AddWithValue("$t", now);
        insert.Prepare();
        foreach (var tag in tags)
        {
            var (item, name) = StoredRowChecks.Tag(tag, user, itemId);
            pi.Value = item; ptag.Value = name;
            insert.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<LastFmUserProfile> LastFmUsers()
    {
        var list = new List<LastFmUserProfile>();
        using var cmd = Command("SELECT username, real_name, country, playcount, registered_at, profile_url, fetched_at FROM lastfm_users");
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new LastFmUserProfile(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : r.GetInt64(3), ParseTime(r, 4), r.IsDBNull(5) ? null : r.GetString(5)) { FetchedUtc = ParseTime(r, 6) });
        list.Sort((a, b) => string.CompareOrdinal(a.User, b.User));
        return list;
    }

    public IReadOnlyList<UserItemTag> UserItemTags(string? user = null)
    {
        var list = new List<UserItemTag>();
        using var cmd = Command("SELECT u.external_id, it.external_id, t.tag FROM user_item_tags t JOIN users u ON u.id = t.user_id JOIN items it ON it.id = t.item_id" +
                                (user is null ? "" : " WHERE u.external_id = $u"));
        if (user is not null) cmd.Parameters.AddWithValue("$u", user);
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new UserItemTag(r.GetString(0), r.GetString(1), r.GetString(2)));
        return StoredRowChecks.SortTags(list);
    }

    public int SaveUserSimilarities(string metric, IEnumerable<UserSimilarityRow> rows)
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
                pu.Value = u; pr.Value = row.Rank; po.Value = o; ps.Value = (double)row.Similarity; pn.Value = row.SharedItems;
                insert.ExecuteNonQuery();
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

    public IReadOnlyList<UserSimilarityRow> GetUserSimilarities(string? user = null, string? metric = null)
    {
        var list = new List<UserSimilarityRow>();
        using var cmd = Command("""
            SELECT a.external_id, s.rank, b.external_id, s.similarity, s.shared_items, s.metric
            FROM user_similarity_scores s JOIN users a ON a.id = s.user_id JOIN users b ON b.id = s.similar_user_id
            WHERE ($u IS NULL OR a.external_id = $u) AND ($m IS NULL OR s.metric = $m)
            ORDER BY s.metric, a.external_id, s.rank
            """);
        cmd.Parameters.AddWithValue("$u", (object?)user ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$m", (object?)metric ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new UserSimilarityRow(r.GetString(0), r.GetInt32(1), r.GetString(2), (float)r.GetDouble(3), r.GetInt32(4), r.GetString(5)));
        return list;
    }

    public long LogIngest(IngestLogEntry entry)
    {
        using var cmd = Command("""
            INSERT INTO ingest_logs(source, target, started_utc, finished_utc, rows, status, error, requests)
            VALUES ($s, $t, $a, $b, $n, $st, $e, $q) RETURNING id
            """);
        cmd.Parameters.AddWithValue("$s", entry.Source);
        cmd.Parameters.AddWithValue("$t", (object?)entry.Target ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$a", Iso(entry.StartedUtc));
        cmd.Parameters.AddWithValue("$b", Iso(entry.FinishedUtc));
        cmd.Parameters.AddWithValue("$n", entry.Rows);
        cmd.Parameters.AddWithValue("$st", entry.Status.StatusName());
        cmd.Parameters.AddWithValue("$e", (object?)entry.Error ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$q", entry.Requests);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string Iso(DateTime t) =>
        (t == default ? DateTime.UtcNow : t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture);

    public IReadOnlyList<IngestLogEntry> IngestLogs(int limit = 100)
    {
        var list = new List<IngestLogEntry>();
        using var cmd = Command("SELECT id, source, target, started_utc, finished_utc, rows, status, error, requests FROM ingest_logs ORDER BY id DESC LIMIT $l");
        cmd.Parameters.AddWithValue("$l", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new IngestLogEntry
            {
                Id = r.GetInt64(0), Source = r.GetString(1), Target = r.IsDBNull(2) ? null : r.GetString(2),
                StartedUtc = ParseTime(r, 3)!.Value, FinishedUtc = ParseTime(r, 4)!.Value,
                Rows = r.GetInt64(5), Status = CollaborativeStoreExtensions.ParseStatus(r.GetString(6)), Error = r.IsDBNull(7) ? null : r.GetString(7),
                Requests = r.GetInt32(8),
            });
        return list;
    }

    public IReadOnlyList<UserStatsRow> UserStats()
    {
        var list = new List<UserStatsRow>();
        using var cmd = Command("SELECT user, items, interactions, total_plays, loves, last_update FROM user_stats ORDER BY user_id");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new UserStatsRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetDouble(3), r.GetInt64(4), ParseTime(r, 5)));
        return list;
    }

    public IReadOnlyList<ItemPopularityRow> ItemPopularity(int limit = 100)
    {
        var list = new List<ItemPopularityRow>();
        using var cmd = Command("SELECT item, kind, users, plays, loves, avg_plays_per_user FROM item_popularity ORDER BY users DESC, plays DESC, item_id LIMIT $l");
        cmd.Parameters.AddWithValue("$l", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new ItemPopularityRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetInt64(4), r.GetDouble(5)));
        return list;
    }
}
