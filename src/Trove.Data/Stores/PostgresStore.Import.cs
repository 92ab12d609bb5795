using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

public sealed partial class PostgresStore
{
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

    public ImportResult ReplaceUserInteractions(string user, IReadOnlyCollection<string>? events, IdMap items, FeatureTable itemFeatures, IEnumerable<InteractionRecord> rows,
        LastFmUserProfile? profile = null, IReadOnlyCollection<UserItemTag>? tags = null)
    {
        using var session = new ImportSession(this);
        return SqlStoreQueries.ReplaceUserInteractions(session, user, events, items, itemFeatures, rows, profile, tags);
    }

    /// <summary>
    /// One import transaction: ids resolve through the id maps (one query for a few, the whole id table once for a
    /// bulk import) and interactions stream by binary COPY straight into interactions. Into an empty table the keys
    /// and indexes are dropped first and rebuilt at commit. (A COPY into an UNLOGGED staging table merged by
    /// INSERT ... SELECT was measured and is slower here: the merge writes every row a second time, with WAL, and
    /// still fires the same key checks; see bench/RESULTS.md, "Store import speed".)
    /// </summary>
    private sealed class ImportSession : SqlImportSession
    {
        private const string CopyInteractions = "COPY interactions(user_id, item_id, weight, score, \"timestamp\", event) FROM STDIN (FORMAT BINARY)";
        private readonly PostgresStore _store;
        private readonly NpgsqlTransaction _tx;
        private readonly Entity _users, _items;
        private NpgsqlBinaryImporter? _copy;
        private bool _done, _rebuildIndexes, _rebuildKey;

        protected override IImportEntity Users => _users;
        protected override IImportEntity Items => _items;

        public ImportSession(PostgresStore store) : base(PostgresDialect.Instance)
        {
            _store = store;
            _tx = store._db.BeginTransaction();
            try
            {
                // One writer at a time: row ids are assigned here from max(id) + 1.
                store.Exec("LOCK TABLE users, items, interactions, feature_columns IN SHARE ROW EXCLUSIVE MODE", _tx);
                if (Convert.ToInt64(store.Scalar("SELECT count(*) FROM (SELECT 1 FROM interactions LIMIT 1) x", _tx), CultureInfo.InvariantCulture) == 0)
                    DropIndexes();
                _users = new Entity(store, _tx, "users", "user");
                _items = new Entity(store, _tx, "items", "item");
            }
            catch
            {
                _tx.Dispose();
                throw;
            }
        }

        private void DropIndexes()
        {
            // Into an empty table, write without the indexes, the primary key and the foreign keys, then build the
            // indexes and re-add (= validate in one join each) the keys at commit: per-row FK triggers cost ~20x the COPY
            // itself, and maintaining three b-trees row by row about doubles the insert. DDL is transactional, so a
            // rollback restores them. The primary key stays when another table's foreign key depends on it.
            bool keyReferenced = Convert.ToInt64(_store.Scalar("SELECT count(*) FROM pg_constraint WHERE confrelid = 'interactions'::regclass", _tx), CultureInfo.InvariantCulture) > 0;
            _store.Exec("DROP INDEX IF EXISTS ix_interactions_user; DROP INDEX IF EXISTS ix_interactions_item; " +
                        "ALTER TABLE interactions DROP CONSTRAINT IF EXISTS interactions_user_id_fkey, DROP CONSTRAINT IF EXISTS interactions_item_id_fkey" +
                        (keyReferenced ? "" : ", DROP CONSTRAINT IF EXISTS interactions_pkey"), _tx);
            _rebuildIndexes = true;
            _rebuildKey |= !keyReferenced;
        }

        protected override void WriteRow(long user, long item, float weight, float? score, long timestamp, string? ev)
        {
            var copy = _copy ??= _store._db.BeginBinaryImport(CopyInteractions);
            copy.StartRow();
            copy.Write(user, NpgsqlDbType.Bigint);
            copy.Write(item, NpgsqlDbType.Bigint);
            copy.Write(weight, NpgsqlDbType.Real);
            if (score is float s) copy.Write(s, NpgsqlDbType.Real); else copy.WriteNull();
            if (timestamp != 0) copy.Write(timestamp, NpgsqlDbType.Bigint); else copy.WriteNull();
            if (ev is not null) copy.Write(ev, NpgsqlDbType.Text); else copy.WriteNull();
        }

