using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The users or items table within one import session: external id -> row id, new rows and feature merges
/// (how and when they are written is the store's: PostgreSQL buffers them for a COPY at commit, SQLite inserts at once).
/// </summary>
internal interface IImportEntity
{
    /// <summary>Rows this session created.</summary>
    long Added { get; }

    /// <summary>Existing rows whose features or kind this session changed.</summary>
    IEnumerable<long> Touched { get; }

    /// <summary>Whether the row was created in this session.</summary>
    bool IsNew(long id);

    /// <summary>Whether every given id is already known, i.e. <see cref="Resolve"/> would not query.</summary>
    bool AllResolved(IEnumerable<string> externalIds);

    /// <summary>Looks up the ids not known yet.</summary>
    void Resolve(IEnumerable<string> externalIds);

    /// <summary>The row id of a stored (or added in this session) external id.</summary>
    bool TryGet(string externalId, out long id);

    /// <summary>The row id of <paramref name="externalId"/>, adding the row when new; features and kind are merged into it.</summary>
    long GetOrAdd(string externalId, string? featuresJson = null, string? kind = null);

    /// <summary>Adds every id (merging features) and returns the row id of each dense index.</summary>
    long[] Merge(IdMap ids, FeatureTable features);
}

/// <summary>
/// The id-map logic both stores' <see cref="IImportEntity"/> share: ids resolved through <see cref="RowIds"/> (one query
/// for a few, the whole table once for a bulk import), new row ids from max(id) + 1 under the session's lock, features
/// merged into the rows, and the per-session counts. A store supplies how a row is added or merged (at once or buffered),
/// how a few ids are looked up, and how feature columns are declared.
/// </summary>
internal abstract class SqlImportEntity : IImportEntity
{
    private readonly Func<string, DbCommand> _command;
    private readonly RowIds _rows;
    private readonly HashSet<long> _touched = new();
    private long _baseline = -1;

    /// <param name="commandInTransaction">A new command in the import's transaction.</param>
    /// <param name="table">users or items.</param>
    /// <param name="entity">user or item (as feature_columns names it).</param>
    protected SqlImportEntity(Func<string, DbCommand> commandInTransaction, string table, string entity)
    {
        _command = commandInTransaction;
        Table = table;
        Entity = entity;
        _rows = new RowIds(FindMany, ReadAll, MaxId);
    }

    protected string Table { get; }
    protected string Entity { get; }
    protected bool IsItems => Entity == "item";

    public long Added { get; private set; }
    public IEnumerable<long> Touched => _touched;

    /// <summary>Whether the row was created in this session (ids only grow, and the session holds the write lock).</summary>
    public bool IsNew(long id) => _baseline >= 0 && id > _baseline;

    public bool AllResolved(IEnumerable<string> externalIds) => _rows.AllResolved(externalIds);
    public void Resolve(IEnumerable<string> externalIds) => _rows.Resolve(externalIds);
    public bool TryGet(string externalId, out long id) => _rows.TryGet(externalId, out id);

    public long GetOrAdd(string externalId, string? featuresJson = null, string? kind = null)
    {
        if (_rows.TryGet(externalId, out long id))
        {
            if ((featuresJson is not null || kind is not null) && MergeInto(id, featuresJson, kind)) _touched.Add(id);
            return id;
        }
        if (string.IsNullOrWhiteSpace(externalId)) throw new TroveException($"Empty {Entity} id; nothing was imported.");
        id = _rows.Add(externalId);
        AddRow(id, externalId, featuresJson, kind);
        Added++;
        return id;
    }

    public long[] Merge(IdMap ids, FeatureTable features)
    {
        DeclareColumns(features);
        _rows.Resolve(Enumerable.Range(0, ids.Count).Select(i => ids[i]));
        var rows = new long[ids.Count];
        var json = new StoreFeatures.Writer(features);
        for (int i = 0; i < ids.Count; i++) rows[i] = GetOrAdd(ids[i], json.Row(i), IsItems ? StoreFeatures.Kind(features, i) : null);
        return rows;
    }

    /// <summary>Adds a new row (written now or buffered until commit).</summary>
    protected abstract void AddRow(long id, string externalId, string? featuresJson, string? kind);

    /// <summary>Merges features and kind into a row; true when that changed a row stored before this session.</summary>
    protected abstract bool MergeInto(long id, string? featuresJson, string? kind);

    /// <summary>Records the kinds of the feature columns in feature_columns (existing ones are kept).</summary>
    protected abstract void DeclareColumns(FeatureTable features);

    /// <summary>The stored rows among a few external ids.</summary>
    protected abstract IEnumerable<(long Id, string ExternalId)> FindMany(IReadOnlyList<string> externalIds);

    private IEnumerable<(long, string)> ReadAll()
    {
        using var cmd = _command($"SELECT id, external_id FROM {Table}");
        using var r = cmd.ExecuteReader();
        while (r.Read()) yield return (r.GetInt64(0), r.GetString(1));
    }

    private long MaxId()
    {
        using var cmd = _command($"SELECT coalesce(max(id), 0) FROM {Table}");
        long max = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (_baseline < 0) _baseline = max;
        return max;
    }
}

/// <summary>
/// The import-session logic both SQL stores share: resolving ids in blocks, the interaction loops, which existing users
/// an import touched, the per-user deletion and the Last.fm extras. A store supplies how rows are written
/// (<see cref="WriteRow"/>), how the row stream is paused so other statements can run (<see cref="EndRowStream"/>), its
/// id maps, and its commit.
/// </summary>
internal abstract class SqlImportSession(ISqlDialect dialect) : IUserImportSession
{
    protected readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>Existing users whose interactions this session changed (their updated_utc is set at commit).</summary>
    protected readonly HashSet<long> TouchedUsers = new();

