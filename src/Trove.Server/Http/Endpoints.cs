using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Trove.Core.Recommending;
using Trove.Data.Stores;
using Trove.Models.Search;
using Trove.Server.Catalogue;
using Trove.Server.Events;
using Trove.Server.Models;

namespace Trove.Server.Http;

/// <summary>Query parameters of GET /users/{user}/recommendations.</summary>
public sealed class RecommendQuery
{
    /// <summary>How many items (1..max-k, default 10).</summary>
    public int? K { get; init; }
    /// <summary>Ranks to skip, for paging (k + offset must stay within max-k).</summary>
    public int? Offset { get; init; }
    /// <summary>Which loaded model (its name or algorithm); the first one by default.</summary>
    public string? Model { get; init; }
    /// <summary>Exclude items the user already interacted with (default true).</summary>
    public bool? ExcludeSeen { get; init; }
    /// <summary>Comma-separated item ids never to return.</summary>
    public string? Exclude { get; init; }
    /// <summary>Comma-separated item ids: only these may be returned.</summary>
    public string? Allow { get; init; }
    /// <summary>Only items whose "category" feature has this label.</summary>
    public string? Category { get; init; }
    /// <summary>Only items whose "brand" feature has this label.</summary>
    public string? Brand { get; init; }
    /// <summary>Feature filters "column:value" (repeatable), e.g. genre:Comedy.</summary>
    public string[]? Filter { get; init; }
    /// <summary>Add for each item the user's history items that contributed most.</summary>
    public bool? Explain { get; init; }
    /// <summary>"popular": unknown users get the most popular items instead of 404.</summary>
    public string? Fallback { get; init; }
    /// <summary>"exact" (score every item), "hnsw" (the maximum-inner-product graph, when the model has one) or "auto"; default: the server's --retrieval.</summary>
    public string? Retrieval { get; init; }
}

/// <summary>Query parameters of GET /items/search.</summary>
public sealed class SearchQuery
{
    /// <summary>The text to look for (required, at most 1000 characters).</summary>
    public string? Q { get; init; }
    /// <summary>Re-rank the found items with the model's score for this user (new events included).</summary>
    public string? User { get; init; }
    /// <summary>How many items (1..max-k, default 10).</summary>
    public int? K { get; init; }
    /// <summary>dense (embeddings), sparse (BM25 keywords) or hybrid (both, fused; the default).</summary>
    public string? Mode { get; init; }
    /// <summary>How hybrid fuses the lists: rrf (reciprocal ranks), minmax (min-max scaled scores) or dbsf (scores scaled by mean +- 3 sd; the default).</summary>
    public string? Fusion { get; init; }
    /// <summary>Mode hybrid: multiply the BM25 weight by the share of the query's idf mass its best hit holds (default true).</summary>
    public bool? Adaptive { get; init; }
    /// <summary>Which loaded model (its name or algorithm); the first one by default.</summary>
    public string? Model { get; init; }
    /// <summary>Only items whose "category" feature has this label.</summary>
    public string? Category { get; init; }
    /// <summary>Feature filters "column:value" (repeatable), e.g. genre:Comedy.</summary>
    public string[]? Filter { get; init; }
    /// <summary>Weight of the dense list in the fusion (default 1).</summary>
    public float? DenseWeight { get; init; }
    /// <summary>Weight of the BM25 list in the fusion (default 1).</summary>
    public float? SparseWeight { get; init; }
    /// <summary>With a user: share of the user's score in the final order, 0..1 (default 0.3).</summary>
    public float? PersonalWeight { get; init; }
}