        /// <summary>Ends the open COPY: the connection runs nothing else while one is open.</summary>
        protected override void EndRowStream()
        {
            if (_copy is null) return;
            try { _copy.Complete(); }
            finally { _copy.Dispose(); _copy = null; }
        }

        public override void ClearInteractions()
        {
            EndRowStream();
            _store.Exec("DELETE FROM interactions", _tx);
            DropIndexes();
        }

        protected override void DeleteUserRows(long user, IReadOnlyCollection<string>? events)
        {
            using var cmd = _store.Command(events is null
                ? "DELETE FROM interactions WHERE user_id = @u"
                : "DELETE FROM interactions WHERE user_id = @u AND event = ANY(@e)", _tx);
            cmd.Parameters.AddWithValue("u", user);
            if (events is not null) cmd.Parameters.AddWithValue("e", events.ToArray());
            cmd.ExecuteNonQuery();
        }

        // New users/items are copied at commit, which the deferred foreign keys allow (Last.fm extras refer to them).
        protected override System.Data.Common.DbCommand CommandInTransaction(string sql) => _store.Command(sql, _tx);

        // Catalogue writes run at commit, after the buffered new rows exist.
        private readonly List<CatalogueItemWrite> _catalogueItems = new();
        private readonly List<(string Id, string? Features)> _catalogueUsers = new();

        public override void PutItem(CatalogueItemWrite item)
        {
            AddItems(new IdMap([item.Id]), item.Features ?? new FeatureTable());
            _catalogueItems.Add(item);
        }

        public override void PutUser(string id, FeatureTable features)
        {
            AddUsers(new IdMap([id]), features);
            _catalogueUsers.Add((id, new StoreFeatures.Writer(features).Row(0)));
        }

        private void WriteCatalogue()
        {
            foreach (var item in _catalogueItems)
            {
                using var cmd = _store.Command("""
                    UPDATE items SET features = CASE WHEN @replace THEN @f::jsonb ELSE features END, hidden = coalesce(@h, hidden),
                        published_utc = coalesce(@p, published_utc), catalogue_utc = now()
                    WHERE external_id = @ext
                    """, _tx);
                cmd.Parameters.AddWithValue("replace", item.Features is not null);
                cmd.Parameters.Add("f", NpgsqlDbType.Jsonb).Value = item.Features is null ? DBNull.Value : (object?)new StoreFeatures.Writer(item.Features).Row(0) ?? DBNull.Value;
                cmd.Parameters.Add("h", NpgsqlDbType.Boolean).Value = item.Hidden is bool h ? h : DBNull.Value;
                cmd.Parameters.Add("p", NpgsqlDbType.TimestampTz).Value = item.Timestamp is { } t ? t.UtcDateTime : DBNull.Value;
                cmd.Parameters.AddWithValue("ext", item.Id);
                cmd.ExecuteNonQuery();
            }
            foreach (var (id, features) in _catalogueUsers)
            {
                using var cmd = _store.Command("UPDATE users SET features = @f::jsonb, updated_utc = now() WHERE external_id = @ext", _tx);
                cmd.Parameters.Add("f", NpgsqlDbType.Jsonb).Value = (object?)features ?? DBNull.Value;
                cmd.Parameters.AddWithValue("ext", id);
                cmd.ExecuteNonQuery();
            }
        }

        protected override async Task EndRowStreamAsync(CancellationToken cancel)
        {
            if (_copy is null) return;
            try { await _copy.CompleteAsync(cancel); }
            finally { await _copy.DisposeAsync(); _copy = null; }
        }

        private async Task Exec(string sql, bool isAsync, CancellationToken cancel, Action<NpgsqlCommand>? parameters = null)
        {
            await using var cmd = _store.Command(sql, _tx);
            parameters?.Invoke(cmd);
            if (isAsync) await cmd.ExecuteNonQueryAsync(cancel);
            else cmd.ExecuteNonQuery();
        }

