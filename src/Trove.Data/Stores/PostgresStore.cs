using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The PostgreSQL store: the same tables and behaviour as <see cref="SqliteStore"/> (users, items with kind and
/// features as jsonb, interactions, models, recommendations) plus seed 004's user_similarities, ingest_logs and
/// the user_stats / item_popularity views. Versioned migrations run on open (under an advisory lock, so
/// concurrent openers migrate once). Imports run in ONE transaction and stream interactions with binary COPY;
/// new users/items are copied at commit (foreign keys are deferred to commit), so a failure anywhere leaves
/// the database unchanged.
/// </summary>
public sealed partial class PostgresStore : IInteractionStore, ICollaborativeStore
{
    private const long MigrationLockKey = 0x54726F7665; // "Trove"
    private readonly NpgsqlDataSource _source;
    private readonly NpgsqlConnection _db;
    private readonly SqlStoreQueries _queries;

    public string Location { get; }
    public int SchemaVersion { get; private set; }
    public static int LatestSchemaVersion => PostgresSchema.Migrations.Length;

    private PostgresStore(NpgsqlDataSource source, NpgsqlConnection db, string location)
    {
        _source = source; _db = db; Location = location;
        _queries = new SqlStoreQueries(PostgresDialect.Instance, sql => Command(sql), location);
    }

    // ---------------------------------------------------------------- connection strings

    /// <summary>True for <c>postgres://</c> / <c>postgresql://</c> URLs and Npgsql key=value strings with a Host.</summary>
    public static bool IsConnectionString(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return false;
        s = s.Trim();
        if (s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)) return true;
        return s.Contains('=') && (s.Contains("Host=", StringComparison.OrdinalIgnoreCase) || s.Contains("Server=", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Converts <c>postgres://user[:password]@host[:port]/database[?schema=s&amp;sslmode=...]</c> (or passes an Npgsql
    /// key=value string through) into an Npgsql connection string builder.
    /// </summary>
    public static NpgsqlConnectionStringBuilder ParseConnectionString(string s)
    {
        s = s.Trim();
        try
        {
            if (!s.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !s.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
                return new NpgsqlConnectionStringBuilder(s);
            var uri = new Uri(s);
            var b = new NpgsqlConnectionStringBuilder { Host = string.IsNullOrEmpty(uri.Host) ? "localhost" : uri.Host, Port = uri.Port > 0 ? uri.Port : 5432 };
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var parts = uri.UserInfo.Split(':', 2);
                b.Username = Uri.UnescapeDataString(parts[0]);
                if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
            }
            var db = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
            if (db.Length > 0) b.Database = db;
            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                var key = Uri.UnescapeDataString(kv[0]);
                var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
                if (key.Equals("schema", StringComparison.OrdinalIgnoreCase) || key.Equals("search_path", StringComparison.OrdinalIgnoreCase)) b.SearchPath = value;
                else if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase)) b.SslMode = Enum.Parse<SslMode>(value, ignoreCase: true);
                else if (key.Equals("application_name", StringComparison.OrdinalIgnoreCase)) b.ApplicationName = value;
                else b[key] = value;
            }
            return b;
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException or FormatException or KeyNotFoundException)
        {
            throw new TroveException($"Invalid PostgreSQL connection string '{Describe(s)}': {e.Message} (expected postgres://user@host:port/database or Host=...;Database=...).", e);
        }
    }

    /// <summary>A connection string for messages: no password.</summary>
    public static string Describe(string s)
    {
        try
        {
            var b = s.Contains("://") ? ParseConnectionStringNoThrow(s) : new NpgsqlConnectionStringBuilder(s);
            if (b is null) return "postgres://?";
            var user = string.IsNullOrEmpty(b.Username) ? "" : b.Username + "@";
            var schema = string.IsNullOrEmpty(b.SearchPath) ? "" : "?schema=" + b.SearchPath;
            return $"postgres://{user}{b.Host}:{b.Port}/{b.Database ?? b.Username ?? "postgres"}{schema}";
        }
        catch (Exception) { return "postgres://(unparsable)"; }
    }

    private static NpgsqlConnectionStringBuilder? ParseConnectionStringNoThrow(string s)
    {
        try { return ParseConnectionString(s); } catch (TroveException) { return null; }
    }

    // ---------------------------------------------------------------- open and migrate

    /// <summary>
    /// Connects (creating the database and the schema of the search path when missing, unless told not to) and
    /// applies pending migrations.
    /// </summary>
    /// <param name="waitLimit">Longest connect and statement time (default: Npgsql's 15 s connect, no statement limit).</param>
    public static PostgresStore Open(string connectionString, bool createIfMissing = true, TimeSpan? waitLimit = null)
    {
        var builder = ParseConnectionString(connectionString);
        var location = Describe(connectionString);
        if (string.IsNullOrEmpty(builder.Database)) builder.Database = builder.Username ?? "postgres";
        builder.Enlist = false;
        if (builder.CommandTimeout == 30) builder.CommandTimeout = 0; // bulk statements (index builds, deferred FK checks) can take long
        if (waitLimit is { } limit)
        {
            int seconds = (int)Math.Max(1, Math.Ceiling(limit.TotalSeconds));
            builder.Timeout = Math.Min(builder.Timeout, seconds);
            builder.CommandTimeout = builder.CommandTimeout == 0 ? seconds : Math.Min(builder.CommandTimeout, seconds);
        }
        try
        {
            return OpenCore(builder, location);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName && createIfMissing)
        {
            CreateDatabase(builder);
            return OpenCore(builder, location);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new TroveException($"Database '{location}' does not exist. Create one with: trove import --data PATH --db {location}", e);
        }
        catch (PostgresException e)
        {
            throw new TroveException($"Cannot open PostgreSQL database '{location}': {e.SqlState}: {e.MessageText}", e);
        }
        catch (NpgsqlException e)
        {
            throw new TroveException($"Cannot connect to PostgreSQL at '{location}': {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    private static PostgresStore OpenCore(NpgsqlConnectionStringBuilder builder, string location)
    {
        var source = NpgsqlDataSource.Create(builder.ConnectionString);
        NpgsqlConnection? db = null;
        try
        {
            db = source.OpenConnection();
            var store = new PostgresStore(source, db, location);
            if (!string.IsNullOrEmpty(builder.SearchPath))
            {
                var schema = builder.SearchPath.Split(',')[0].Trim().Trim('"');
                if (schema.Length > 0 && schema != "public" && schema != "$user")
                {
                    try { store.Exec($"CREATE SCHEMA IF NOT EXISTS {Quote(schema)}"); }
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema) { } // created concurrently
                }
            }
            store.Migrate();
            return store;
        }
        catch
        {
            db?.Dispose();
            source.Dispose();
            throw;
        }
    }

    private static void CreateDatabase(NpgsqlConnectionStringBuilder builder)
    {
        var admin = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Database = "postgres", SearchPath = null, Pooling = false };
        using var c = new NpgsqlConnection(admin.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE {Quote(builder.Database!)}", c);
        try { cmd.ExecuteNonQuery(); }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase) { } // created concurrently
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    /// <summary>Applies pending migrations in one transaction under an advisory lock; idempotent.</summary>
    private void Migrate()
    {
        using var tx = _db.BeginTransaction();
        Exec($"SELECT pg_advisory_xact_lock({MigrationLockKey})", tx);
        Exec("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_utc timestamptz NOT NULL)", tx);
        int current = Convert.ToInt32(Scalar("SELECT coalesce(max(version), 0) FROM schema_version", tx), CultureInfo.InvariantCulture);
        var migrations = PostgresSchema.Migrations;
        if (current > migrations.Length)
            throw new TroveException($"Database '{Location}' has schema version {current}, newer than this Trove understands ({migrations.Length}); upgrade Trove.");
        for (int v = current; v < migrations.Length; v++)
        {
            Exec(migrations[v], tx);
            Exec($"INSERT INTO schema_version(version, applied_utc) VALUES ({v + 1}, now())", tx);
        }
        tx.Commit();
        SchemaVersion = migrations.Length;
    }

    /// <summary>Migration versions recorded in the database, in order (for `trove db migrate` and tests).</summary>
    public IReadOnlyList<int> AppliedMigrations()
    {
        var list = new List<int>();
        using var cmd = Command("SELECT version FROM schema_version ORDER BY version");
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetInt32(0));
        return list;
    }

    // ---------------------------------------------------------------- queries

    /// <summary>A round trip on the store's connection: fails when the server is down or the connection broke.</summary>
    public void CheckWritable() => Scalar("SELECT 1");

    public StoreCounts Counts() => new(Count("users"), Count("items"), Count("interactions"), Count("models"), Count("recommendations"));

    private long Count(string table, NpgsqlTransaction? tx = null) => Convert.ToInt64(Scalar($"SELECT count(*) FROM {table}", tx), CultureInfo.InvariantCulture);

    public long LastInteractionId()
    {
        using var cmd = Command("");
        return LiveInteractionQueries.ReadLastId(cmd);
    }

    public IReadOnlyList<InteractionRecord> InteractionsAfter(string user, long afterId)
    {
        using var cmd = Command("");
        return LiveInteractionQueries.ReadAfter(cmd, user, afterId);
    }

    public async Task<long> LastInteractionIdAsync(CancellationToken cancel = default)
    {
        await using var cmd = Command("");
        return await LiveInteractionQueries.ReadLastIdAsync(cmd, cancel);
    }

    public async Task<IReadOnlyList<InteractionRecord>> InteractionsAfterAsync(string user, long afterId, CancellationToken cancel = default)
    {
        await using var cmd = Command("");
        return await LiveInteractionQueries.ReadAfterAsync(cmd, user, afterId, cancel);
    }

    public Dataset LoadDataset(IProgressReporter? progress = null)
    {
        // One snapshot for the whole read.
        using var tx = _db.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var kinds = new Dictionary<(string, string), FeatureKind>();
        using (var cmd = Command("SELECT entity, name, kind FROM feature_columns ORDER BY ord", tx))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) kinds[(r.GetString(0), r.GetString(1))] = StoreFeatures.ParseKind(r.GetString(2));
        var (users, userRows, userFeatures) = LoadEntities("users", "user", kinds, tx);
        var (items, itemRows, itemFeatures) = LoadEntities("items", "item", kinds, tx);

        long total = Count("interactions", tx);
        using var task = progress.StartRows("load interactions", total);
        var log = new InteractionLogBuilder();
        var events = new Dictionary<string, short>(StringComparer.Ordinal);
        using (var reader = _db.BeginBinaryExport("COPY (SELECT user_id, item_id, weight, score, \"timestamp\", event FROM interactions ORDER BY id) TO STDOUT (FORMAT BINARY)"))
        {
            long n = 0;
            while (reader.StartRow() >= 0)
            {
                int u = Lookup(userRows, reader.Read<long>(NpgsqlDbType.Bigint), "user");
                int i = Lookup(itemRows, reader.Read<long>(NpgsqlDbType.Bigint), "item");
                float w = reader.Read<float>(NpgsqlDbType.Real);
                float? score = reader.IsNull ? Skip<float?>(reader) : reader.Read<float>(NpgsqlDbType.Real);
                long ts = reader.IsNull ? Skip<long>(reader) : reader.Read<long>(NpgsqlDbType.Bigint);
                short e = -1;
                if (reader.IsNull) reader.Skip();
                else
                {
                    var name = reader.Read<string>(NpgsqlDbType.Text);
                    if (!events.TryGetValue(name, out e)) events[name] = e = log.EventIndex(name);
                }
                if (score is float s) log.Add(u, i, w, ts, e, s);
                else log.Add(u, i, w, ts, e);
                if ((++n & 0xFFFF) == 0) task?.Advance(0x10000);
            }
            task?.Advance(n & 0xFFFF);
        }
        tx.Commit();
        return new Dataset(users, items, log.Build(), userFeatures, itemFeatures, Location);
    }

    private static T Skip<T>(NpgsqlBinaryExporter reader) { reader.Skip(); return default!; }

    private static int Lookup(Dictionary<long, int> rows, long id, string what) =>
        rows.TryGetValue(id, out int at) ? at : throw new TroveException($"The database refers to a missing {what} row {id}.");

    private (IdMap Ids, Dictionary<long, int> Rows, FeatureTable Features) LoadEntities(string table, string entity, Dictionary<(string, string), FeatureKind> kinds, NpgsqlTransaction tx)
    {
        var ids = new List<string>();
        var rows = new Dictionary<long, int>();
        var features = new StoreFeatures.Reader(entity, kinds);
        using var cmd = Command($"SELECT id, external_id, features::text FROM {table} ORDER BY id", tx);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            int index = ids.Count;
            rows.Add(r.GetInt64(0), index);
            ids.Add(r.GetString(1));
            if (!r.IsDBNull(2)) features.Add(index, r.GetString(2));
        }
        return (new IdMap(ids), rows, features.Build(ids.Count));
    }

    // ---------------------------------------------------------------- models and recommendations

    public IReadOnlyList<CatalogueItemRow> CatalogueItems() => _queries.CatalogueItems();

    public void RegisterModel(ModelRecord model) => _queries.RegisterModel(model);

    public void SetModelMetrics(string modelVersion, string metricsJson) => _queries.SetModelMetrics(modelVersion, metricsJson);

    public IReadOnlyList<ModelRecord> ListModels() => _queries.ListModels();

    public int SaveRecommendations(string modelVersion, IEnumerable<RecommendationRow> rows) =>
        SaveRecommendationsCore(modelVersion, rows, isAsync: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<int> SaveRecommendationsAsync(string modelVersion, IEnumerable<RecommendationRow> rows, CancellationToken cancel = default) =>
        SaveRecommendationsCore(modelVersion, rows, isAsync: true, cancel);

    /// <summary>Both saves, written once: with <paramref name="isAsync"/> false nothing is awaited and the task is complete on return.</summary>
    private async Task<int> SaveRecommendationsCore(string modelVersion, IEnumerable<RecommendationRow> rows, bool isAsync, CancellationToken cancel)
    {
        StoredRowChecks.ModelVersion(modelVersion);
        await using var tx = isAsync ? await _db.BeginTransactionAsync(cancel) : _db.BeginTransaction();
        await using (var delete = Command("DELETE FROM recommendations WHERE model_version = @v", tx))
        {
            delete.Parameters.AddWithValue("v", modelVersion);
            if (isAsync) await delete.ExecuteNonQueryAsync(cancel); else delete.ExecuteNonQuery();
        }
        int n = 0;
        var now = DateTime.UtcNow;
        try
        {
            const string Copy = "COPY recommendations(model_version, \"user\", rank, item, score, created_utc) FROM STDIN (FORMAT BINARY)";
            await using var copy = new CopyRows(isAsync ? await _db.BeginBinaryImportAsync(Copy, cancel) : _db.BeginBinaryImport(Copy), isAsync, cancel);
            foreach (var row in rows)
            {
                StoredRowChecks.Recommendation(row);
                await copy.StartRow();
                await copy.Write(modelVersion, NpgsqlDbType.Text);
                await copy.Write(row.User, NpgsqlDbType.Text);
                await copy.Write(row.Rank, NpgsqlDbType.Integer);
                await copy.Write(row.Item, NpgsqlDbType.Text);
                await copy.Write(row.Score, NpgsqlDbType.Real);
                await copy.Write(now, NpgsqlDbType.TimestampTz);
                n++;
            }
            await copy.Complete();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new TroveException($"Duplicate recommendation rank for one user in model '{modelVersion}': {e.MessageText}", e);
        }
        if (isAsync) await tx.CommitAsync(cancel); else tx.Commit();
        return n;
    }

    /// <summary>
    /// A binary COPY written synchronously or awaited, so one body serves a sync method and its async twin. The async
    /// writes complete synchronously until the importer's buffer fills; the token is checked every 4,096 rows as well
    /// (an awaited write only sees it when it has to wait).
    /// </summary>
    private sealed class CopyRows(NpgsqlBinaryImporter copy, bool isAsync, CancellationToken cancel) : IAsyncDisposable
    {
        private long _rows;

        public ValueTask StartRow()
        {
            if ((_rows++ & 4095) == 0) cancel.ThrowIfCancellationRequested();
            if (isAsync) return new ValueTask(copy.StartRowAsync(cancel));
            copy.StartRow();
            return ValueTask.CompletedTask;
        }

        public ValueTask Write<T>(T value, NpgsqlDbType type)
        {
            if (isAsync) return new ValueTask(copy.WriteAsync(value, type, cancel));
            copy.Write(value, type);
            return ValueTask.CompletedTask;
        }

        public async ValueTask Complete()
        {
            if (isAsync) await copy.CompleteAsync(cancel); else copy.Complete();
        }

        public ValueTask DisposeAsync() => isAsync ? copy.DisposeAsync() : Dispose();

        private ValueTask Dispose() { copy.Dispose(); return ValueTask.CompletedTask; }
    }

    public IReadOnlyList<RecommendationRow> GetRecommendations(string modelVersion, string? user = null) => _queries.GetRecommendations(modelVersion, user);

    // ---------------------------------------------------------------- similarities, ingest logs, views

    public int SaveUserSimilarities(string metric, IEnumerable<UserSimilarityRow> rows) =>
        SaveUserSimilaritiesCore(metric, rows, isAsync: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<int> SaveUserSimilaritiesAsync(string metric, IEnumerable<UserSimilarityRow> rows, CancellationToken cancel = default) =>
        SaveUserSimilaritiesCore(metric, rows, isAsync: true, cancel);

    private async Task<int> SaveUserSimilaritiesCore(string metric, IEnumerable<UserSimilarityRow> rows, bool isAsync, CancellationToken cancel)
    {
        await using var tx = isAsync ? await _db.BeginTransactionAsync(cancel) : _db.BeginTransaction();
        async Task Run(NpgsqlCommand cmd) { if (isAsync) await cmd.ExecuteNonQueryAsync(cancel); else cmd.ExecuteNonQuery(); }
        await using (var lockTable = Command("LOCK TABLE user_similarity_scores IN EXCLUSIVE MODE", tx)) await Run(lockTable);
        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = Command("SELECT id, external_id FROM users", tx))
        await using (var r = isAsync ? await cmd.ExecuteReaderAsync(cancel) : cmd.ExecuteReader())
            while (isAsync ? await r.ReadAsync(cancel) : r.Read()) ids[r.GetString(1)] = r.GetInt64(0);
        await using (var delete = Command("DELETE FROM user_similarity_scores WHERE metric = @m", tx))
        {
            delete.Parameters.AddWithValue("m", metric);
            await Run(delete);
        }
        int n = 0;
        var now = DateTime.UtcNow;
        try
        {
            const string Copy = "COPY user_similarity_scores(user_id, rank, similar_user_id, similarity, shared_items, metric, computed_utc) FROM STDIN (FORMAT BINARY)";
            await using var copy = new CopyRows(isAsync ? await _db.BeginBinaryImportAsync(Copy, cancel) : _db.BeginBinaryImport(Copy), isAsync, cancel);
            foreach (var row in rows)
            {
                var (u, o) = StoredRowChecks.Similarity(row, ids);
                await copy.StartRow();
                await copy.Write(u, NpgsqlDbType.Bigint);
                await copy.Write(row.Rank, NpgsqlDbType.Integer);
                await copy.Write(o, NpgsqlDbType.Bigint);
                await copy.Write(row.Similarity, NpgsqlDbType.Real);
                await copy.Write(row.SharedItems, NpgsqlDbType.Integer);
                await copy.Write(metric, NpgsqlDbType.Text);
                await copy.Write(now, NpgsqlDbType.TimestampTz);
                n++;
            }
            await copy.Complete();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new TroveException($"Duplicate similarity rank for one user: {e.MessageText}; nothing was saved.", e);
        }
        if (isAsync) await tx.CommitAsync(cancel); else tx.Commit();
        return n;
    }

    public IReadOnlyList<UserSimilarityRow> GetUserSimilarities(string? user = null, string? metric = null) => _queries.GetUserSimilarities(user, metric);

    public IReadOnlyList<LastFmUserProfile> LastFmUsers() => _queries.LastFmUsers();

    public IReadOnlyList<UserItemTag> UserItemTags(string? user = null) => _queries.UserItemTags(user);

    public long LogIngest(IngestLogEntry entry) => _queries.LogIngest(entry);

    public IReadOnlyList<IngestLogEntry> IngestLogs(int limit = 100) => _queries.IngestLogs(limit);

    public IReadOnlyList<UserStatsRow> UserStats() => _queries.UserStats();

    public IReadOnlyList<ItemPopularityRow> ItemPopularity(int limit = 100) => _queries.ItemPopularity(limit);

    // ---------------------------------------------------------------- helpers

    private NpgsqlCommand Command(string sql, NpgsqlTransaction? tx = null) => new(sql, _db, tx);

    private void Exec(string sql, NpgsqlTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql, NpgsqlTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        return cmd.ExecuteScalar();
    }

    public void Dispose()
    {
        _db.Dispose();
        _source.Dispose();
    }
}