    protected long InteractionsWritten;
    protected IProgressReporter? Progress;

    /// <summary>The token of the async call adding rows now (checked every <see cref="CancelCheckRows"/> rows).</summary>
    private CancellationToken _cancel;

    private const int CancelCheckRows = 4096;

    protected abstract IImportEntity Users { get; }
    protected abstract IImportEntity Items { get; }

    /// <summary>Writes out the rows streamed so far, so that the next statement sees them and the connection is free.</summary>
    protected abstract void EndRowStream();

    /// <summary>Appends one interaction (row ids of user and item).</summary>
    protected abstract void WriteRow(long user, long item, float weight, float? score, long timestamp, string? eventName);

    /// <summary>Deletes a user's interactions (of the given events, or all) in the session's transaction.</summary>
    protected abstract void DeleteUserRows(long user, IReadOnlyCollection<string>? events);

    /// <summary>A new command in the session's transaction.</summary>
    protected abstract DbCommand CommandInTransaction(string sql);

    public void AddDataset(Dataset data, IProgressReporter? progress = null)
    {
        Progress ??= progress;
        EndRowStream(); // id lookups need the connection
        var userRows = Users.Merge(data.Users, data.UserFeatures);
        var itemRows = Items.Merge(data.Items, data.ItemFeatures);
        ImportRows.FromLog(data.Interactions, userRows, itemRows, progress, Insert);
    }

    public long AddInteractions(IEnumerable<InteractionRecord> rows, IProgressReporter? progress = null)
    {
        Progress ??= progress;
        return ImportRows.FromRecords(rows, ResolveBlock, id => Users.GetOrAdd(id), id => Items.GetOrAdd(id), Insert);
    }

    /// <summary>Looks up a block's unknown ids (in a bulk import the first blocks read the whole id tables and later blocks
    /// need no lookup, so the row stream is not interrupted).</summary>
    private void ResolveBlock(IReadOnlyList<InteractionRecord> block)
    {
        if (Users.AllResolved(block.Select(r => r.User)) && Items.AllResolved(block.Select(r => r.Item))) return;
        EndRowStream();
        Users.Resolve(block.Select(r => r.User));
        Items.Resolve(block.Select(r => r.Item));
    }

    private void Insert(long user, long item, float weight, float? score, long timestamp, string? eventName)
    {
        if ((InteractionsWritten & (CancelCheckRows - 1)) == 0) _cancel.ThrowIfCancellationRequested();
        WriteRow(user, item, weight, score, timestamp, eventName);
        // Users created in this session are written with the time already.
        if (!Users.IsNew(user)) TouchedUsers.Add(user);
        InteractionsWritten++;
    }

    public void ClearUserInteractions(string user, IReadOnlyCollection<string>? events)
    {
        EndRowStream();
        if (!Users.TryGet(user, out long id)) return;
        DeleteUserRows(id, events);
        TouchedUsers.Add(id);
    }

    public void WriteUserExtras(string user, LastFmUserProfile? profile, IReadOnlyCollection<UserItemTag>? tags)
    {
        EndRowStream();
        Users.Resolve([user]);
        long id = Users.GetOrAdd(user);
        if (tags is not null) Items.Resolve(tags.Select(t => t.Item));
        SqlStoreQueries.WriteUserExtras(dialect, CommandInTransaction, id, user, profile, tags, item => Items.TryGet(item, out long row) ? row : null);
    }

    public void AddUsers(IdMap ids, FeatureTable features) { EndRowStream(); Users.Merge(ids, features); }

    public void AddItems(IdMap ids, FeatureTable features) { EndRowStream(); Items.Merge(ids, features); }

    public async Task AddDatasetAsync(Dataset data, IProgressReporter? progress = null, CancellationToken cancel = default)
    {
        _cancel = cancel;
        try { AddDataset(data, progress); }
        finally { _cancel = default; }
        await EndRowStreamAsync(cancel);
    }

    public async Task<long> AddInteractionsAsync(IEnumerable<InteractionRecord> rows, IProgressReporter? progress = null, CancellationToken cancel = default)
    {
        _cancel = cancel;
        long added;
        try { added = AddInteractions(rows, progress); }
        finally { _cancel = default; }
        await EndRowStreamAsync(cancel);
        return added;
    }

    /// <summary>As <see cref="EndRowStream"/>, awaiting the database (PostgreSQL: the end of the COPY, when it checks the rows).</summary>
    protected virtual Task EndRowStreamAsync(CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        EndRowStream();
        return Task.CompletedTask;
    }

    public ImportResult Commit() => CommitCore(isAsync: false, CancellationToken.None).GetAwaiter().GetResult();

    public Task<ImportResult> CommitAsync(CancellationToken cancel = default) => CommitCore(isAsync: true, cancel);

    /// <summary>
    /// The commit, written once for both calls: with <paramref name="isAsync"/> false every statement runs synchronously
    /// and the task is complete when it returns (so <see cref="Commit"/> never blocks on I/O it awaits; the pattern of
    /// Npgsql's own sync/async pairs); with true every statement and the commit are awaited.
    /// </summary>
    protected abstract Task<ImportResult> CommitCore(bool isAsync, CancellationToken cancel);

    /// <summary>The session's result so far (rows added, interactions written, seconds since it began).</summary>
    protected ImportResult Result() => new(Users.Added, Items.Added, InteractionsWritten, Clock.Elapsed.TotalSeconds);

    public abstract void ClearInteractions();
    public abstract void PutItem(CatalogueItemWrite item);
    public abstract void PutUser(string id, FeatureTable features);
    public abstract void Dispose();
}
