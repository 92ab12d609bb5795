using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// A database of users, items, interactions, trained models and their recommendations. Everything is
/// keyed by external ids (the strings users wrote), so another implementation (e.g. PostgreSQL) can
/// sit behind the same interface. Imports are all-or-nothing: see <see cref="BeginImport"/>.
/// </summary>
public interface IInteractionStore : IDisposable
{
    /// <summary>Where the store lives, for messages (a file path, a host/database).</summary>
    string Location { get; }

    /// <summary>The schema version after migrations.</summary>
    int SchemaVersion { get; }

    StoreCounts Counts();

    /// <summary>Throws (the driver's exception) unless the database accepts a write now: cheap, writes nothing.</summary>
    void CheckWritable();

    /// <summary>
    /// Starts an import in ONE transaction. Nothing is visible to others until <see cref="IImportSession.Commit"/>;
    /// disposing without committing (or any exception) rolls everything back, leaving the store exactly as before.
    /// </summary>
    IImportSession BeginImport();

    /// <summary>Imports a whole dataset (ids, features, interactions) in one transaction.</summary>
    ImportResult Import(Dataset data, IProgressReporter? progress = null);

    /// <summary>
    /// As <see cref="Import"/>, awaiting the database's round trips (end of the row stream, index builds, key checks,
    /// commit). A cancelled <paramref name="cancel"/> stops the import (within a few thousand rows, or the statement
    /// running) with <see cref="OperationCanceledException"/>, and the store is left exactly as before.
    /// </summary>
    Task<ImportResult> ImportAsync(Dataset data, IProgressReporter? progress = null, CancellationToken cancel = default);

    /// <summary>Every user, item (with features) and interaction, as a dataset (ids in insertion order).</summary>
    Dataset LoadDataset(IProgressReporter? progress = null);

    /// <summary>The id of the newest interaction (0 when there is none): a mark from which <see cref="InteractionsAfter"/> reads later arrivals.</summary>
    long LastInteractionId();

    /// <summary>One user's interactions stored after the mark <paramref name="afterId"/>, oldest first (the server reloads evicted live events with it).</summary>
    IReadOnlyList<InteractionRecord> InteractionsAfter(string user, long afterId);

    /// <summary>As <see cref="LastInteractionId"/>, with the query awaited.</summary>
    Task<long> LastInteractionIdAsync(CancellationToken cancel = default);

    /// <summary>As <see cref="InteractionsAfter"/>, with the query and the reads awaited.</summary>
    Task<IReadOnlyList<InteractionRecord>> InteractionsAfterAsync(string user, long afterId, CancellationToken cancel = default);

    /// <summary>The items written through the catalogue (<see cref="IImportSession.PutItem"/>): features, hidden flag and timestamp, oldest write first.</summary>
    IReadOnlyList<CatalogueItemRow> CatalogueItems();

    /// <summary>Adds a trained model, or updates the one with the same model version.</summary>
    void RegisterModel(ModelRecord model);

    /// <summary>Sets (replaces) a registered model's metrics JSON.</summary>
    void SetModelMetrics(string modelVersion, string metricsJson);

    IReadOnlyList<ModelRecord> ListModels();

    /// <summary>Replaces all recommendations of <paramref name="modelVersion"/> with <paramref name="rows"/>, in one transaction.</summary>
    int SaveRecommendations(string modelVersion, IEnumerable<RecommendationRow> rows);

    /// <summary>
    /// As <see cref="SaveRecommendations"/>, with the writes awaited. A cancelled <paramref name="cancel"/> rolls the
    /// transaction back: the version's previous recommendations stay.
    /// </summary>
    Task<int> SaveRecommendationsAsync(string modelVersion, IEnumerable<RecommendationRow> rows, CancellationToken cancel = default);

    /// <summary>Stored recommendations of a model version (for one user when given), by user then rank.</summary>
    IReadOnlyList<RecommendationRow> GetRecommendations(string modelVersion, string? user = null);
}

/// <summary>One import transaction. Add data, then <see cref="Commit"/>; dispose without commit rolls back.</summary>
public interface IImportSession : IDisposable
{
    /// <summary>Adds a dataset's users and items (with features, merged into existing rows by external id) and its interactions.</summary>
    void AddDataset(Dataset data, IProgressReporter? progress = null);

    /// <summary>Streams interactions in (ids new to the store become new users/items). Returns rows added.</summary>
    long AddInteractions(IEnumerable<InteractionRecord> rows, IProgressReporter? progress = null);

    /// <summary>
    /// As <see cref="AddDataset"/>, stopping with <see cref="OperationCanceledException"/> when <paramref name="cancel"/>
    /// is signalled (checked every few thousand rows; the session then rolls back when disposed). Rows go through the
    /// driver's buffered writer (a binary COPY buffer, or SQLite's in-process statements); the end of the stream is awaited.
    /// </summary>
    Task AddDatasetAsync(Dataset data, IProgressReporter? progress = null, CancellationToken cancel = default);