/// <summary>The HTTP surface of `trove serve`.</summary>
public static class Endpoints
{
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The endpoint needs the API key: checked by <see cref="ApiKeyFilter"/>, declared in the OpenAPI document.</summary>
    public static RouteHandlerBuilder RequireApiKey(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilter<ApiKeyFilter>().WithMetadata(new ApiKeyRequired());

    /// <summary>
    /// Maps the API and the dashboard on <paramref name="app"/>: the application itself (`trove serve`), or a route group
    /// under <paramref name="prefix"/> in a host application (<see cref="Hosting.TroveHostingExtensions.MapTrove"/>).
    /// </summary>
    public static void Map(IEndpointRouteBuilder app, string prefix = "")
    {
        app.MapGet("/health", () => Results.Ok(new HealthResponse("ok"))).WithName("Health").Produces<HealthResponse>().ProducesProblem(StatusCodes.Status429TooManyRequests).WithTags("operations").WithSummary("Liveness: the process answers.");
        app.MapGet("/ready", Ready).WithName("Ready").WithTags("operations").Produces<ReadyResponse>().ProducesProblem(StatusCodes.Status429TooManyRequests).Produces<ReadyResponse>(StatusCodes.Status503ServiceUnavailable).WithSummary("Readiness: models loaded (503 when none), with their versions and the last reload error.");
        // Prometheus text from OpenTelemetry's exporter over the meter of ServerMetrics (for scrapers, not in the client document).
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/models", (ModelCatalog catalog) => Results.Ok(catalog.Current.Models.Select(Describe))).WithName("ListModels").Produces<IReadOnlyList<ModelDescription>>().ProducesProblem(StatusCodes.Status429TooManyRequests)
            .WithTags("models").WithSummary("The loaded models.");
        app.MapPost("/admin/reload", Reload).WithName("ReloadModels").RequireApiKey()
            .Produces<ReloadResponse>().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithTags("models").WithSummary("Reload model files without restart (atomic swap; in-flight requests finish on the old model). Needs X-Api-Key.");

        app.MapGet("/users/{user}/recommendations", Recommend).WithName("RecommendForUser").WithTags("recommendations")
            .Produces<RecommendationsResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Top-k items for a user, with paging, filters, new events taken into account, and optional explanations.");
        app.MapGet("/users/{user}/similar", SimilarUsers).WithName("SimilarUsers").WithTags("recommendations")
            .Produces<SimilarResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Users most similar to a user.");
        app.MapGet("/users/{user}/history", History).WithName("UserHistory").WithTags("users")
            .Produces<HistoryResponse>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("A user's training interactions and events received since.");
        app.MapGet("/users/{user}/embedding", UserEmbedding).WithName("UserEmbedding").WithTags("embeddings")
            .Produces<EmbeddingResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("A user's vector (embedding models only).");
        app.MapGet("/items/search", SearchItems).WithName("SearchItems").WithTags("search")
            .Produces<SearchResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Items matching a text query: embeddings (dense), BM25 keywords (sparse) or both fused (hybrid), optionally re-ranked for a user.");
        CatalogueEndpoints.Map(app);
        app.MapGet("/items/{item}", Item).WithName("GetItem").WithTags("items")
            .Produces<ItemResponse>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("An item's features, popularity and catalogue state (hidden, timestamp; also for items added since training).");
        app.MapGet("/items/{item}/similar", SimilarItems).WithName("SimilarItems").WithTags("recommendations")
            .Produces<SimilarResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Items most similar to an item.");
        app.MapGet("/items/{item}/embedding", ItemEmbedding).WithName("ItemEmbedding").WithTags("embeddings")
            .Produces<EmbeddingResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).WithSummary("An item's vector (embedding models only).");
        // Read and written without an object per pair (PairScoresEndpoint); the records describe the JSON.
        app.MapPost("/scores", PairScoresEndpoint.Handle).WithName("ScorePairs").WithTags("recommendations")
            .Accepts(typeof(ScoresRequest), isOptional: true, "application/json")
            .Produces<ScoresResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Scores of user-item pairs.");
        app.MapPost("/events", PostEvents).WithName("PostEvents").RequireApiKey()
            .Accepts<EventRequest[]>("application/json")
            .Produces<EventsAccepted>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithTags("events").WithSummary("Record one event or a JSON array of events; they count for the user's next request. Needs X-Api-Key.");

        // The dashboard's own data (free-form JSON shaped for its pages): not part of the client API document.
        app.MapGet("/api/stats", Stats).ExcludeFromDescription();
        app.MapGet("/api/evaluation", Evaluation).ExcludeFromDescription();
        app.MapGet("/api/figures", Figures).ExcludeFromDescription();
        app.MapGet("/", (HttpContext context) => Results.Redirect($"{context.Request.PathBase}{prefix.TrimEnd('/')}/dashboard/")).ExcludeFromDescription();
        app.MapGet("/dashboard/{**file}", Dashboard).ExcludeFromDescription();
    }

    // ---- operations -------------------------------------------------------------------------