        protected override async Task<ImportResult> CommitCore(bool isAsync, CancellationToken cancel)
        {
            if (_done) throw new InvalidOperationException("The import was already committed.");
            try
            {
                if (isAsync) await EndRowStreamAsync(cancel);
                else EndRowStream();
                double copied = Clock.Elapsed.TotalSeconds;
                _users.Flush();
                _items.Flush();
                WriteCatalogue();
                foreach (var id in _users.Touched) TouchedUsers.Add(id);
                if (TouchedUsers.Count > 0)
                    await Exec("UPDATE users SET updated_utc = now() WHERE id = ANY(@ids)", isAsync, cancel, cmd => cmd.Parameters.AddWithValue("ids", TouchedUsers.ToArray()));
                // Check the deferred foreign keys now (CREATE INDEX refuses to run with pending trigger events).
                await Exec("SET CONSTRAINTS ALL IMMEDIATE", isAsync, cancel);
                if (_rebuildIndexes)
                {
                    if (InteractionsWritten >= ProgressExtensions.MinRows)
                        Progress?.Info(string.Create(CultureInfo.InvariantCulture, $"wrote {InteractionsWritten:N0} interactions in {copied:F1}s ({InteractionsWritten / Math.Max(copied, 1e-9):N0} rows/s); indexing and checking keys..."));
                    // Local to this transaction. The index sorts spill less with 512 MB than with 256 MB (the primary key's
                    // build 2.1-2.2 s against 2.7-3.5 s at 5M rows); 1 GB was no faster (bench/RESULTS.md, "Store import
                    // speed"). The foreign-key checks are hash anti-joins whose user/item hash tables fit in 64 MB of work_mem.
                    await Exec("SET LOCAL maintenance_work_mem = '512MB'; SET LOCAL work_mem = '64MB'", isAsync, cancel);
                    await Exec((_rebuildKey ? "ALTER TABLE interactions ADD CONSTRAINT interactions_pkey PRIMARY KEY (id); " : "") +
                                "CREATE INDEX IF NOT EXISTS ix_interactions_user ON interactions(user_id); CREATE INDEX IF NOT EXISTS ix_interactions_item ON interactions(item_id); " +
                                "ALTER TABLE interactions ADD CONSTRAINT interactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) DEFERRABLE INITIALLY DEFERRED, " +
                                "ADD CONSTRAINT interactions_item_id_fkey FOREIGN KEY (item_id) REFERENCES items(id) DEFERRABLE INITIALLY DEFERRED", isAsync, cancel);
                }
                // The last point where a cancellation leaves the store unchanged.
                cancel.ThrowIfCancellationRequested();
                if (isAsync) await _tx.CommitAsync(CancellationToken.None);
                else _tx.Commit();
            }
            catch (PostgresException e)
            {
                throw new TroveException($"Import into '{_store.Location}' failed, nothing was imported: {e.SqlState}: {e.MessageText}", e);
            }
            _done = true;
            // Fresh planner statistics after bulk loads (small appends, e.g. one Last.fm user, leave it to autovacuum).
            if (_rebuildIndexes || InteractionsWritten >= 10_000)
            {
                try { await using var analyze = _store.Command("ANALYZE users; ANALYZE items; ANALYZE interactions"); if (isAsync) await analyze.ExecuteNonQueryAsync(CancellationToken.None); else analyze.ExecuteNonQuery(); }
                catch (NpgsqlException) { }
            }
            return Result();
        }

        public override void Dispose()
        {
            // Disposing an unfinished COPY cancels it; the rollback below then discards everything.
            if (_copy is not null)
            {
                try { _copy.Dispose(); } catch (NpgsqlException) { } catch (InvalidOperationException) { }
                _copy = null;
            }
            if (!_done) { try { _tx.Rollback(); } catch (NpgsqlException) { } catch (InvalidOperationException) { } }
            _tx.Dispose();
        }
    }

    /// <summary>
    /// The users or items table within an import: external id -> row id. New rows and feature merges are
    /// buffered and written at commit (new rows by binary COPY), so interactions can stream meanwhile.
    /// </summary>
    private sealed class Entity : SqlImportEntity
    {
        private readonly PostgresStore _store;
        private readonly NpgsqlTransaction _tx;
        private readonly List<NewRow> _new = new();
        private readonly Dictionary<long, int> _newAt = new();
        private readonly Dictionary<long, (string? Features, string? Kind)> _updates = new();
        private readonly Dictionary<string, FeatureKind> _columns = new(StringComparer.Ordinal);

        private sealed class NewRow(long id, string externalId) { public long Id = id; public string ExternalId = externalId; public string? Features; public string? Kind; }

        public Entity(PostgresStore store, NpgsqlTransaction tx, string table, string entity) : base(sql => store.Command(sql, tx), table, entity)
        {
            _store = store; _tx = tx;
        }