    /// <summary>As <see cref="AddInteractions"/>, stopping like <see cref="AddDatasetAsync"/> when <paramref name="cancel"/> is signalled.</summary>
    Task<long> AddInteractionsAsync(IEnumerable<InteractionRecord> rows, IProgressReporter? progress = null, CancellationToken cancel = default);

    /// <summary>Deletes every stored interaction (users, items and features stay), e.g. before re-importing a full log.</summary>
    void ClearInteractions();

    /// <summary>Adds users (new external ids) and merges their features into existing rows.</summary>
    void AddUsers(IdMap ids, FeatureTable features);

    /// <summary>Adds items (new external ids) and merges their features into existing rows.</summary>
    void AddItems(IdMap ids, FeatureTable features);

    /// <summary>
    /// Creates or updates one catalogue item (the server's PUT /items/{id}): a new id becomes a new item; given features
    /// replace the stored ones (null keeps them); <see cref="CatalogueItemWrite.Hidden"/> and
    /// <see cref="CatalogueItemWrite.Timestamp"/> are kept when null. The item is then listed by <see cref="IInteractionStore.CatalogueItems"/>.
    /// </summary>
    void PutItem(CatalogueItemWrite item);

    /// <summary>Creates a user or replaces its features (the server's PUT /users/{id}); <paramref name="features"/> has one row.</summary>
    void PutUser(string id, FeatureTable features);

    /// <summary>Makes everything added visible at once (builds the indexes and checks the keys a bulk import dropped).</summary>
    ImportResult Commit();

    /// <summary>
    /// As <see cref="Commit"/>, with every statement and the commit awaited. Cancelled before the commit itself, it throws
    /// <see cref="OperationCanceledException"/> and nothing is imported (the session rolls back when disposed).
    /// </summary>
    Task<ImportResult> CommitAsync(CancellationToken cancel = default);
}

/// <summary>One catalogue write: the item <paramref name="Id"/> with its features (one row; null keeps the stored ones), hidden or not, and its timestamp.</summary>
/// <param name="Hidden">True hides the item from every list the server returns (out of stock); null keeps the stored flag.</param>
/// <param name="Timestamp">When the item was published (orders GET /items/latest); null keeps the stored one.</param>
public sealed record CatalogueItemWrite(string Id, FeatureTable? Features, bool? Hidden, DateTimeOffset? Timestamp);

/// <summary>An item as the catalogue stored it.</summary>
/// <param name="FeaturesJson">Its features as one JSON object (null when it has none).</param>
/// <param name="Hidden">Hidden from every list the server returns.</param>
/// <param name="Timestamp">When it was published, if known.</param>
/// <param name="UpdatedUtc">Its last catalogue write.</param>
public sealed record CatalogueItemRow(string Id, string? FeaturesJson, bool Hidden, DateTimeOffset? Timestamp, DateTimeOffset UpdatedUtc);

public sealed record StoreCounts(long Users, long Items, long Interactions, long Models, long Recommendations);

/// <summary>What an import added (the totals after it: <see cref="IInteractionStore.Counts"/>; not counted here, since
/// counting whole tables would dominate small writes such as the server's event posts).</summary>
public sealed record ImportResult(long NewUsers, long NewItems, long Interactions, double Seconds);

/// <summary>A trained model as stored in the models table.</summary>
public sealed record ModelRecord
{
    public required string Algorithm { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>The model file, when there is one.</summary>
    public string? Path { get; init; }
    public string ParametersJson { get; init; } = "{}";
    public string? DataFingerprint { get; init; }
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    /// <summary>Evaluation metrics as JSON; null until evaluated.</summary>
    public string? MetricsJson { get; init; }

    public static ModelRecord FromManifest(ModelManifest manifest, string? path, string? metricsJson = null) => new()
    {
        Algorithm = manifest.Algorithm,
        ModelVersion = manifest.ModelVersion,
        Path = path is null ? null : System.IO.Path.GetFullPath(path),
        ParametersJson = manifest.Parameters.GetRawText(),
        DataFingerprint = manifest.Data.Fingerprint,
        CreatedUtc = manifest.CreatedUtc,
        MetricsJson = metricsJson,
    };
}

/// <summary>One recommended item: user and item are external ids; rank starts at 1.</summary>
public readonly record struct RecommendationRow(string User, int Rank, string Item, float Score)
{
    /// <summary>Ranked results in a model's dense indices as rows with original ids (rank 1 = best).</summary>
    public static IEnumerable<RecommendationRow> From(TrainedModel model, IEnumerable<(int User, IReadOnlyList<Scored> Items)> results) =>
        results.SelectMany(x => x.Items.Select((s, rank) => new RecommendationRow(model.Users[x.User], rank + 1, model.Items[s.Index], s.Score)));
}
