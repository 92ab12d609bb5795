using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The default store: one SQLite file in WAL mode. Schema changes are versioned migrations recorded in
/// <c>schema_version</c>. Tables: users and items (external id + features JSON), feature_columns
/// (each feature's kind), interactions, models, recommendations. Imports run in one transaction with
/// prepared, parameterised inserts.
/// </summary>
public sealed partial class SqliteStore : IInteractionStore
{
    private readonly SqliteConnection _db;
    private readonly SqlStoreQueries _queries;

    public string Location { get; }
    public int SchemaVersion { get; private set; }

    private SqliteStore(string path, SqliteConnection connection)
    {
        Location = path;
        _db = connection;
        _queries = new SqlStoreQueries(SqliteDialect.Instance, sql => Command(sql), path);
    }

    /// <summary>Opens (and migrates) the database at <paramref name="path"/>, creating it unless told not to.</summary>
    /// <param name="waitLimit">Longest wait for another writer's lock (default: 30 s of retries plus SQLite's 5 s busy timeout).</param>
    public static SqliteStore Open(string path, bool createIfMissing = true, TimeSpan? waitLimit = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            if (!createIfMissing) throw new TroveException($"Database '{path}' does not exist. Create one with: trove import --data PATH --db {path}");
            var dir = Path.GetDirectoryName(full);
            if (dir is not null) Directory.CreateDirectory(dir);
        }
        else if (!LooksLikeDatabase(full, checkExtension: false) && new FileInfo(full).Length > 0)
            throw new TroveException($"'{path}' is not a SQLite database.");
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = createIfMissing ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = waitLimit is null ? 30 : 1, // seconds of retries on SQLITE_BUSY once busy_timeout has passed (0 would retry forever)
        }.ToString();
        int busyMs = waitLimit is { } wait ? (int)Math.Max(1, wait.TotalMilliseconds) : 5000;
        var connection = new SqliteConnection(cs);
        try
        {
            connection.Open();
            var store = new SqliteStore(full, connection);
            // WAL with synchronous=FULL: a committed transaction (an import, an acknowledged POST /events) survives a
            // process kill and also an OS crash or power loss; NORMAL may lose the last commits on power loss. The cost
            // is one fsync of the WAL per commit, and Trove commits whole imports and event batches at once.
            // 8 KB pages for a new database (an existing one keeps its own; SQLite fixes the size once the first table
            // exists, and in WAL mode before that): a 5M-row import ran in 8.65-8.91 s instead of 9.65-9.79 s with 4 KB
            // pages (fewer B-tree pages to split and write), bench/RESULTS.md "SQLite page size".
            store.Exec("PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=" + busyMs.ToString(CultureInfo.InvariantCulture) + "; PRAGMA cache_size=" + CacheSizeKib + "; PRAGMA temp_store=MEMORY;");
            store.Migrate();
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new TroveException($"Cannot open database '{path}': {e.Message}", e);
        }
    }

    /// <summary>True for a file that starts with the SQLite header (or, when it is empty or missing, has a .db/.sqlite extension).</summary>
    public static bool LooksLikeDatabase(string path, bool checkExtension = true)
    {
        if (File.Exists(path) && new FileInfo(path).Length >= 16)
        {
            Span<byte> head = stackalloc byte[16];
            using var f = File.OpenRead(path);
            f.ReadExactly(head);
            return head.SequenceEqual("SQLite format 3\0"u8);
        }
        return checkExtension && new[] { ".db", ".sqlite", ".sqlite3" }.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    // ---------------------------------------------------------------- migrations

    /// <summary>Each entry moves the schema from version i to i+1. Never edit a released entry; append a new one.</summary>
    internal static readonly string[] Migrations =
    [
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            external_id TEXT NOT NULL UNIQUE,
            features TEXT
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            external_id TEXT NOT NULL UNIQUE,
            features TEXT
        );
        CREATE TABLE feature_columns (
            entity TEXT NOT NULL CHECK (entity IN ('user', 'item')),
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('categorical', 'numeric', 'text')),
            PRIMARY KEY (entity, name)
        );
        CREATE TABLE interactions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            weight REAL NOT NULL,
            score REAL,
            timestamp INTEGER,
            event TEXT
        );
        CREATE INDEX IF NOT EXISTS ix_interactions_user ON interactions(user_id);
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            algorithm TEXT NOT NULL,
            model_version TEXT NOT NULL UNIQUE,
            path TEXT,
            parameters TEXT NOT NULL DEFAULT '{}',
            data_fingerprint TEXT,
            created_utc TEXT NOT NULL,
            metrics TEXT
        );
        CREATE TABLE recommendations (
            model_version TEXT NOT NULL,
            user TEXT NOT NULL,
            rank INTEGER NOT NULL,
            item TEXT NOT NULL,
            score REAL NOT NULL,
            created_utc TEXT NOT NULL,
            PRIMARY KEY (model_version, user, rank)
        ) WITHOUT ROWID;
        """,
        // 2: seed 004 (collaborative filtering), equivalent to PostgresSchema version 2.
        """
        ALTER TABLE items ADD COLUMN kind TEXT;
        CREATE INDEX ix_items_kind ON items(kind);
        ALTER TABLE users ADD COLUMN updated_utc TEXT;
        CREATE INDEX IF NOT EXISTS ix_interactions_item ON interactions(item_id);
        CREATE TABLE user_similarities (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            rank INTEGER NOT NULL,
            similar_user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            similarity REAL NOT NULL,
            shared_items INTEGER NOT NULL,
            metric TEXT NOT NULL,
            computed_utc TEXT NOT NULL,
            PRIMARY KEY (user_id, rank)
        ) WITHOUT ROWID;
        CREATE INDEX ix_user_similarities_score ON user_similarities(similarity DESC);
        CREATE TABLE ingest_logs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            target TEXT,
            started_utc TEXT NOT NULL,
            finished_utc TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('ok', 'skipped', 'failed')),
            error TEXT,
            requests INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ix_ingest_logs_started ON ingest_logs(started_utc DESC);
        CREATE INDEX ix_recommendations_score ON recommendations(model_version, score DESC);
        CREATE VIEW user_stats AS
        SELECT u.id AS user_id, u.external_id AS user,
               count(DISTINCT i.item_id) AS items,
               count(i.id) AS interactions,
               coalesce(sum(CASE WHEN i.event = 'play' THEN coalesce(i.score, i.weight) ELSE 0 END), 0) * 1.0 AS total_plays,
               coalesce(sum(CASE WHEN i.event = 'love' THEN 1 ELSE 0 END), 0) AS loves,
               u.updated_utc AS last_update
        FROM users u LEFT JOIN interactions i ON i.user_id = u.id
        GROUP BY u.id, u.external_id, u.updated_utc;
        CREATE VIEW item_popularity AS
        SELECT it.id AS item_id, it.external_id AS item, it.kind,
               count(DISTINCT i.user_id) AS users,
               coalesce(sum(CASE WHEN i.event = 'play' THEN coalesce(i.score, i.weight) ELSE 0 END), 0) * 1.0 AS plays,
               coalesce(sum(CASE WHEN i.event = 'love' THEN 1 ELSE 0 END), 0) AS loves,
               coalesce(sum(CASE WHEN i.event = 'play' THEN coalesce(i.score, i.weight) ELSE 0 END), 0) * 1.0
                   / max(count(DISTINCT i.user_id), 1) AS avg_plays_per_user
        FROM items it JOIN interactions i ON i.item_id = it.id
        GROUP BY it.id, it.external_id, it.kind;
        """,
        // 3: seed 004's relations under the guide's names, equivalent to PostgresSchema version 3 (SQLite cannot change
        // a primary key in place, so user_similarities is copied into user_similarity_scores and becomes a view).
        """
        CREATE TABLE lastfm_users (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            username TEXT NOT NULL UNIQUE,
            real_name TEXT,
            country TEXT,
            playcount INTEGER,
            registered_at TEXT,
            profile_url TEXT,
            fetched_at TEXT NOT NULL
        );
        CREATE TABLE user_item_tags (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (user_id, item_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX ix_user_item_tags_item ON user_item_tags(item_id);
        CREATE TABLE user_similarity_scores (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            rank INTEGER NOT NULL,
            similar_user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            similarity REAL NOT NULL,
            shared_items INTEGER NOT NULL,
            metric TEXT NOT NULL,
            computed_utc TEXT NOT NULL,
            PRIMARY KEY (metric, user_id, rank)
        ) WITHOUT ROWID;
        INSERT INTO user_similarity_scores SELECT user_id, rank, similar_user_id, similarity, shared_items, metric, computed_utc FROM user_similarities;
        DROP TABLE user_similarities;
        CREATE INDEX ix_user_similarity_scores_score ON user_similarity_scores(similarity DESC);
        CREATE VIEW user_similarities AS
        SELECT s.user_id, a.external_id AS username, s.similar_user_id, b.external_id AS similar_username,
               s.metric, s.rank, s.similarity AS similarity_score, s.shared_items, s.computed_utc AS computed_at
        FROM user_similarity_scores s JOIN users a ON a.id = s.user_id JOIN users b ON b.id = s.similar_user_id;
        CREATE VIEW data_fetch_logs AS
        SELECT id, target AS username, source AS fetch_type, status, rows AS items_fetched, error AS error_message,
               requests, started_utc AS started_at, finished_utc AS completed_at,
               (julianday(finished_utc) - julianday(started_utc)) * 86400.0 AS duration_seconds
        FROM ingest_logs;
        CREATE VIEW collaborative_recommendations AS
        SELECT r.user AS username, r.rank, r.item, it.kind AS item_kind, json_extract(it.features, '$.name') AS item_name,
               json_extract(it.features, '$.artist') AS artist_name, r.score AS recommendation_score, r.model_version, m.algorithm,
               r.created_utc AS created_at
        FROM recommendations r LEFT JOIN models m ON m.model_version = r.model_version
             LEFT JOIN items it ON it.external_id = r.item;
        CREATE VIEW user_item_summary AS
        SELECT i.user_id, i.item_id,
               coalesce(sum(CASE WHEN i.event = 'play' THEN coalesce(i.score, i.weight) ELSE 0 END), 0) * 1.0 AS play_count,
               coalesce(max(i.event = 'love'), 0) AS loved,
               strftime('%Y-%m-%dT%H:%M:%SZ', max(CASE WHEN i.event = 'love' AND i.timestamp > 0 THEN i.timestamp END), 'unixepoch') AS loved_at,
               (SELECT group_concat(tag, ',') FROM (SELECT t.tag FROM user_item_tags t WHERE t.user_id = i.user_id AND t.item_id = i.item_id ORDER BY t.tag)) AS tags
        FROM interactions i
        GROUP BY i.user_id, i.item_id;
""" + V3KindView("user_track_interactions", "track", "track") + V3KindView("user_album_interactions", "album", "album") + V3KindView("user_artist_interactions", "artist", "artist") + """
        CREATE VIEW track_popularity_across_users AS
        SELECT it.id AS track_id, it.external_id AS track, json_extract(it.features, '$.name') AS track_name,
               json_extract(it.features, '$.artist') AS artist_name,
               count(*) FILTER (WHERE s.play_count > 0) AS listeners,
               count(*) AS users,
               sum(s.play_count) AS total_plays,
               sum(s.play_count) / max(count(*) FILTER (WHERE s.play_count > 0), 1) AS avg_plays_per_user,
               count(*) FILTER (WHERE s.loved) AS total_loves,
               count(*) FILTER (WHERE s.tags IS NOT NULL) AS users_tagged
        FROM user_item_summary s JOIN items it ON it.id = s.item_id
        WHERE it.kind = 'track'
        GROUP BY it.id;
        CREATE VIEW user_listening_stats AS
        SELECT u.id AS user_id, u.external_id AS username, l.real_name, l.country, l.playcount AS lastfm_playcount,
               count(*) FILTER (WHERE it.kind = 'track') AS total_tracks,
               count(*) FILTER (WHERE it.kind = 'album') AS total_albums,
               count(*) FILTER (WHERE it.kind = 'artist') AS total_artists,
               coalesce(sum(s.play_count) FILTER (WHERE it.kind = 'track'), 0) * 1.0 AS total_track_plays,
               coalesce(sum(s.play_count), 0) * 1.0 AS total_plays,
               count(*) FILTER (WHERE s.loved) AS loved_tracks,
               count(*) FILTER (WHERE s.tags IS NOT NULL) AS tagged_items,
               u.updated_utc AS last_updated, l.fetched_at AS last_fetched
        FROM users u LEFT JOIN lastfm_users l ON l.user_id = u.id
             LEFT JOIN user_item_summary s ON s.user_id = u.id LEFT JOIN items it ON it.id = s.item_id
        GROUP BY u.id;
        """,
        // 4: the catalogue (the server's PUT /items/{id}): hidden items, publication times, catalogue writes. Equivalent to PostgresSchema version 4.
        """
        ALTER TABLE items ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE items ADD COLUMN published_utc TEXT;
        ALTER TABLE items ADD COLUMN catalogue_utc TEXT;
        CREATE INDEX ix_items_catalogue ON items(catalogue_utc) WHERE catalogue_utc IS NOT NULL;
        """,
    ];

    /// <summary>Version 3's per-kind interaction view (released: never change what it returns; a later change is a new migration).</summary>
    private static string V3KindView(string view, string kind, string noun) => $"""
        CREATE VIEW {view} AS
        SELECT s.user_id, u.external_id AS username, s.item_id AS {noun}_id, it.external_id AS {noun},
               json_extract(it.features, '$.name') AS {noun}_name, {(noun == "artist" ? "" : "json_extract(it.features, '$.artist') AS artist_name,")}
               json_extract(it.features, '$.mbid') AS mbid,
               s.play_count, s.loved, s.loved_at, s.tags, coalesce(l.fetched_at, u.updated_utc) AS fetched_at
        FROM user_item_summary s JOIN items it ON it.id = s.item_id AND it.kind = '{kind}'
             JOIN users u ON u.id = s.user_id LEFT JOIN lastfm_users l ON l.user_id = s.user_id;

""";

    public static int LatestSchemaVersion => Migrations.Length;

    /// <summary>The page cache of every connection, as PRAGMA cache_size takes it (negative: KiB, here 64 MB).</summary>
    private const string CacheSizeKib = "-65536";

    private const string IndexSql = "CREATE INDEX IF NOT EXISTS ix_interactions_user ON interactions(user_id); CREATE INDEX IF NOT EXISTS ix_interactions_item ON interactions(item_id)";

    private void Migrate()
    {
        Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)");
        int current = Convert.ToInt32(Scalar("SELECT coalesce(max(version), 0) FROM schema_version"));
        if (current > Migrations.Length)
            throw new TroveException($"Database '{Location}' has schema version {current}, newer than this Trove understands ({Migrations.Length}); upgrade Trove.");
        for (int v = current; v < Migrations.Length; v++)
        {
            using var tx = _db.BeginTransaction();
            Exec(Migrations[v], tx);
            Exec($"INSERT INTO schema_version(version, applied_utc) VALUES ({v + 1}, '{DateTime.UtcNow:O}')", tx);
            tx.Commit();
        }
        SchemaVersion = Migrations.Length;
    }

    // ---------------------------------------------------------------- queries

    /// <summary>BEGIN IMMEDIATE takes the write lock (waiting busy_timeout for another writer), then rolls back.</summary>
    public void CheckWritable()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        tx.Rollback();
    }

    public StoreCounts Counts() => new(
        Count("users"), Count("items"), Count("interactions"), Count("models"), Count("recommendations"));

    private long Count(string table) => Convert.ToInt64(Scalar($"SELECT count(*) FROM {table}"));

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
        var kinds = new Dictionary<(string, string), FeatureKind>();
        using (var cmd = Command("SELECT entity, name, kind FROM feature_columns ORDER BY rowid"))
        using (var r = cmd.ExecuteReader())
            while (r.Read()) kinds[(r.GetString(0), r.GetString(1))] = StoreFeatures.ParseKind(r.GetString(2));

        var (users, userRows, userFeatures) = LoadEntities("users", "user", kinds);
        var (items, itemRows, itemFeatures) = LoadEntities("items", "item", kinds);

        long total = Count("interactions");
        using var task = progress.StartRows("load interactions", total);
        var log = new InteractionLogBuilder();
        var events = new Dictionary<string, short>(StringComparer.Ordinal);
        using (var cmd = Command("SELECT user_id, item_id, weight, score, timestamp, event FROM interactions ORDER BY id"))
        using (var r = cmd.ExecuteReader())
        {
            long n = 0;
            while (r.Read())
            {
                int u = userRows[r.GetInt64(0)];
                int i = itemRows[r.GetInt64(1)];
                float w = (float)r.GetDouble(2);
                long ts = r.IsDBNull(4) ? 0 : r.GetInt64(4);
                short e = -1;
                if (!r.IsDBNull(5))
                {
                    var name = r.GetString(5);
                    if (!events.TryGetValue(name, out e)) events[name] = e = log.EventIndex(name);
                }
                if (r.IsDBNull(3)) log.Add(u, i, w, ts, e);
                else log.Add(u, i, w, ts, e, (float)r.GetDouble(3));
                if ((++n & 0xFFFF) == 0) task?.Advance(0x10000);
            }
            task?.Advance(n & 0xFFFF);
        }
        return new Dataset(users, items, log.Build(), userFeatures, itemFeatures, Location);
    }

    private (IdMap Ids, RowIndex Rows, FeatureTable Features) LoadEntities(string table, string entity, Dictionary<(string, string), FeatureKind> kinds)
    {
        var ids = new List<string>();
        var rows = new RowIndex();
        var features = new StoreFeatures.Reader(entity, kinds);
        using var cmd = Command($"SELECT id, external_id, features FROM {table} ORDER BY id");
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

    /// <summary>Row id -> dense index: an array while row ids are dense (the usual case), a dictionary otherwise.</summary>
    private sealed class RowIndex
    {
        private int[] _dense = new int[1024];
        private Dictionary<long, int>? _sparse;

        public void Add(long rowId, int index)
        {
            if (_sparse is null && rowId >= 0 && rowId < 4L * (index + 1024))
            {
                if (rowId >= _dense.Length) Array.Resize(ref _dense, (int)Math.Max(rowId + 1, _dense.Length * 2L));
                _dense[rowId] = index + 1;
                return;
            }
            if (_sparse is null)
            {
                _sparse = new Dictionary<long, int>();
                for (int id = 0; id < _dense.Length; id++) if (_dense[id] != 0) _sparse[id] = _dense[id] - 1;
            }
            _sparse[rowId] = index;
        }

        public int this[long rowId]
        {
            get
            {
                if (_sparse is not null) return _sparse.TryGetValue(rowId, out int at) ? at : throw Missing(rowId);
                return rowId >= 0 && rowId < _dense.Length && _dense[rowId] != 0 ? _dense[rowId] - 1 : throw Missing(rowId);
            }
        }

        private static TroveException Missing(long rowId) => new($"The database refers to a missing user or item row {rowId}.");
    }

    // ---------------------------------------------------------------- import

    public IImportSession BeginImport() => new ImportSession(this);

    public async Task<ImportResult> ImportAsync(Dataset data, IProgressReporter? progress = null, CancellationToken cancel = default)
    {
        using var session = BeginImport();
        await session.AddDatasetAsync(data, progress, cancel);
        return await session.CommitAsync(cancel);
    }

    public ImportResult Import(Dataset data, IProgressReporter? progress = null)
    {
        using var session = BeginImport();
        session.AddDataset(data, progress);
        return session.Commit();
    }

    private sealed class ImportSession : SqlImportSession
    {
        private readonly SqliteStore _store;
        private readonly SqliteTransaction _tx;
        private readonly Entity _users, _items;
        private readonly InteractionWriter _writer;
        private bool _done;
        private bool _rebuildIndex;

        protected override IImportEntity Users => _users;
        protected override IImportEntity Items => _items;

        public ImportSession(SqliteStore store) : base(SqliteDialect.Instance)
        {
            _store = store;
            // Row ids come from the session's own id maps, so per-row foreign-key lookups are redundant:
            // switch them off for the bulk insert (the pragma only takes effect outside a transaction).
            store.Exec("PRAGMA foreign_keys=OFF");
            _tx = store._db.BeginTransaction(deferred: false);
            try
            {
                // Into an empty table, insert without the secondary index and build it once at commit
                // (about twice as fast as maintaining it row by row; DDL is transactional, so a rollback restores it).
                if (Convert.ToInt64(store.Scalar("SELECT count(*) FROM (SELECT 1 FROM interactions LIMIT 1)", _tx)) == 0)
                {
                    store.Exec("DROP INDEX IF EXISTS ix_interactions_user; DROP INDEX IF EXISTS ix_interactions_item", _tx);
                    _rebuildIndex = true;
                }
                _users = new Entity(store, _tx, "users", "user");
                _items = new Entity(store, _tx, "items", "item");
                _writer = new InteractionWriter(store._db, NewEntityRows);
            }
            catch
            {
                _tx.Dispose();
                throw;
            }
        }

        protected override void WriteRow(long user, long item, float weight, float? score, long timestamp, string? ev) =>
            _writer.Add(user, item, weight, score, timestamp, ev);

        /// <summary>Waits for the writer thread and writes what the writer and the id maps hold back.</summary>
        protected override void EndRowStream() => _writer.Flush();

        /// <summary>The inserts of the users and items new since the last call (null when none).</summary>
        private Action? NewEntityRows()
        {
            var users = _users.TakeNewRows();
            var items = _items.TakeNewRows();
            return users is null ? items : items is null ? users : users + items;
        }

        protected override void DeleteUserRows(long user, IReadOnlyCollection<string>? events) => _store.DeleteUserInteractions(_tx, user, events);

        protected override System.Data.Common.DbCommand CommandInTransaction(string sql) => _store.Command(sql, _tx);

        public override void ClearInteractions()
        {
            _writer.Flush();
            _store.Exec("DELETE FROM interactions", _tx);
            _store.Exec("DROP INDEX IF EXISTS ix_interactions_user; DROP INDEX IF EXISTS ix_interactions_item", _tx);
            _rebuildIndex = true;
        }

        public override void PutItem(CatalogueItemWrite item)
        {
            // Merge creates the row and declares new feature columns; the UPDATE then replaces the features outright.
            MergeNow(_items, item.Id, item.Features ?? new FeatureTable());
            using var cmd = _store.Command("""
                UPDATE items SET features = CASE WHEN $replace THEN $f ELSE features END, hidden = coalesce($h, hidden),
                    published_utc = coalesce($p, published_utc), catalogue_utc = $now
                WHERE external_id = $ext
                """, _tx);
            cmd.Parameters.AddWithValue("$replace", item.Features is not null);
            cmd.Parameters.AddWithValue("$f", item.Features is null ? DBNull.Value : (object?)new StoreFeatures.Writer(item.Features).Row(0) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$h", item.Hidden is bool h ? (h ? 1 : 0) : DBNull.Value);
            cmd.Parameters.AddWithValue("$p", item.Timestamp is { } t ? t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : DBNull.Value);
            cmd.Parameters.AddWithValue("$now", Now());
            cmd.Parameters.AddWithValue("$ext", item.Id);
            cmd.ExecuteNonQuery();
        }

        /// <summary>
        /// Merges one user or item and writes its row at once: the first flush frees the connection for Merge's
        /// statements, the second writes the new row (buffered by the entity) before an UPDATE looks for it.
        /// </summary>
        private void MergeNow(Entity entity, string id, FeatureTable features)
        {
            _writer.Flush();
            entity.Merge(new IdMap([id]), features);
            _writer.Flush();
        }

        public override void PutUser(string id, FeatureTable features)
        {
            MergeNow(_users, id, features);
            using var cmd = _store.Command("UPDATE users SET features = $f, updated_utc = $now WHERE external_id = $ext", _tx);
            cmd.Parameters.AddWithValue("$f", (object?)new StoreFeatures.Writer(features).Row(0) ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$now", Now());
            cmd.Parameters.AddWithValue("$ext", id);
            cmd.ExecuteNonQuery();
        }

        // Microsoft.Data.Sqlite runs its async methods synchronously (SQLite is in-process: there is no network wait to
        // give back), so the async path differs only in where the token is checked.
        protected override async Task<ImportResult> CommitCore(bool isAsync, CancellationToken cancel)
        {
            if (_done) throw new InvalidOperationException("The import was already committed.");
            cancel.ThrowIfCancellationRequested();
            _writer.Flush();
            TouchUsers(_store, _tx, TouchedUsers.Concat(_users.Touched));
            if (_rebuildIndex)
            {
                if (InteractionsWritten >= ProgressExtensions.MinRows) Progress?.Info(string.Create(CultureInfo.InvariantCulture, $"wrote {InteractionsWritten:N0} interactions in {Clock.Elapsed.TotalSeconds:F1}s; indexing..."));
                // Each build is bound by SQLite's sorter. It sorts runs of at most cache_size bytes and merges them
                // through temp storage: with the connection's 64 MB cache and temp_store=MEMORY, 5M keys took about 10 s
                // per index; with 2 MB runs (small enough for the CPU cache) merged through a temp file (the OS page cache)
                // about 3.5 s (bench/RESULTS.md, "SQLite index builds"). Both pragmas are per connection and allowed in
                // the transaction; no temp table is in use, so switching temp_store drops nothing.
                _store.Exec("PRAGMA temp_store=FILE; PRAGMA cache_size=-2000", _tx);
                try { _store.Exec(IndexSql, _tx); }
                finally { _store.Exec("PRAGMA cache_size=" + CacheSizeKib + "; PRAGMA temp_store=MEMORY", _tx); }
            }
            // The last point where a cancellation leaves the store unchanged.
            cancel.ThrowIfCancellationRequested();
            if (isAsync) await _tx.CommitAsync(CancellationToken.None);
            else _tx.Commit();
            _done = true;
            return Result();
        }

        public override void Dispose()
        {
            _writer?.Dispose();
            _users?.Dispose();
            _items?.Dispose();
            if (!_done) { try { _tx.Rollback(); } catch (SqliteException) { } catch (InvalidOperationException) { } }
            _tx.Dispose();
            try { _store.Exec("PRAGMA foreign_keys=ON"); } catch (SqliteException) { }
        }
    }

    /// <summary>
    /// The users or items table within an import: external id -> row id, new rows, feature merges. New rows wait in a
    /// buffer and go to the database with the next block of interactions (on the import's writer thread) or at
    /// <see cref="ImportSession"/>'s next pause of the row stream, so resolving ids never needs the connection
    /// while rows are being written. The import runs with foreign keys off, so the order of these writes is free.
    /// </summary>
    private sealed class Entity : SqlImportEntity, IDisposable
    {
        private readonly SqliteStore _store;
        private readonly SqliteTransaction _tx;
        private readonly SqliteCommand _insert, _update, _find;
        private List<NewRow> _new = new();
        private readonly Dictionary<long, int> _newAt = new();

        private sealed class NewRow(long id, string externalId, string? features, string? kind)
        {
            public long Id = id; public string ExternalId = externalId; public string? Features = features; public string? Kind = kind;
        }

        public Entity(SqliteStore store, SqliteTransaction tx, string table, string entity) : base(sql => store.Command(sql, tx), table, entity)
        {
            _store = store; _tx = tx;
            _find = store.Command($"SELECT id FROM {table} WHERE external_id = $ext", tx);
            _find.Parameters.Add("$ext", SqliteType.Text);
            _find.Prepare();
            _insert = store.Command($"INSERT INTO {table}(id, external_id, features, {(entity == "item" ? "kind" : "updated_utc")}) VALUES ($id, $ext, $f, $k)", tx);
            _insert.Parameters.Add("$id", SqliteType.Integer);
            _insert.Parameters.Add("$ext", SqliteType.Text);
            _insert.Parameters.Add("$f", SqliteType.Text);
            _insert.Parameters.Add("$k", SqliteType.Text);
            _insert.Prepare();
            _update = store.Command($"UPDATE {table} SET features = CASE WHEN $f IS NULL THEN features ELSE json_patch(coalesce(features, '{{}}'), $f) END{(entity == "item" ? ", kind = coalesce($k, kind)" : "")} WHERE id = $id", tx);
            _update.Parameters.Add("$id", SqliteType.Integer);
            _update.Parameters.Add("$f", SqliteType.Text);
            if (entity == "item") _update.Parameters.Add("$k", SqliteType.Text);
            _update.Prepare();
        }

        /// <summary>One prepared lookup per id (through the unique external_id index; SQLite has no array parameter).</summary>
        protected override IEnumerable<(long, string)> FindMany(IReadOnlyList<string> externalIds)
        {
            foreach (var external in externalIds)
            {
                _find.Parameters[0].Value = external;
                if (_find.ExecuteScalar() is long id) yield return (id, external);
            }
        }

        protected override void AddRow(long id, string externalId, string? featuresJson, string? kind)
        {
            _newAt[id] = _new.Count;
            _new.Add(new NewRow(id, externalId, featuresJson, IsItems ? kind : null));
        }

        /// <summary>Merges into a buffered new row, or updates a stored one at once (callers merge features only while
        /// the row stream is paused, so the connection is free).</summary>
        protected override bool MergeInto(long id, string? featuresJson, string? kind)
        {
            if (_newAt.TryGetValue(id, out int at))
            {
                var row = _new[at];
                row.Features = StoreFeatures.Merge(row.Features, featuresJson);
                if (IsItems) row.Kind = kind ?? row.Kind;
                return false;
            }
            _update.Parameters[0].Value = id;
            _update.Parameters[1].Value = (object?)featuresJson ?? DBNull.Value;
            if (IsItems) _update.Parameters[2].Value = (object?)kind ?? DBNull.Value;
            _update.ExecuteNonQuery();
            return true;
        }

        /// <summary>The insert of the new rows buffered so far (to run before anything reads them), or null when there are none.</summary>
        public Action? TakeNewRows()
        {
            if (_new.Count == 0) return null;
            var rows = _new;
            _new = new List<NewRow>();
            _newAt.Clear();
            return () => Insert(rows);
        }

        private void Insert(List<NewRow> rows)
        {
            string now = Now();
            foreach (var row in rows)
            {
                _insert.Parameters[0].Value = row.Id;
                _insert.Parameters[1].Value = row.ExternalId;
                _insert.Parameters[2].Value = (object?)row.Features ?? DBNull.Value;
                _insert.Parameters[3].Value = IsItems ? (object?)row.Kind ?? DBNull.Value : now;
                _insert.ExecuteNonQuery();
            }
        }

        protected override void DeclareColumns(FeatureTable features)
        {
            using var cmd = _store.Command("INSERT OR IGNORE INTO feature_columns(entity, name, kind) VALUES ($e, $n, $k)", _tx);
            var pe = cmd.Parameters.Add("$e", SqliteType.Text); var pn = cmd.Parameters.Add("$n", SqliteType.Text); var pk = cmd.Parameters.Add("$k", SqliteType.Text);
            pe.Value = Entity;
            foreach (var name in features.Categorical.Keys) { pn.Value = name; pk.Value = "categorical"; cmd.ExecuteNonQuery(); }
            foreach (var name in features.Numeric.Keys) { pn.Value = name; pk.Value = "numeric"; cmd.ExecuteNonQuery(); }
            foreach (var name in features.Text.Keys) { pn.Value = name; pk.Value = "text"; cmd.ExecuteNonQuery(); }
        }

        public void Dispose() { _insert.Dispose(); _update.Dispose(); _find.Dispose(); }
    }

    // ---------------------------------------------------------------- models and recommendations

    public void RegisterModel(ModelRecord model) => _queries.RegisterModel(model);

    public void SetModelMetrics(string modelVersion, string metricsJson) => _queries.SetModelMetrics(modelVersion, metricsJson);

    public IReadOnlyList<ModelRecord> ListModels() => _queries.ListModels();

    public IReadOnlyList<CatalogueItemRow> CatalogueItems() => _queries.CatalogueItems();

    public int SaveRecommendations(string modelVersion, IEnumerable<RecommendationRow> rows) =>
        SaveRecommendationsCore(modelVersion, rows, isAsync: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<int> SaveRecommendationsAsync(string modelVersion, IEnumerable<RecommendationRow> rows, CancellationToken cancel = default) =>
        SaveRecommendationsCore(modelVersion, rows, isAsync: true, cancel);

    /// <summary>Both saves: with <paramref name="isAsync"/> false nothing is awaited and the task is complete on return.</summary>
    private async Task<int> SaveRecommendationsCore(string modelVersion, IEnumerable<RecommendationRow> rows, bool isAsync, CancellationToken cancel)
    {
        StoredRowChecks.ModelVersion(modelVersion);
        using var tx = _db.BeginTransaction(deferred: false);
        using (var delete = Command("DELETE FROM recommendations WHERE model_version = $v", tx))
        {
            delete.Parameters.AddWithValue("$v", modelVersion);
            delete.ExecuteNonQuery();
        }
        using var insert = Command("INSERT INTO recommendations(model_version, user, rank, item, score, created_utc) VALUES ($v, $u, $r, $i, $s, $c)", tx);
        insert.Parameters.AddWithValue("$v", modelVersion);
        var pu = insert.Parameters.Add("$u", SqliteType.Text);
        var pr = insert.Parameters.Add("$r", SqliteType.Integer);
        var pi = insert.Parameters.Add("$i", SqliteType.Text);
        var ps = insert.Parameters.Add("$s", SqliteType.Real);
        insert.Parameters.AddWithValue("$c", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        insert.Prepare();
        int n = 0;
        try
        {
            foreach (var row in rows)
            {
                StoredRowChecks.Recommendation(row);
                if ((n & 4095) == 0) cancel.ThrowIfCancellationRequested();
                pu.Value = row.User; pr.Value = row.Rank; pi.Value = row.Item; ps.Value = (double)row.Score;
                if (isAsync) await insert.ExecuteNonQueryAsync(cancel);
                else insert.ExecuteNonQuery();
                n++;
            }
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19) // constraint: duplicate (user, rank)
        {
            throw new TroveException($"Duplicate recommendation rank for one user in model '{modelVersion}': {e.Message}", e);
        }
        tx.Commit();
        return n;
    }

    public IReadOnlyList<RecommendationRow> GetRecommendations(string modelVersion, string? user = null) => _queries.GetRecommendations(modelVersion, user);

    // ---------------------------------------------------------------- helpers

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private void Exec(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        return cmd.ExecuteScalar();
    }

    public void Dispose()
    {
        try { Exec("PRAGMA wal_checkpoint(TRUNCATE)"); } catch (SqliteException) { }
        _db.Dispose();
    }
}