        protected override IEnumerable<(long, string)> FindMany(IReadOnlyList<string> externalIds)
        {
            using var cmd = _store.Command($"SELECT id, external_id FROM {Table} WHERE external_id = ANY(@ext)", _tx);
            cmd.Parameters.AddWithValue("ext", externalIds.ToArray());
            using var r = cmd.ExecuteReader();
            while (r.Read()) yield return (r.GetInt64(0), r.GetString(1));
        }

        protected override void AddRow(long id, string externalId, string? featuresJson, string? kind)
        {
            _newAt[id] = _new.Count;
            _new.Add(new NewRow(id, externalId) { Features = featuresJson, Kind = kind });
        }

        protected override bool MergeInto(long id, string? featuresJson, string? kind)
        {
            if (_newAt.TryGetValue(id, out int at))
            {
                _new[at].Features = StoreFeatures.Merge(_new[at].Features, featuresJson);
                _new[at].Kind = kind ?? _new[at].Kind;
                return false;
            }
            var old = _updates.GetValueOrDefault(id);
            _updates[id] = (StoreFeatures.Merge(old.Features, featuresJson), kind ?? old.Kind);
            return true;
        }

        protected override void DeclareColumns(FeatureTable features)
        {
            foreach (var name in features.Categorical.Keys) _columns.TryAdd(name, FeatureKind.Categorical);
            foreach (var name in features.Numeric.Keys) _columns.TryAdd(name, FeatureKind.Numeric);
            foreach (var name in features.Text.Keys) _columns.TryAdd(name, FeatureKind.Text);
        }

        /// <summary>Writes the buffered new rows (binary COPY), feature merges and feature columns, and forgets them.</summary>
        public void Flush()
        {
            if (_columns.Count > 0)
            {
                using var cmd = _store.Command("INSERT INTO feature_columns(entity, name, kind) VALUES (@e, @n, @k) ON CONFLICT DO NOTHING", _tx);
                var pe = cmd.Parameters.AddWithValue("e", Entity); var pn = cmd.Parameters.Add("n", NpgsqlDbType.Text); var pk = cmd.Parameters.Add("k", NpgsqlDbType.Text);
                foreach (var (name, kind) in _columns)
                {
                    pn.Value = name;
                    pk.Value = StoreFeatures.KindName(kind);
                    cmd.ExecuteNonQuery();
                }
            }
            if (_new.Count > 0)
            {
                bool items = IsItems;
                // The transaction's time, as the touch of existing users at commit writes it.
                var now = (DateTime)_store.Scalar("SELECT now()", _tx)!;
                using var copy = _store._db.BeginBinaryImport(items
                    ? "COPY items(id, external_id, features, kind) FROM STDIN (FORMAT BINARY)"
                    : "COPY users(id, external_id, features, updated_utc) FROM STDIN (FORMAT BINARY)");
                foreach (var row in _new)
                {
                    copy.StartRow();
                    copy.Write(row.Id, NpgsqlDbType.Bigint);
                    copy.Write(row.ExternalId, NpgsqlDbType.Text);
                    if (row.Features is null) copy.WriteNull(); else copy.Write(row.Features, NpgsqlDbType.Jsonb);
                    if (items) { if (row.Kind is null) copy.WriteNull(); else copy.Write(row.Kind, NpgsqlDbType.Text); }
                    else copy.Write(now, NpgsqlDbType.TimestampTz);
                }
                copy.Complete();
            }
            if (_updates.Count > 0)
            {
                using var cmd = _store.Command($"UPDATE {Table} SET features = CASE WHEN @f::jsonb IS NULL THEN features ELSE coalesce(features, '{{}}'::jsonb) || @f::jsonb END"
                    + (IsItems ? ", kind = coalesce(@k, kind)" : "") + " WHERE id = @id", _tx);
                var pf = cmd.Parameters.Add("f", NpgsqlDbType.Jsonb); var pid = cmd.Parameters.Add("id", NpgsqlDbType.Bigint);
                var pk = IsItems ? cmd.Parameters.Add("k", NpgsqlDbType.Text) : null;
                cmd.Prepare();
                foreach (var (id, (features, kind)) in _updates)
                {
                    pf.Value = (object?)features ?? DBNull.Value;
                    pid.Value = id;
                    if (pk is not null) pk.Value = (object?)kind ?? DBNull.Value;
                    cmd.ExecuteNonQuery();
                }
            }
            _columns.Clear();
            _new.Clear();
            _newAt.Clear();
            _updates.Clear();
        }
    }
}
