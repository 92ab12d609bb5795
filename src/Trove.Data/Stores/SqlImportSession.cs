using System.Data.Common;
using System.Diagnostics;
using Trove.Core.Data;
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

    /// <summary>The session's result so far (rows added, interactions written, seconds since it began).</summary>
    protected ImportResult Result() => new(Users.Added, Items.Added, InteractionsWritten, Clock.Elapsed.TotalSeconds);

    public abstract void ClearInteractions();
    public abstract void PutItem(CatalogueItemWrite item);
    public abstract void PutUser(string id, FeatureTable features);
    public abstract ImportResult Commit();
    public abstract void Dispose();
}