    /// <summary>Runs Trove's health checks (<see cref="Health.TroveHealthChecks.Tag"/>) and reports them with the served versions.</summary>
    private static async Task<IResult> Ready(ModelCatalog catalog, IEventStore events, HealthCheckService health, IServiceProvider services, CancellationToken cancel)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(Health.TroveHealthChecks.Tag), cancel);
        var set = catalog.Current;
        DatabaseHealth? database = null;
        if (events is InteractionStoreEvents && report.Entries.TryGetValue(Health.TroveHealthChecks.EventStore, out var store))
            database = new DatabaseHealth(store.Status == HealthStatus.Healthy ? "available" : "unavailable",
                store.Data.TryGetValue("since", out var since) ? (DateTime)since : null, store.Data.TryGetValue("error", out var error) ? (string)error : null);
        bool loaded = report.Entries.TryGetValue(Health.TroveHealthChecks.Models, out var models) && models.Status == HealthStatus.Healthy;
        var status = !loaded ? "loading" : report.Status == HealthStatus.Healthy ? "ready" : "degraded";
        var body = new ReadyResponse(status, set.Generation, set.Models.Select(Describe).ToList(),
            events.Description, events.Count, events.MaxEventsInMemory, events.EvictedEvents, catalog.LastReloadUtc, catalog.LastError, database,
            services.GetService<Retraining.ScheduledRetraining>()?.Status);
        return loaded ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static IResult Reload(ModelCatalog catalog, ServerOptions options, string? model)
    {
        // The name only selects among the configured models; it is never used as a path.
        if (model is not null && !options.Models.Any(s => string.Equals(s.Name, model, StringComparison.OrdinalIgnoreCase)))
            return Results.Problem($"No model named '{model}' is configured. Configured: {string.Join(", ", options.Models.Select(s => s.Name))}.",
                statusCode: StatusCodes.Status404NotFound, title: "Unknown model");
        try
        {
            var set = catalog.Reload(model);
            return Results.Ok(new ReloadResponse(set.Generation, set.Models.Select(Describe).ToList()));
        }
        catch (Core.Errors.TroveException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Model reload failed");
        }
    }

    internal static ModelDescription Describe(LoadedModel m) => new(
        m.Name, m.Manifest.Algorithm, m.Version, Path.GetFileName(m.Path), m.Manifest.CreatedUtc, m.LoadedUtc,
        m.Trained.Users.Count, m.Trained.Items.Count, m.Model is IEmbeddingModel, m.HistoryScorer is not null,
        m.ItemIndex?.GetType().Name, m.Model.Parameters,
        RetrievalModes.Name(m.DefaultRetrieval), m.RecommendationIndex is null ? null : $"HnswIndex (inner product, {m.IndexSource})");

    // ---- recommendations --------------------------------------------------------------------

    private static async Task<IResult> Recommend(string user, [AsParameters] RecommendQuery q, ModelCatalog catalog, ServingEngine engine, ServerOptions options,
        ItemCatalogue catalogue, CancellationToken cancel)
    {
        if (FindModel(catalog, q.Model, out var model) is { } missing) return missing;
        int k = q.K ?? 10, offset = q.Offset ?? 0;
        if (CheckK(k, offset, options) is { } bad) return bad;
        var view = catalogue.View(model);
        if (BuildFilter(model, q, out var filter, view) is { } invalid) return invalid;
        if (ParseRetrieval(q.Retrieval, options.Retrieval, out var retrieval) is { } badRetrieval) return badRetrieval;
        var state = await engine.UserAsync(model, user, cancel);
        bool coldStart = false;
        // With new catalogue items the model can score, the trained ranking is taken from rank 1 and merged with them.
        bool merge = view.ScoresNewItems;
        int want = merge ? k + offset : k, skip = merge ? 0 : offset;
        if (model.UsesGraph(retrieval) && ServingEngine.PageFromGraph(model, state, filter, want, skip) is { } fromGraph)
            return Recommended(model, user, state, k, offset, merge ? MergeNew(model, view, state, q, fromGraph, k, offset) : fromGraph, coldStart, explain: q.Explain == true, RetrievalMode.Hnsw, view);
        // Scores of every item live in a pooled buffer: a fresh 400 KB array per request (100k items)
        // would land on the large-object heap and dominate the request's cost. Dot-product models score
        // concurrent requests in one batch (--exact-batching), whose scorer lends its own score arrays.
        int itemCount = model.Trained.Items.Count;
        var batched = ServingEngine.BatchedScores(model, state, cancel);
        var buffer = batched is null ? ArrayPool<float>.Shared.Rent(itemCount) : await batched;
        IReadOnlyList<Scored> top;
        try
        {
            var scores = buffer.AsSpan(0, itemCount);
            if (batched is null && !engine.TryScores(model, state, scores))
            {
                if (!string.Equals(q.Fallback, "popular", StringComparison.OrdinalIgnoreCase))
                    return UnknownUser(model, user);
                ServingEngine.PopularScores(model, scores);
                coldStart = true;
            }
            ServingEngine.ApplyFilter(model, state, filter, scores);
            top = ServingEngine.Page(scores, want, skip);
        }
        finally
        {
            if (batched is null) ArrayPool<float>.Shared.Return(buffer);
            else model.ExactScorer!.Return(buffer);
        }
        if (merge) top = coldStart ? top.Skip(offset).ToList() : MergeNew(model, view, state, q, top, k, offset);
        return Recommended(model, user, state, k, offset, top, coldStart, explain: q.Explain == true, RetrievalMode.Exact, view);
    }

    /// <summary>Ranks offset+1 .. offset+k of the trained ranking merged with the new catalogue items that pass the request's filter.</summary>
    private static IReadOnlyList<Scored> MergeNew(LoadedModel model, CatalogueView view, UserState state, RecommendQuery q, IReadOnlyList<Scored> trainedTop, int k, int offset)
    {
        bool haveQuery = ServingEngine.TryQueryVector(model, state, out var query);
        var exclude = IdSet(q.Exclude) ?? [];
        if (q.ExcludeSeen ?? true) foreach (var e in state.Events) exclude.Add(e.Item);
        return view.Merge(query, haveQuery, trainedTop, k, offset, FeatureFilters(q), exclude, IdSet(q.Allow));
    }

    private static HashSet<string>? IdSet(string? list) =>
        string.IsNullOrWhiteSpace(list) ? null : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    private static IResult Recommended(LoadedModel model, string user, UserState state, int k, int offset, IReadOnlyList<Scored> top, bool coldStart, bool explain, RetrievalMode retrieval,
        CatalogueView view) => new RecommendationsResult(model, user, state, k, offset, top, coldStart, explain, retrieval, view);

    internal static string? CatalogueTitle(CatalogueItem item) =>
        item.Labels.TryGetValue("title", out var t) ? t : item.Labels.TryGetValue("name", out var n) ? n : null;

    private static IResult? ParseRetrieval(string? given, RetrievalMode fallback, out RetrievalMode mode)
    {
        mode = fallback;
        if (given is null) return null;
        if (RetrievalModes.TryParse(given, out mode)) return null;
        return Invalid("retrieval", $"retrieval must be {RetrievalModes.Names}; got '{given}'.");
    }

    private static IResult SimilarUsers(string user, int? k, string? model, ModelCatalog catalog, ServerOptions options)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        int count = k ?? 10;
        if (CheckK(count, 0, options) is { } bad) return bad;
        if (!m.Trained.Users.TryGetIndex(user, out int u)) return UnknownUser(m, user);
        var similar = m.Model.SimilarUsers(u, count);
        return Results.Ok(new SimilarResponse(user, m.Name, m.Version, similar.Select(s => new Neighbour(m.Trained.Users[s.Index], s.Score, null)).ToList()));
    }

    private static IResult SimilarItems(string item, int? k, string? model, ModelCatalog catalog, ServerOptions options, ItemCatalogue catalogue)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        int count = k ?? 10;
        if (CheckK(count, 0, options) is { } bad) return bad;
        var view = catalogue.View(m);
        var hidden = view.HiddenIndices;
        IReadOnlyList<Scored> similar;
        if (!m.Trained.Items.TryGetIndex(item, out int i))
        {
            // A new catalogue item: its neighbours by its vector, when the model gives new items one.
            int j = view.NewIndexOf(item);
            if (j < 0 || !view.ScoresNewItems || m.ItemIndex is not { } newIndex) return UnknownItem(m, item);
            similar = newIndex.Search(view.NewVector(j), count, other => !hidden.Contains(other)).Select(v => new Scored(v.Index, v.Score)).ToList();
        }
        else if (m.ItemIndex is { } index && m.Model is IEmbeddingModel e)
            similar = index.Search(e.ItemVector(i), count, other => other != i && !hidden.Contains(other)).Select(v => new Scored(v.Index, v.Score)).ToList();
        else
            similar = hidden.Count == 0 ? m.Model.SimilarItems(i, count)
                : m.Model.SimilarItems(i, Math.Min(m.Trained.Items.Count, count + hidden.Count)).Where(s => !hidden.Contains(s.Index)).Take(count).ToList();
        return Results.Ok(new SimilarResponse(item, m.Name, m.Version,
            similar.Select(s => new Neighbour(m.Trained.Items[s.Index], s.Score, ServingEngine.Title(m, s.Index))).ToList()));
    }

    // ---- search ------------------------------------------------------------------------------

    private static async Task<IResult> SearchItems([AsParameters] SearchQuery q, ModelCatalog catalog, ServingEngine engine, ServerOptions options, ItemCatalogue catalogue, CancellationToken cancel)
    {
        if (FindModel(catalog, q.Model, out var model) is { } missing) return missing;
        if (string.IsNullOrWhiteSpace(q.Q)) return Invalid("q", "Give the text to search for: q=...");
        if (q.Q.Length > SearchRequest.MaxQueryLength) return Invalid("q", $"The query has {q.Q.Length} characters; at most {SearchRequest.MaxQueryLength}.");
        int k = q.K ?? 10;
        if (CheckK(k, 0, options) is { } bad) return bad;
        if (!SearchModes.TryParse(q.Mode ?? "hybrid", out var mode)) return Invalid("mode", $"mode must be {SearchModes.Names}; got '{q.Mode}'.");
        var fusion = SearchRequest.DefaultFusion;
        if (q.Fusion is not null && !SearchFusions.TryParse(q.Fusion, out fusion)) return Invalid("fusion", $"fusion must be {SearchFusions.Names}; got '{q.Fusion}'.");
        if (BuildFilter(model, new RecommendQuery { Category = q.Category, Filter = q.Filter, ExcludeSeen = false }, out var filter) is { } invalid) return invalid;
        var masks = filter.Features.Select(f => model.FeatureMask(f.Column, f.Value).Passes).ToArray();
        var hidden = catalogue.View(model).HiddenIndices;
        var request = new SearchRequest
        {
            Query = q.Q, K = k, Mode = mode, Fusion = fusion, Adaptive = q.Adaptive ?? SearchRequest.DefaultAdaptive,
            DenseWeight = q.DenseWeight ?? SearchRequest.DefaultDenseWeight, SparseWeight = q.SparseWeight ?? SearchRequest.DefaultSparseWeight, PersonalWeight = q.PersonalWeight ?? 0.3f,
            Filter = masks.Length == 0 && hidden.Count == 0 ? null : i => !hidden.Contains(i) && masks.All(m => m[i]),
        };
        try { request.Validate(); }
        catch (Core.Errors.TroveException e) { return Invalid("query", e.Message); }

        ItemSearch search;
        try { search = model.Search; }
        catch (Core.Errors.TroveException e) { return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "Model not searchable"); }

        float[]? userScores = null;
        if (q.User is { } user)
        {
            if (IdRules.Problem(user, "user") is { } badUser) return Invalid("user", badUser);
            // Every item's score for the user, new events included (the same path as recommendations); the search reads its candidates' scores.
            var state = await engine.UserAsync(model, user, cancel);
            userScores = new float[model.Trained.Items.Count];
            if (!engine.TryScores(model, state, userScores)) return UnknownUser(model, user);
            var all = userScores;
            request = request with { UserScores = items => items.Select(i => all[i]).ToArray() };
        }
        var hits = search.Search(request);
        var items = hits.Select((h, r) => new SearchResultItem(r + 1, model.Trained.Items[h.Item], h.Score, ServingEngine.Title(model, h.Item), search.Index.Documents[h.Item],
            ServingEngine.Features(model, h.Item), h.DenseRank, h.DenseScore, h.SparseRank, h.SparseScore, h.UserScore)).ToList();
        return Results.Ok(new SearchResponse(q.Q, SearchModes.Name(mode), q.User, model.Name, model.Version, search.Index.Encoder.Encoder, k, items));
    }

    // ---- users, items, embeddings -----------------------------------------------------------

    private static async Task<IResult> History(string user, string? model, ModelCatalog catalog, ServingEngine engine, CancellationToken cancel)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        var state = await engine.UserAsync(m, user, cancel);
        if (!state.Known && state.Events.Count == 0) return UnknownUser(m, user);
        var training = new List<HistoryItem>();
        int trainingCount = 0;
        if (state.Known && m.UserItems is { } matrix && state.Index < matrix.Rows)
        {
            var items = matrix.RowIndices(state.Index).ToArray(); var weights = matrix.RowValues(state.Index).ToArray();
            trainingCount = items.Length;
            var order = Enumerable.Range(0, items.Length).OrderByDescending(p => weights[p]).ThenBy(p => items[p]).Take(500).ToArray();
            foreach (int p in order) training.Add(new HistoryItem(m.Trained.Items[items[p]], weights[p], ServingEngine.Title(m, items[p])));
        }
        var events = state.Events.OrderByDescending(e => e.Timestamp).Take(500)
            .Select(e => new HistoryEvent(e.Item, e.Event, e.Weight, e.Timestamp, m.Trained.Items.Contains(e.Item))).ToList();
        return Results.Ok(new HistoryResponse(user, state.Known, m.Name, training, trainingCount, events));
    }

    private static IResult Item(string item, string? model, ModelCatalog catalog, ItemCatalogue catalogue)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        catalogue.Current.Items.TryGetValue(item, out var written);
        if (!m.Trained.Items.TryGetIndex(item, out int i))
        {
            if (written is null) return UnknownItem(m, item);
            return Results.Ok(new ItemResponse(item, m.Name, 0, CatalogueTitle(written), written.Features(), written.Hidden, written.Timestamp, InModel: false));
        }
        // Features written through the catalogue show over the training ones (they reach filters after the next retraining).
        var features = ServingEngine.Features(m, i);
        if (written is not null) foreach (var (key, value) in written.Features()) features[key] = value;
        return Results.Ok(new ItemResponse(item, m.Name, (int)m.ItemUserCounts[i], written is null ? ServingEngine.Title(m, i) : CatalogueTitle(written) ?? ServingEngine.Title(m, i),
            features, written?.Hidden ?? false, written?.Timestamp, InModel: true));
    }

    private static async Task<IResult> UserEmbedding(string user, string? model, ModelCatalog catalog, ServingEngine engine, CancellationToken cancel)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        if (m.Model is not IEmbeddingModel e) return NoEmbeddings(m);
        var state = await engine.UserAsync(m, user, cancel);
        // With events since training (or a new user), fold the history in when the model can (ALS).
        if ((state.NewEvents > 0 || !state.Known) && state.HistoryItems.Length > 0
            && HistoryScoring.FoldIn(m.Model, state.HistoryItems, state.HistoryWeights) is { } folded)
            return Results.Ok(new EmbeddingResponse(user, m.Name, m.Version, e.Dimensions, folded));
        if (!state.Known) return UnknownUser(m, user);
        return Results.Ok(new EmbeddingResponse(user, m.Name, m.Version, e.Dimensions, e.UserVector(state.Index).ToArray()));
    }

    private static IResult ItemEmbedding(string item, string? model, ModelCatalog catalog)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        if (m.Model is not IEmbeddingModel e) return NoEmbeddings(m);
        if (!m.Trained.Items.TryGetIndex(item, out int i)) return UnknownItem(m, item);
        return Results.Ok(new EmbeddingResponse(item, m.Name, m.Version, e.Dimensions, e.ItemVector(i).ToArray()));
    }

    // ---- events -----------------------------------------------------------------------------

    private static async Task<IResult> PostEvents(HttpRequest request, IEventStore store, ServerOptions options, ServerMetrics metrics, CancellationToken cancel)
    {
        if (request.ContentLength > options.MaxRequestBytes) return TooLarge(options);
        var body = await ReadLimitedAsync(request.Body, options.MaxRequestBytes, cancel);
        if (body is null) return TooLarge(options);
        JsonDocument document;
        try { document = JsonDocument.Parse(body); }
        catch (JsonException e) { return Invalid("body", "The body is not valid JSON: " + e.Message); }
        using (document)
        {
            var root = document.RootElement;
            var elements = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray().ToList(),
                JsonValueKind.Object => [root],
                _ => null,
            };
            if (elements is null) return Invalid("body", "Send one event object or a JSON array of events: {\"user\", \"item\", \"event\", \"timestamp\"?}.");
            if (elements.Count == 0) return Invalid("body", "The array of events is empty.");
            if (elements.Count > options.MaxEventsPerRequest) return Invalid("body", $"At most {options.MaxEventsPerRequest} events per request; got {elements.Count}.");
            var now = DateTimeOffset.UtcNow;
            var errors = new Dictionary<string, string[]>();
            var events = new List<UserEvent>(elements.Count);
            for (int e = 0; e < elements.Count; e++)
            {
                string at = root.ValueKind == JsonValueKind.Array ? $"[{e}]." : "";
                if (elements[e].ValueKind != JsonValueKind.Object) { errors[$"[{e}]"] = ["Each event must be a JSON object."]; continue; }
                string? user = null, item = null, name = null; JsonElement? time = null;
                foreach (var p in elements[e].EnumerateObject())
                {
                    switch (p.Name.ToLowerInvariant())
                    {
                        case "user": user = Text(p.Value, numbers: true); break;
                        case "item": item = Text(p.Value, numbers: true); break;
                        case "event": name = Text(p.Value, numbers: false); break;
                        case "timestamp": time = p.Value; break;
                    }
                }
                var problems = new List<(string, string)>();
                if (IdRules.Problem(user, "user") is { } badUser) problems.Add(("user", badUser));
                if (IdRules.Problem(item, "item") is { } badItem) problems.Add(("item", badItem));
                float weight = 0;
                if (string.IsNullOrWhiteSpace(name) || name.Length > 64) problems.Add(("event", "Required: an event type such as view, add_to_cart or purchase."));
                else if (!options.EventWeights.TryGetWeight(name, out weight))
                    problems.Add(("event", $"Unknown event type '{name}'. Known: {string.Join(", ", options.EventWeights.Weights.Keys)}."));
                DateTimeOffset timestamp = now;
                if (time is { } t && t.ValueKind != JsonValueKind.Null && !TryTimestamp(t, out timestamp))
                    problems.Add(("timestamp", "Unix seconds or an ISO 8601 date-time."));
                foreach (var (field, message) in problems) errors[at + field] = [message];
                if (problems.Count == 0) events.Add(new UserEvent(user!, item!, name!.ToLowerInvariant(), weight, timestamp, now));
            }
            if (errors.Count > 0)
            {
                metrics.EventsRejected(elements.Count);
                return Results.ValidationProblem(errors, title: "Invalid events", detail: "No event of this request was stored.");
            }
            try { await store.AppendAsync(events, cancel); }
            catch (DatabaseUnavailableException e) { return Unavailable(request.HttpContext, e); }
            metrics.EventsAccepted(events.Count);
            return Results.Ok(new EventsAccepted(events.Count, store.Description));
        }
    }

    /// <summary>A JSON string (or number, for ids) as text; null for other kinds and for strings that are not valid UTF-16 (a lone surrogate escape).</summary>
    private static string? Text(JsonElement value, bool numbers)
    {
        if (numbers && value.ValueKind == JsonValueKind.Number) return value.GetRawText();
        if (value.ValueKind != JsonValueKind.String) return null;
        try { return value.GetString(); }
        catch (InvalidOperationException) { return null; }
    }

    internal static bool TryTimestamp(JsonElement t, out DateTimeOffset value)
    {
        value = default;
        if (t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out long n))
        {
            if (n < 0 || n > 253402300799999) return false;
            value = n > Trove.Data.Readers.ValueParsers.MillisecondsAbove ? DateTimeOffset.FromUnixTimeMilliseconds(n) : DateTimeOffset.FromUnixTimeSeconds(n); // the files' rule
            return true;
        }
        return t.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private static async Task<byte[]?> ReadLimitedAsync(Stream body, long max, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > max) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    // ---- dashboard --------------------------------------------------------------------------

    private static async Task<IResult> Stats(string? model, ModelCatalog catalog, IEventStore events, ServerOptions options, CancellationToken cancel)
    {
        if (FindModel(catalog, model, out var m) is { } missing) return missing;
        StoreCounts? counts = null;
        if (events is InteractionStoreEvents store)
        {
            try { counts = await store.CountsAsync(cancel); }
            catch (DatabaseUnavailableException) { } // the statistics of the model's data are still worth showing
        }
        return Results.Ok(new
        {
            model = m.Name, modelVersion = m.Version, algorithm = m.Manifest.Algorithm, dataFile = options.DataPath is null ? null : Path.GetFileName(options.DataPath),
            data = m.Statistics,
            events = new { store = events.Description, count = events.Count, byType = events.CountsByEvent() },
            database = counts,
            models = catalog.Current.Models.Select(Describe),
        });
    }

    private static async Task<IResult> Evaluation(HttpContext context, ServerOptions options, IEventStore events, CancellationToken cancel)
    {
        if (options.EvaluationPath is null && events is InteractionStoreEvents database)
        {
            try
            {
                if (await database.EvaluatedModelsAsync(cancel) is { Count: > 0 } rows) return Results.Ok(new { source = database.Description, models = rows });
            }
            catch (DatabaseUnavailableException e) { return Unavailable(context, e); }
        }
        if (options.EvaluationPath is not { } path || !File.Exists(path))
            return Results.Problem(options.EvaluationPath is null ? "No evaluation report configured: start the server with --evaluation report.json (or --db with evaluated models)." : $"The evaluation report '{options.EvaluationPath}' does not exist.",
                statusCode: StatusCodes.Status404NotFound, title: "No evaluation report");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Results.Ok(document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            return Results.Problem($"'{path}' is not valid JSON: {e.Message}", statusCode: StatusCodes.Status422UnprocessableEntity, title: "Unreadable evaluation report");
        }
    }

    private static IResult Figures(ServerOptions options)
    {
        if (options.FiguresPath is not { } dir || !Directory.Exists(dir)) return Results.Ok(Array.Empty<string>());
        var allowed = new[] { ".png", ".svg", ".html", ".jpg" };
        return Results.Ok(Directory.EnumerateFiles(dir).Where(f => allowed.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => "/figures/" + Uri.EscapeDataString(Path.GetFileName(f))).Order().ToList());
    }

    private static readonly Assembly Self = typeof(Endpoints).Assembly;

    private static IResult Dashboard(string? file)
    {
        file = string.IsNullOrEmpty(file) ? "index.html" : file;
        if (file.Contains("..")) return Results.NotFound();
        var stream = Self.GetManifestResourceStream("dashboard/" + file);
        if (stream is null) return Results.Problem($"No dashboard file '{file}'.", statusCode: 404, title: "Not found");
        var type = Path.GetExtension(file) switch
        {
            ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8",
            ".svg" => "image/svg+xml", ".png" => "image/png", _ => "application/octet-stream",
        };
        return Results.Stream(stream, type);
    }

    // ---- helpers ----------------------------------------------------------------------------

    internal static IResult? FindModel(ModelCatalog catalog, string? name, out LoadedModel model)
    {
        var set = catalog.Current; // one snapshot per request: a reload never changes it under us
        model = set.Find(name)!;
        if (model is not null) return null;
        if (set.Models.Count == 0) return Results.Problem("No model is loaded yet.", statusCode: 503, title: "Not ready");
        return Results.Problem($"No model named '{name}'. Loaded: {string.Join(", ", set.Models.Select(m => m.Name))}.", statusCode: 404, title: "Unknown model");
    }

    internal static IResult? CheckK(int k, int offset, ServerOptions options)
    {
        if (k < 1 || k > options.MaxK) return Invalid("k", $"k must be between 1 and {options.MaxK}; got {k}.");
        if (offset < 0) return Invalid("offset", $"offset must be 0 or more; got {offset}.");
        if ((long)k + offset > options.MaxK) return Invalid("offset", $"k + offset must be at most {options.MaxK}; got {(long)k + offset}.");
        return null;
    }

    /// <summary>The request's feature filters (category, brand, filter=column:value), unchecked.</summary>
    internal static List<(string Key, string Column, string Value)> RequestedFeatures(string? category, string? brand, string[]? filters, out string? badFilter)
    {
        badFilter = null;
        var requested = new List<(string Key, string Column, string Value)>();
        if (!string.IsNullOrWhiteSpace(category)) requested.Add(("category", "category", category.Trim()));
        if (!string.IsNullOrWhiteSpace(brand)) requested.Add(("brand", "brand", brand.Trim()));
        foreach (var f in filters ?? [])
        {
            int sep = f.IndexOfAny([':', '=']);
            if (sep <= 0 || sep == f.Length - 1) { badFilter = f; return requested; }
            requested.Add(("filter", f[..sep].Trim(), f[(sep + 1)..].Trim()));
        }
        return requested;
    }

    private static IReadOnlyList<(string Column, string Value)> FeatureFilters(RecommendQuery q) =>
        RequestedFeatures(q.Category, q.Brand, q.Filter, out _).Select(r => (r.Column, r.Value)).ToList();

    internal static IResult BadFilter(string f) => Invalid("filter", $"Bad filter '{f}': expected column:value, e.g. genre:Comedy.");

    private static IResult? BuildFilter(LoadedModel model, RecommendQuery q, out RequestFilter filter, CatalogueView? view = null)
    {
        var features = new List<(string, string)>();
        var known = model.Trained.ItemFeatures.Categorical;
        var requested = RequestedFeatures(q.Category, q.Brand, q.Filter, out var badFilter);
        if (badFilter is not null) { filter = null!; return BadFilter(badFilter); }
        foreach (var (key, column, value) in requested)
        {
            if (!known.ContainsKey(column))
            {
                filter = null!;
                return Invalid(key, $"Items of model '{model.Name}' have no '{column}' feature. Known: {string.Join(", ", known.Keys.DefaultIfEmpty("(none)"))}.");
            }
            features.Add((column, value));
        }
        IReadOnlyCollection<int>? exclude = Ids(model, q.Exclude);
        // Hidden items (out of stock) are excluded like the request's own exclude list, in both the exact and the graph path.
        if (view is { HiddenIndices.Count: > 0 } v) exclude = exclude is null ? v.HiddenIndices : v.HiddenIndices.Concat(exclude).ToHashSet();
        filter = new RequestFilter(q.ExcludeSeen ?? true, exclude, q.Allow is null ? null : Ids(model, q.Allow) ?? [], features);
        return null;
    }

    /// <summary>Indices of comma-separated item ids; unknown ids are ignored (they cannot be recommended anyway).</summary>
    private static int[]? Ids(LoadedModel model, string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return null;
        return list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => model.Trained.Items.TryGetIndex(id, out int i) ? i : -1).Where(i => i >= 0).ToArray();
    }

    internal static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "Invalid request", detail: message);

    /// <summary>503 with Retry-After: the database cannot take the call now (an expected condition, so not logged per request).</summary>
    internal static IResult Unavailable(HttpContext context, DatabaseUnavailableException e)
    {
        // The database's address and error stay in the server log and /ready, not in answers to clients.
        var seconds = Hardening.RetryAfterSeconds(e.RetryAfter);
        context.Response.Headers.RetryAfter = seconds;
        return Results.Problem($"The event database is unavailable; nothing was stored. Retry after {seconds} s.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable");
    }

    internal static IResult TooLarge(ServerOptions options) =>
        Results.Problem($"The request body exceeds {options.MaxRequestBytes:N0} bytes; send smaller batches.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large");

    internal static IResult UnknownUser(LoadedModel model, string user) =>
        Results.Problem($"User '{user}' is not in model '{model.Name}' ({model.Trained.Users.Count:N0} users) and has no events on its items. Add fallback=popular for popular items instead.",
            statusCode: StatusCodes.Status404NotFound, title: "Unknown user", extensions: new Dictionary<string, object?> { ["user"] = user });

    internal static IResult UnknownItem(LoadedModel model, string item) =>
        Results.Problem($"Item '{item}' is not in model '{model.Name}' ({model.Trained.Items.Count:N0} items).",
            statusCode: StatusCodes.Status404NotFound, title: "Unknown item", extensions: new Dictionary<string, object?> { ["item"] = item });

    private static IResult NoEmbeddings(LoadedModel model) =>
        Results.Problem($"Model '{model.Name}' ({model.Manifest.Algorithm}) has no user/item vectors; embeddings come from factorisation models such as ALS.",
            statusCode: StatusCodes.Status400BadRequest, title: "No embeddings");
}

/// <summary>Rejects a request without the configured key in the X-Api-Key header (401 problem details).</summary>
/// <summary>Endpoint metadata of a write operation that needs the API key (the filter checks it; the OpenAPI document declares it).</summary>
public sealed class ApiKeyRequired;

public sealed class ApiKeyFilter(ApiKey key) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var given = context.HttpContext.Request.Headers[Endpoints.ApiKeyHeader].ToString();
        if (!key.Matches(given))
            return Results.Problem(string.IsNullOrEmpty(given) ? $"This endpoint needs an API key in the {Endpoints.ApiKeyHeader} header." : "The API key is not valid.",
                statusCode: StatusCodes.Status401Unauthorized, title: "API key required");
        return await next(context);
    }
}

/// <summary>The key write endpoints require.</summary>
public sealed class ApiKey(string value)
{
    public string Value { get; } = value;

    public bool Matches(string? given) =>
        !string.IsNullOrEmpty(given) && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(Value));
}
