using System.Data;
using System.Data.Common;
using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The statements <see cref="SqliteStore"/> and <see cref="PostgresStore"/> share, written once: models,
/// recommendations read back, the catalogue, similarities read back, ingest logs, the Last.fm tables and the summary
/// views, and the per-user replacement of fetched interactions. The two stores differ only where
/// <see cref="ISqlDialect"/> says (times, byte-wise ordering, JSON as text) and in how they write rows in bulk
/// (binary COPY against prepared multi-row INSERTs), which stays in each store.
/// </summary>
/// <param name="command">A new command on the store's connection, outside any transaction.</param>
internal sealed class SqlStoreQueries(ISqlDialect dialect, Func<string, DbCommand> command, string location)
{
    public IReadOnlyList<CatalogueItemRow> CatalogueItems()
    {
        using var cmd = command($"SELECT external_id, {dialect.JsonText("features")}, hidden, published_utc, catalogue_utc FROM items WHERE catalogue_utc IS NOT NULL ORDER BY catalogue_utc, id");
        using var r = cmd.ExecuteReader();
        var rows = new List<CatalogueItemRow>();
        while (r.Read())
            rows.Add(new CatalogueItemRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetBoolean(2),
                dialect.ReadTime(r, 3) is { } published ? new DateTimeOffset(published) : null, new DateTimeOffset(dialect.ReadTime(r, 4)!.Value)));
        return rows;
    }

    public void RegisterModel(ModelRecord model)
    {
        using var cmd = command("""
            INSERT INTO models(algorithm, model_version, path, parameters, data_fingerprint, created_utc, metrics)
            VALUES (@a, @v, @p, @params, @fp, @c, @m)
            ON CONFLICT(model_version) DO UPDATE SET algorithm = excluded.algorithm, path = excluded.path,
                parameters = excluded.parameters, data_fingerprint = excluded.data_fingerprint,
                created_utc = excluded.created_utc, metrics = coalesce(excluded.metrics, models.metrics)
            """);
        Add(cmd, "a", model.Algorithm);
        Add(cmd, "v", model.ModelVersion);
        Add(cmd, "p", model.Path, DbType.String);
        Add(cmd, "params", model.ParametersJson);
        Add(cmd, "fp", model.DataFingerprint, DbType.String);
        Add(cmd, "c", dialect.Time(model.CreatedUtc.ToUniversalTime()));
        Add(cmd, "m", model.MetricsJson, DbType.String);
        cmd.ExecuteNonQuery();
    }

    public void SetModelMetrics(string modelVersion, string metricsJson)
    {
        using var cmd = command("UPDATE models SET metrics = @m WHERE model_version = @v");
        Add(cmd, "m", metricsJson);
        Add(cmd, "v", modelVersion);
        if (cmd.ExecuteNonQuery() == 0) throw new TroveException($"No model '{modelVersion}' in {location}.");
    }

    public IReadOnlyList<ModelRecord> ListModels()
    {
        var list = new List<ModelRecord>();
        using var cmd = command("SELECT algorithm, model_version, path, parameters, data_fingerprint, created_utc, metrics FROM models ORDER BY id");
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new ModelRecord
            {
                Algorithm = r.GetString(0),
                ModelVersion = r.GetString(1),
                Path = r.IsDBNull(2) ? null : r.GetString(2),
                ParametersJson = r.GetString(3),
                DataFingerprint = r.IsDBNull(4) ? null : r.GetString(4),
                CreatedUtc = dialect.ReadTime(r, 5)!.Value,
                MetricsJson = r.IsDBNull(6) ? null : r.GetString(6),
            });
        return list;
    }

    public IReadOnlyList<RecommendationRow> GetRecommendations(string modelVersion, string? user)
    {
        var list = new List<RecommendationRow>();
        using var cmd = command(user is null
            ? $"SELECT \"user\", rank, item, score FROM recommendations WHERE model_version = @v ORDER BY {dialect.Bytewise("\"user\"")}, rank"
            : "SELECT \"user\", rank, item, score FROM recommendations WHERE model_version = @v AND \"user\" = @u ORDER BY rank");
        Add(cmd, "v", modelVersion);
        if (user is not null) Add(cmd, "u", user);
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new RecommendationRow(r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetFloat(3)));
        return list;
    }

    public IReadOnlyList<UserSimilarityRow> GetUserSimilarities(string? user, string? metric)
    {
        var list = new List<UserSimilarityRow>();
        using var cmd = command($"""
            SELECT a.external_id, s.rank, b.external_id, s.similarity, s.shared_items, s.metric
            FROM user_similarity_scores s JOIN users a ON a.id = s.user_id JOIN users b ON b.id = s.similar_user_id
            WHERE 1 = 1{(user is null ? "" : " AND a.external_id = @u")}{(metric is null ? "" : " AND s.metric = @m")}
            ORDER BY {dialect.Bytewise("s.metric")}, {dialect.Bytewise("a.external_id")}, s.rank
            """);
        if (user is not null) Add(cmd, "u", user);
        if (metric is not null) Add(cmd, "m", metric);
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new UserSimilarityRow(r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetFloat(3), r.GetInt32(4), r.GetString(5)));
        return list;
    }

    public IReadOnlyList<LastFmUserProfile> LastFmUsers()
    {
        var list = new List<LastFmUserProfile>();
        using var cmd = command("SELECT username, real_name, country, playcount, registered_at, profile_url, fetched_at FROM lastfm_users");
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new LastFmUserProfile(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                r.IsDBNull(3) ? null : r.GetInt64(3), dialect.ReadTime(r, 4), r.IsDBNull(5) ? null : r.GetString(5)) { FetchedUtc = dialect.ReadTime(r, 6) });
        // Ordinal (UTF-16) order as the interface promises, which neither database's collation is.
        list.Sort((a, b) => string.CompareOrdinal(a.User, b.User));
        return list;
    }

    public IReadOnlyList<UserItemTag> UserItemTags(string? user)
    {
        var list = new List<UserItemTag>();
        using var cmd = command("SELECT u.external_id, it.external_id, t.tag FROM user_item_tags t JOIN users u ON u.id = t.user_id JOIN items it ON it.id = t.item_id" +
                                (user is null ? "" : " WHERE u.external_id = @u"));
        if (user is not null) Add(cmd, "u", user);
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new UserItemTag(r.GetString(0), r.GetString(1), r.GetString(2)));
        return StoredRowChecks.SortTags(list);
    }

    public long LogIngest(IngestLogEntry entry)
    {
        using var cmd = command("""
            INSERT INTO ingest_logs(source, target, started_utc, finished_utc, rows, status, error, requests)
            VALUES (@s, @t, @a, @b, @n, @st, @e, @q) RETURNING id
            """);
        Add(cmd, "s", entry.Source);
        Add(cmd, "t", entry.Target, DbType.String);
        Add(cmd, "a", dialect.Time(Utc(entry.StartedUtc)));
        Add(cmd, "b", dialect.Time(Utc(entry.FinishedUtc)));
        Add(cmd, "n", entry.Rows);
        Add(cmd, "st", entry.Status.StatusName());
        Add(cmd, "e", entry.Error, DbType.String);
        Add(cmd, "q", entry.Requests);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public IReadOnlyList<IngestLogEntry> IngestLogs(int limit)
    {
        var list = new List<IngestLogEntry>();
        using var cmd = command("SELECT id, source, target, started_utc, finished_utc, rows, status, error, requests FROM ingest_logs ORDER BY id DESC LIMIT @l");
        Add(cmd, "l", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new IngestLogEntry
            {
                Id = r.GetInt64(0), Source = r.GetString(1), Target = r.IsDBNull(2) ? null : r.GetString(2),
                StartedUtc = dialect.ReadTime(r, 3)!.Value, FinishedUtc = dialect.ReadTime(r, 4)!.Value,
                Rows = r.GetInt64(5), Status = CollaborativeStoreExtensions.ParseStatus(r.GetString(6)), Error = r.IsDBNull(7) ? null : r.GetString(7),
                Requests = r.GetInt32(8),
            });
        return list;
    }

    public IReadOnlyList<UserStatsRow> UserStats()
    {
        var list = new List<UserStatsRow>();
        using var cmd = command("SELECT \"user\", items, interactions, total_plays, loves, last_update FROM user_stats ORDER BY user_id");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new UserStatsRow(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetDouble(3), r.GetInt64(4), dialect.ReadTime(r, 5)));
        return list;
    }

    public IReadOnlyList<ItemPopularityRow> ItemPopularity(int limit)
    {
        var list = new List<ItemPopularityRow>();
        using var cmd = command("SELECT item, kind, users, plays, loves, avg_plays_per_user FROM item_popularity ORDER BY users DESC, plays DESC, item_id LIMIT @l");
        Add(cmd, "l", limit);
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new ItemPopularityRow(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetInt64(4), r.GetDouble(5)));
        return list;
    }

    // ---------------------------------------------------------------- per-user replacement (Last.fm fetches)

    /// <summary>
    /// <see cref="ICollaborativeStore.ReplaceUserInteractions"/> for either store: one import session (one transaction)
    /// deletes the user's interactions of the given events, adds the items and rows, and writes the profile and tags.
    /// </summary>
    public static ImportResult ReplaceUserInteractions(IUserImportSession session, string user, IReadOnlyCollection<string>? events, IdMap items,
        FeatureTable itemFeatures, IEnumerable<InteractionRecord> rows, LastFmUserProfile? profile, IReadOnlyCollection<UserItemTag>? tags)
    {
        session.ClearUserInteractions(user, events);
        session.AddItems(items, itemFeatures);
        session.AddInteractions(rows.Select(r => r.User == user ? r : throw new TroveException($"ReplaceUserInteractions('{user}') got a row of user '{r.User}'.")));
        if (profile is not null || tags is not null) session.WriteUserExtras(user, profile, tags);
        return session.Commit();
    }

    /// <summary>
    /// The user's lastfm_users row (inserted or replaced) and user_item_tags rows (replaced), inside an import's transaction.
    /// </summary>
    /// <param name="commandInTransaction">A new command in the import's transaction.</param>
    /// <param name="itemId">An item's row id by external id, null when unknown.</param>
    public static void WriteUserExtras(ISqlDialect dialect, Func<string, DbCommand> commandInTransaction, long userId, string user,
        LastFmUserProfile? profile, IReadOnlyCollection<UserItemTag>? tags, Func<string, long?> itemId)
    {
        var now = dialect.Time(DateTime.UtcNow);
        if (profile is not null)
        {
            if (profile.User != user) throw new TroveException($"ReplaceUserInteractions('{user}') got the profile of user '{profile.User}'.");
            using var cmd = commandInTransaction("""
                INSERT INTO lastfm_users(user_id, username, real_name, country, playcount, registered_at, profile_url, fetched_at)
                VALUES (@id, @u, @n, @c, @p, @r, @url, @t)
                ON CONFLICT(user_id) DO UPDATE SET username = excluded.username, real_name = excluded.real_name, country = excluded.country,
                    playcount = excluded.playcount, registered_at = excluded.registered_at, profile_url = excluded.profile_url, fetched_at = excluded.fetched_at
                """);
            Add(cmd, "id", userId);
            Add(cmd, "u", user);
            Add(cmd, "n", profile.RealName, DbType.String);
            Add(cmd, "c", profile.Country, DbType.String);
            Add(cmd, "p", profile.PlayCount, DbType.Int64);
            Add(cmd, "r", profile.RegisteredUtc is { } registered ? dialect.Time(Utc(registered)) : null, DbType.DateTime);
            Add(cmd, "url", profile.ProfileUrl, DbType.String);
            Add(cmd, "t", now);
            cmd.ExecuteNonQuery();
        }
        if (tags is null) return;
        // Checked before anything is written, so a bad tag leaves the user's old tags as they were.
        var rows = tags.Select(t => StoredRowChecks.Tag(t, user, itemId)).Distinct().ToList();
        using (var delete = commandInTransaction("DELETE FROM user_item_tags WHERE user_id = @u"))
        {
            Add(delete, "u", userId);
            delete.ExecuteNonQuery();
        }
        if (rows.Count == 0) return;
        using var insert = commandInTransaction("INSERT INTO user_item_tags(user_id, item_id, tag, fetched_at) VALUES (@u, @i, @tag, @t)");
        Add(insert, "u", userId);
        var item = Add(insert, "i", 0L);
        var tag = Add(insert, "tag", "");
        Add(insert, "t", now);
        insert.Prepare();
        foreach (var (itemRow, name) in rows)
        {
            item.Value = itemRow;
            tag.Value = name;
            insert.ExecuteNonQuery();
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A time as UTC: the default value means now, a local time is converted, an unspecified one is taken as UTC.</summary>
    public static DateTime Utc(DateTime t) =>
        t == default ? DateTime.UtcNow : DateTime.SpecifyKind(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t, DateTimeKind.Utc);

    /// <summary>Binds <paramref name="value"/> (null as SQL NULL of <paramref name="nullType"/>) to the named parameter.</summary>
    public static DbParameter Add(DbCommand command, string name, object? value, DbType? nullType = null)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        if (value is null && nullType is { } type) p.DbType = type;
        command.Parameters.Add(p);
        return p;
    }
}

/// <summary>An import session that can also replace one user's interactions and Last.fm extras (both stores' sessions).</summary>
internal interface IUserImportSession : IImportSession
{
    /// <summary>Deletes the user's interactions (of the given events, or all).</summary>
    void ClearUserInteractions(string user, IReadOnlyCollection<string>? events);

    /// <summary>Writes the user's Last.fm profile and tags in this transaction (the user is added when new).</summary>
    void WriteUserExtras(string user, LastFmUserProfile? profile, IReadOnlyCollection<UserItemTag>? tags);
}
