using Trove.Server.Models;


namespace Trove.Server.Http;

public sealed record RecommendedItem(int Rank, string Item, float Score, string? Title, IReadOnlyDictionary<string, string?> Features, IReadOnlyList<Contribution>? Because);

/// <param name="Retrieval">How the items were found: "exact" (every item scored) or "hnsw" (the maximum-inner-product graph).</param>
public sealed record RecommendationsResponse(
    string User, string Model, string ModelVersion, string Algorithm, int K, int Offset,
    bool ColdStart, int NewEvents, IReadOnlyList<RecommendedItem> Items, string Retrieval);

public sealed record Neighbour(string Id, float Score, string? Title);

public sealed record SimilarResponse(string Of, string Model, string ModelVersion, IReadOnlyList<Neighbour> Items);

public sealed record ScorePair(string? User, string? Item);

public sealed record ScoresRequest(string? Model, IReadOnlyList<ScorePair>? Pairs);

/// <param name="Hidden">The item is hidden in the catalogue (out of stock): no list returns it; its score is still given because the caller named it.</param>
public sealed record PairScore(string User, string Item, float Score, bool Hidden = false);

public sealed record ScoresResponse(string Model, string ModelVersion, IReadOnlyList<PairScore> Scores);

public sealed record EmbeddingResponse(string Id, string Model, string ModelVersion, int Dimensions, float[] Vector);

/// <summary>An event as clients send it: <c>{"user": "u1", "item": "i9", "event": "purchase", "timestamp": 1700000000}</c> (timestamp: Unix seconds or ISO 8601, optional).</summary>
public sealed record EventRequest(string? User, string? Item, string? Event, System.Text.Json.JsonElement? Timestamp);

public sealed record EventsAccepted(int Accepted, string Store);

public sealed record HistoryItem(string Item, float Weight, string? Title);

public sealed record HistoryEvent(string Item, string Event, float Weight, DateTimeOffset Timestamp, bool KnownItem);

public sealed record HistoryResponse(string User, bool Known, string Model, IReadOnlyList<HistoryItem> Training, int TrainingCount, IReadOnlyList<HistoryEvent> Events);

/// <param name="Users">Users per item in the model's training data (0 for an item added since).</param>
/// <param name="Hidden">Hidden through the catalogue API: no list returns it.</param>
/// <param name="Timestamp">When the item was published (catalogue items only).</param>
/// <param name="InModel">Whether the model was trained on the item (false for a catalogue item added since).</param>
public sealed record ItemResponse(string Item, string Model, int Users, string? Title, IReadOnlyDictionary<string, string?> Features, bool Hidden = false,
    DateTimeOffset? Timestamp = null, bool InModel = true);

/// <param name="Retrieval">What a recommendation request without retrieval= uses now: "hnsw" once the graph is ready (with --retrieval hnsw or auto), else "exact".</param>
/// <param name="RecommendationIndex">The maximum-inner-product graph and where it came from (loaded from MODEL.index, built, rebuilt), or null.</param>
public sealed record ModelDescription(string Name, string Algorithm, string Version, string File, DateTime CreatedUtc, DateTime LoadedUtc, int Users, int Items, bool Embeddings, bool HistoryScoring, string? VectorIndex, object Parameters,
    string Retrieval, string? RecommendationIndex);

/// <param name="Status">"ready"; "degraded" while the database is unavailable (recommendations are still served, event writes get 503); "loading" without a model (HTTP 503).</param>
/// <param name="Database">The event database (--db): null without one.</param>
/// <param name="Events">Live events held in memory now.</param>
/// <param name="MaxEventsInMemory">The bound on live events in memory (--max-events-in-memory).</param>
/// <param name="EvictedEvents">Events evicted from memory since start (with --db they are read back when asked for).</param>
/// <param name="Retraining">Scheduled retraining (--retrain): the schedule, the next time and the last run; null without a schedule.</param>
public sealed record ReadyResponse(string Status, long Generation, IReadOnlyList<ModelDescription> Models, string EventStore, long Events, long MaxEventsInMemory, long EvictedEvents,
    DateTime? LastReloadUtc, string? LastReloadError, DatabaseHealth? Database, Retraining.RetrainingStatus? Retraining = null);

/// <param name="Status">"available" or "unavailable".</param>
/// <param name="Since">When the database became unavailable.</param>
/// <param name="Error">The last failure.</param>
public sealed record DatabaseHealth(string Status, DateTime? Since, string? Error);

public sealed record ReloadResponse(long Generation, IReadOnlyList<ModelDescription> Models);

/// <summary>Liveness.</summary>
/// <param name="Status">"ok" while the process answers.</param>
public sealed record HealthResponse(string Status);

/// <summary>One item found by GET /items/search.</summary>
/// <param name="Score">What orders the list: the cosine (dense), BM25 score (sparse), fused reciprocal-rank score (hybrid), or the personalised blend with a user.</param>
/// <param name="DenseRank">Rank in the embedding list (null when not among its candidates).</param>
/// <param name="SparseRank">Rank in the BM25 list (null when no query word occurs in the item's text).</param>
/// <param name="UserScore">The model's score for the searching user (null without a user).</param>
public sealed record SearchResultItem(int Rank, string Item, float Score, string? Title, string Text, IReadOnlyDictionary<string, string?> Features,
    int? DenseRank, float? DenseScore, int? SparseRank, float? SparseScore, float? UserScore);

/// <summary>The answer of GET /items/search.</summary>
/// <param name="Mode">dense, sparse or hybrid.</param>
/// <param name="Encoder">The text encoder of the dense index (minilm, tfidf).</param>
public sealed record SearchResponse(string Query, string Mode, string? User, string Model, string ModelVersion, string Encoder, int K, IReadOnlyList<SearchResultItem> Items);
