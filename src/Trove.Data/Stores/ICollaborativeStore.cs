using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The collaborative-filtering side of a store (seed 004): user-user similarities, fetch/import logs,
/// per-user replacement of fetched interactions, and the summary views <c>user_stats</c> and
/// <c>item_popularity</c>. Implemented by both <see cref="SqliteStore"/> and <see cref="PostgresStore"/>
/// with the same semantics; everything is keyed by external ids.
/// </summary>
public interface ICollaborativeStore
{
    /// <summary>
    /// Replaces the stored similarities of <paramref name="metric"/> with <paramref name="rows"/> in one transaction
    /// (other metrics' rows stay: several metrics are kept side by side). Returns rows written.
    /// </summary>
    int SaveUserSimilarities(string metric, IEnumerable<UserSimilarityRow> rows);

    /// <summary>
    /// As <see cref="SaveUserSimilarities"/>, with the writes awaited. A cancelled <paramref name="cancel"/> rolls the
    /// transaction back: the metric's previous rows stay.
    /// </summary>
    Task<int> SaveUserSimilaritiesAsync(string metric, IEnumerable<UserSimilarityRow> rows, CancellationToken cancel = default);

    /// <summary>Stored similarities (for one user and/or one metric when given), by metric, user, then rank.</summary>
    IReadOnlyList<UserSimilarityRow> GetUserSimilarities(string? user = null, string? metric = null);

    /// <summary>Appends one row to <c>ingest_logs</c> and returns its id.</summary>
    long LogIngest(IngestLogEntry entry);

    /// <summary>The newest <paramref name="limit"/> ingest log rows, newest first.</summary>
    IReadOnlyList<IngestLogEntry> IngestLogs(int limit = 100);

    /// <summary>
    /// In ONE transaction: deletes <paramref name="user"/>'s interactions whose event is one of
    /// <paramref name="events"/> (all of them when null), then adds <paramref name="rows"/> (all for that user),
    /// the items they name (with features, merged by external id) and the user. Nothing changes on failure.
    /// </summary>
    /// <param name="profile">When given, the user's row of <c>lastfm_users</c> is inserted or replaced in the same transaction.</param>
    /// <param name="tags">When given, replace the user's rows of <c>user_item_tags</c> (items by external id; each must be
    /// among the items of <paramref name="rows"/> or already stored) in the same transaction.</param>
    ImportResult ReplaceUserInteractions(string user, IReadOnlyCollection<string>? events, IdMap items, FeatureTable itemFeatures, IEnumerable<InteractionRecord> rows,
        LastFmUserProfile? profile = null, IReadOnlyCollection<UserItemTag>? tags = null);

    /// <summary>The <c>lastfm_users</c> table, by user name (ordinal).</summary>
    IReadOnlyList<LastFmUserProfile> LastFmUsers();

    /// <summary>The <c>user_item_tags</c> rows (of one user when given), by user, item and tag (ordinal).</summary>
    IReadOnlyList<UserItemTag> UserItemTags(string? user = null);

    /// <summary>The <c>user_stats</c> view, by user id.</summary>
    IReadOnlyList<UserStatsRow> UserStats();

    /// <summary>The <c>item_popularity</c> view, most users first (then plays, then id).</summary>
    IReadOnlyList<ItemPopularityRow> ItemPopularity(int limit = 100);
}

/// <summary>One stored similarity: <see cref="Other"/> is the <see cref="Rank"/>-th most similar user to <see cref="User"/>.</summary>
public readonly record struct UserSimilarityRow(string User, int Rank, string Other, float Similarity, int SharedItems, string Metric = "");

/// <summary>
/// A Last.fm user profile (user.getInfo), one row of <c>lastfm_users</c>. <see cref="User"/> is the user's external id
/// (the Last.fm name as fetched); <see cref="FetchedUtc"/> is set by the store when it writes the row.
/// </summary>
public sealed record LastFmUserProfile(string User, string? RealName, string? Country, long? PlayCount, DateTime? RegisteredUtc, string? ProfileUrl)
{
    /// <summary>When the store wrote the row (UTC); ignored on writes.</summary>
    public DateTime? FetchedUtc { get; init; }
}

/// <summary>One of a user's own tags on an item (Last.fm user.getPersonalTags): user and item are external ids.</summary>
public readonly record struct UserItemTag(string User, string Item, string Tag);

/// <summary>Outcome of one fetch or import, as logged in <c>ingest_logs</c>.</summary>
public enum IngestStatus { Ok, Skipped, Failed }

/// <summary>One fetch or import: source (e.g. <c>lastfm:user.getTopTracks</c>), its target (user), timing, rows, outcome.</summary>
public sealed record IngestLogEntry
{
    public long Id { get; init; }
    public required string Source { get; init; }
    public string? Target { get; init; }
    public DateTime StartedUtc { get; init; }
    public DateTime FinishedUtc { get; init; }
    public long Rows { get; init; }
    public IngestStatus Status { get; init; } = IngestStatus.Ok;
    /// <summary>Why it failed or was skipped (null when ok).</summary>
    public string? Error { get; init; }
    /// <summary>HTTP requests made (including retries), 0 for file imports.</summary>
    public int Requests { get; init; }
}

/// <summary>A row of the <c>user_stats</c> view.</summary>
public sealed record UserStatsRow(string User, long Items, long Interactions, double TotalPlays, long Loves, DateTime? LastUpdateUtc);

/// <summary>A row of the <c>item_popularity</c> view.</summary>
public sealed record ItemPopularityRow(string Item, string? Kind, long Users, double Plays, long Loves, double AveragePlaysPerUser);

public static class CollaborativeStoreExtensions
{
    /// <summary>The store's collaborative side, or a clear error when it has none.</summary>
    public static ICollaborativeStore Collaborative(this IInteractionStore store) =>
        store as ICollaborativeStore ?? throw new TroveException($"Store '{store.Location}' ({store.GetType().Name}) does not support similarities and ingest logs.");

    internal static string StatusName(this IngestStatus s) => s switch { IngestStatus.Skipped => "skipped", IngestStatus.Failed => "failed", _ => "ok" };

    internal static IngestStatus ParseStatus(string s) => s switch { "skipped" => IngestStatus.Skipped, "failed" => IngestStatus.Failed, _ => IngestStatus.Ok };
}
