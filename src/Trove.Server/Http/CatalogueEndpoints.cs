using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Trove.Core.Recommending;
using Trove.Server.Catalogue;
using Trove.Server.Events;
using Trove.Server.Models;

namespace Trove.Server.Http;

/// <summary>The body of PUT /items/{item}: <c>{"features": {"title": "Kite", "category": "toys|outdoor", "price": 12.5}, "hidden": false, "timestamp": "2026-05-01T12:00:00Z"}</c>.</summary>
/// <param name="Features">Replaces the item's features when given: strings, numbers, booleans or arrays of strings (joined as labels "a|b"); null values are left out.</param>
/// <param name="Hidden">True hides the item from every list the server returns (out of stock), false shows it again; absent keeps the current state.</param>
/// <param name="Timestamp">When the item was published (Unix seconds or ISO 8601): orders GET /items/latest. Absent: kept, or now for a new item.</param>
public sealed record ItemWriteRequest(IReadOnlyDictionary<string, JsonElement>? Features, bool? Hidden, JsonElement? Timestamp);

/// <summary>The body of PUT /users/{user}: <c>{"features": {"country": "NO", "age": 31}}</c>.</summary>
/// <param name="Features">Replaces the user's features: strings, numbers, booleans or arrays of strings.</param>
public sealed record UserWriteRequest(IReadOnlyDictionary<string, JsonElement>? Features);

/// <summary>An item after a catalogue write.</summary>
/// <param name="Created">The item was new to the catalogue and to every loaded model.</param>
/// <param name="RecommendedBy">The loaded models that can return it now: trained on it, or scoring new items from their features.</param>
/// <param name="Store">Where the write persisted ("memory" without --db).</param>
public sealed record CatalogueItemResponse(string Item, bool Created, bool Hidden, DateTimeOffset? Timestamp, IReadOnlyDictionary<string, string?> Features,
    IReadOnlyList<string> RecommendedBy, string Store);

/// <summary>A user after PUT /users/{user}.</summary>
/// <param name="Store">Where the write persisted ("memory" without --db).</param>
public sealed record UserWriteResponse(string User, IReadOnlyDictionary<string, string?> Features, string Store);

/// <summary>One item of GET /items/popular or /items/latest.</summary>
/// <param name="Users">Users per item in the model's training data.</param>
/// <param name="Timestamp">When it was published (catalogue items).</param>
public sealed record ListedItem(int Rank, string Item, int Users, DateTimeOffset? Timestamp, string? Title, IReadOnlyDictionary<string, string?> Features);

/// <summary>The answer of GET /items/popular and /items/latest.</summary>
public sealed record ItemListResponse(string Model, string ModelVersion, int K, int Offset, IReadOnlyList<ListedItem> Items);

/// <summary>Query parameters of GET /items/popular and /items/latest.</summary>
public sealed class ItemListQuery
{
    /// <summary>How many items (1..max-k, default 10).</summary>
    public int? K { get; init; }
    /// <summary>Ranks to skip, for paging.</summary>
    public int? Offset { get; init; }
    /// <summary>Which loaded model (its name or algorithm); the first one by default.</summary>
    public string? Model { get; init; }
    /// <summary>Only items whose "category" feature has this label.</summary>
    public string? Category { get; init; }
    /// <summary>Only items whose "brand" feature has this label.</summary>
    public string? Brand { get; init; }
    /// <summary>Feature filters "column:value" (repeatable), e.g. genre:Comedy.</summary>
    public string[]? Filter { get; init; }
}

/// <summary>
/// The catalogue API (as Gorse offers it): items and users written with their features, items hidden and shown again,
/// popular and latest items. Writes need the API key and persist in the --db database.
/// </summary>
public static class CatalogueEndpoints
{
    /// <summary>Most features per item or user.</summary>
    public const int MaxFeatures = 200;
    /// <summary>Longest feature value (characters).</summary>
    public const int MaxFeatureLength = 10_000;

    /// <summary>Maps the catalogue operations on <paramref name="app"/> (the application or MapTrove's group).</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/items/popular", Popular).WithName("PopularItems").WithTags("items")
            .Produces<ItemListResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The items most users interacted with in the model's training data, hidden items left out, with filters.");
        app.MapGet("/items/latest", Latest).WithName("LatestItems").WithTags("items")
            .Produces<ItemListResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("The most recently published catalogue items (newest timestamp first), hidden items left out, with filters.");
        app.MapPut("/items/{item}", PutItem).WithName("PutItem").WithTags("items").RequireApiKey()
            .Accepts<ItemWriteRequest>("application/json")
            .Produces<CatalogueItemResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Insert or update an item with its features, hide or show it (out of stock); new items are recommended at once by models that score items from features. Needs X-Api-Key.");
        app.MapPut("/users/{user}", PutUser).WithName("PutUser").WithTags("users").RequireApiKey()
            .Accepts<UserWriteRequest>("application/json")
            .Produces<UserWriteResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Insert or update a user with features (training data of the next retraining from the database). Needs X-Api-Key.");
    }

    private static async Task<IResult> PutItem(string item, HttpRequest request, ItemCatalogue catalogue, ModelCatalog catalog, ServerOptions options, CancellationToken cancel)
    {
        if (await ReadBody(request, options, cancel) is not { } body) return Endpoints.Invalid("body", "Send a JSON object such as {\"features\": {\"title\": \"Kite\", \"category\": \"toys\"}, \"hidden\": false}.");
        using (body)
        {
            var root = body.RootElement;
            var errors = new Dictionary<string, string[]>();
            Dictionary<string, string>? labels = null; Dictionary<string, float>? numbers = null;
            bool? hidden = null; DateTimeOffset? timestamp = null;
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name.ToLowerInvariant())
                {
                    case "features":
                        if (p.Value.ValueKind == JsonValueKind.Null) break;
                        (labels, numbers) = Features(p.Value, errors);
                        break;
                    case "hidden":
                        if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) hidden = p.Value.GetBoolean();
                        else if (p.Value.ValueKind != JsonValueKind.Null) errors["hidden"] = ["true or false."];
                        break;
                    case "timestamp":
                        if (p.Value.ValueKind == JsonValueKind.Null) break;
                        if (Endpoints.TryTimestamp(p.Value, out var t)) timestamp = t;
                        else errors["timestamp"] = ["Unix seconds or an ISO 8601 date-time."];
                        break;
                    default:
                        errors[p.Name] = ["Unknown field: an item has features, hidden and timestamp."];
                        break;
                }
            }
            if (errors.Count > 0) return Results.ValidationProblem(errors, title: "Invalid item", detail: "Nothing was stored.");
            bool known = catalog.Current.Models.Any(m => m.Trained.Items.Contains(item));
            CatalogueItem written;
            bool created;
            try { (written, created) = await catalogue.PutItemAsync(item, labels, numbers, hidden, timestamp, known, cancel); }
            catch (DatabaseUnavailableException e) { return Endpoints.Unavailable(request.HttpContext, e); }
            var by = new List<string>();
            foreach (var m in catalog.Current.Models)
            {
                if (written.Hidden) break;
                var view = catalogue.View(m);
                if (m.Trained.Items.Contains(item) || view.ScoresNewItems && view.NewIndexOf(item) >= 0) by.Add(m.Name);
            }
            return Results.Ok(new CatalogueItemResponse(item, created, written.Hidden, written.Timestamp, written.Features(), by, catalogue.Store));
        }
    }

    private static async Task<IResult> PutUser(string user, HttpRequest request, ItemCatalogue catalogue, ServerOptions options, CancellationToken cancel)
    {
        if (await ReadBody(request, options, cancel) is not { } body) return Endpoints.Invalid("body", "Send a JSON object such as {\"features\": {\"country\": \"NO\"}}.");
        using (body)
        {
            var errors = new Dictionary<string, string[]>();
            Dictionary<string, string> labels = new(); Dictionary<string, float> numbers = new();
            foreach (var p in body.RootElement.EnumerateObject())
            {
                if (string.Equals(p.Name, "features", StringComparison.OrdinalIgnoreCase))
                {
                    if (p.Value.ValueKind != JsonValueKind.Null) (labels, numbers) = Features(p.Value, errors);
                }
                else errors[p.Name] = ["Unknown field: a user has features."];
            }
            if (errors.Count > 0) return Results.ValidationProblem(errors, title: "Invalid user", detail: "Nothing was stored.");
            try { await catalogue.PutUserAsync(user, labels, numbers, cancel); }
            catch (DatabaseUnavailableException e) { return Endpoints.Unavailable(request.HttpContext, e); }
            return Results.Ok(new UserWriteResponse(user, catalogue.UserFeatures(user)!, catalogue.Store));
        }
    }

    /// <summary>The body as a JSON object; null when it is empty, not JSON or not an object (a 400); too large bodies are refused by Kestrel's limit.</summary>
    private static async Task<JsonDocument?> ReadBody(HttpRequest request, ServerOptions options, CancellationToken cancel)
    {
        if (request.ContentLength > options.MaxRequestBytes) throw new BadHttpRequestException($"The request body exceeds {options.MaxRequestBytes:N0} bytes.", StatusCodes.Status413PayloadTooLarge);
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancel);
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            return null;
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Feature values as labels (strings, booleans, arrays of strings joined by '|') and numbers; problems go to <paramref name="errors"/>.</summary>
    private static (Dictionary<string, string>, Dictionary<string, float>) Features(JsonElement features, Dictionary<string, string[]> errors)
    {
        var labels = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var numbers = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        if (features.ValueKind != JsonValueKind.Object) { errors["features"] = ["An object of feature name to value."]; return (labels, numbers); }
        int count = 0;
        foreach (var p in features.EnumerateObject())
        {
            string at = $"features.{p.Name}";
            if (++count > MaxFeatures) { errors["features"] = [$"At most {MaxFeatures} features."]; break; }
            if (p.Name.Length is 0 or > 64 || p.Name.Any(char.IsControl)) { errors[at] = ["A feature name has 1 to 64 characters, no control characters."]; continue; }
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Null: break;
                case JsonValueKind.Number:
                    if (p.Value.TryGetSingle(out float f) && float.IsFinite(f)) numbers[p.Name] = f;
                    else errors[at] = ["A finite number."];
                    break;
                case JsonValueKind.True or JsonValueKind.False: labels[p.Name] = p.Value.GetBoolean() ? "true" : "false"; break;
                case JsonValueKind.String:
                {
                    var text = Text(p.Value);
                    if (text is null || text.Length > MaxFeatureLength) errors[at] = [$"A string of at most {MaxFeatureLength} characters."];
                    else labels[p.Name] = text;
                    break;
                }
                case JsonValueKind.Array:
                {
                    var parts = p.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? Text(e) : null).ToList();
                    if (parts.Any(x => x is null) || parts.Sum(x => x!.Length + 1) > MaxFeatureLength) errors[at] = ["An array of strings (labels)."];
                    else labels[p.Name] = string.Join('|', parts);
                    break;
                }
                default: errors[at] = ["A string, number, boolean or array of strings."]; break;
            }
        }
        return (labels, numbers);
    }

    private static string? Text(JsonElement value)
    {
        try { return value.GetString(); }
        catch (InvalidOperationException) { return null; } // a lone surrogate escape
    }

    // ---- lists -------------------------------------------------------------------------------

    private static IResult Popular([AsParameters] ItemListQuery q, ModelCatalog catalog, ItemCatalogue catalogue, ServerOptions options)
    {
        if (Endpoints.FindModel(catalog, q.Model, out var model) is { } missing) return missing;
        int k = q.K ?? 10, offset = q.Offset ?? 0;
        if (Endpoints.CheckK(k, offset, options) is { } bad) return bad;
        var requested = Endpoints.RequestedFeatures(q.Category, q.Brand, q.Filter, out var badFilter);
        if (badFilter is not null) return Endpoints.BadFilter(badFilter);
        var known = model.Trained.ItemFeatures.Categorical;
        foreach (var (key, column, _) in requested)
            if (!known.ContainsKey(column))
                return Endpoints.Invalid(key, $"Items of model '{model.Name}' have no '{column}' feature. Known: {string.Join(", ", known.Keys.DefaultIfEmpty("(none)"))}.");
        var view = catalogue.View(model);
        int n = model.Trained.Items.Count;
        var buffer = ArrayPool<float>.Shared.Rent(n);
        IReadOnlyList<Scored> top;
        try
        {
            var scores = buffer.AsSpan(0, n);
            ServingEngine.PopularScores(model, scores);
            foreach (int i in view.HiddenIndices) scores[i] = float.NegativeInfinity;
            foreach (var (_, column, value) in requested)
            {
                var passes = model.FeatureMask(column, value).Passes;
                for (int i = 0; i < n; i++) if (!passes[i]) scores[i] = float.NegativeInfinity;
            }
            top = ServingEngine.Page(scores, k, offset);
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
        var written = catalogue.Current.Items;
        var items = top.Select((s, r) =>
        {
            var id = model.Trained.Items[s.Index];
            written.TryGetValue(id, out var w);
            return new ListedItem(offset + r + 1, id, (int)model.ItemUserCounts[s.Index], w?.Timestamp, ServingEngine.Title(model, s.Index), ServingEngine.Features(model, s.Index));
        }).ToList();
        return Results.Ok(new ItemListResponse(model.Name, model.Version, k, offset, items));
    }

    private static IResult Latest([AsParameters] ItemListQuery q, ModelCatalog catalog, ItemCatalogue catalogue, ServerOptions options)
    {
        if (Endpoints.FindModel(catalog, q.Model, out var model) is { } missing) return missing;
        int k = q.K ?? 10, offset = q.Offset ?? 0;
        if (Endpoints.CheckK(k, offset, options) is { } bad) return bad;
        var requested = Endpoints.RequestedFeatures(q.Category, q.Brand, q.Filter, out var badFilter);
        if (badFilter is not null) return Endpoints.BadFilter(badFilter);
        var snapshot = catalogue.Current;
        foreach (var (key, column, _) in requested)
            if (!model.Trained.ItemFeatures.Categorical.ContainsKey(column) && !snapshot.Items.Values.Any(i => i.Labels.ContainsKey(column)))
                return Endpoints.Invalid(key, $"No item of model '{model.Name}' or of the catalogue has a '{column}' feature.");
        var filters = requested.Select(r => (r.Column, r.Value)).ToList();
        var items = new List<ListedItem>(k);
        int passed = 0;
        foreach (var item in snapshot.Latest)
        {
            if (item.Hidden) continue;
            bool inModel = model.Trained.Items.TryGetIndex(item.Id, out int index);
            // The catalogue's features decide; a trained item written without features keeps the model's.
            bool passes = item.Labels.Count == 0 && item.Numbers.Count == 0 && inModel
                ? filters.All(f => model.FeatureMask(f.Column, f.Value).Passes[index])
                : CatalogueView.Passes(item, filters, null, null);
            if (!passes || passed++ < offset) continue;
            var features = inModel ? ServingEngine.Features(model, index) : new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in item.Features()) features[key] = value;
            items.Add(new ListedItem(offset + items.Count + 1, item.Id, inModel ? (int)model.ItemUserCounts[index] : 0, item.Timestamp,
                Endpoints.CatalogueTitle(item) ?? (inModel ? ServingEngine.Title(model, index) : null), features));
            if (items.Count == k) break;
        }
        return Results.Ok(new ItemListResponse(model.Name, model.Version, k, offset, items));
    }
}
