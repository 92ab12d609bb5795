using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Trove.Server.Catalogue;
using Trove.Server.Models;

namespace Trove.Server.Http;

/// <summary>
/// POST /scores without an object per pair. The body (at most --max-request-bytes) is copied into a pooled buffer and read
/// with <see cref="Utf8JsonReader"/>: each id is decoded into a reused character buffer, checked, and resolved to an index
/// at once (an item to its model index, a user to a slot per distinct user), so a request of 10,000 pairs makes strings
/// for its distinct users only. Scores go into pooled arrays and the answer is written with <see cref="Utf8JsonWriter"/>
/// straight into the response, item ids taken from the model. The JSON is the <see cref="ScoresRequest"/> and
/// <see cref="ScoresResponse"/> of the OpenAPI document; the records only describe it.
/// </summary>
/// <remarks>
/// Why: maximum-size requests from a few clients allocated ~135 MB/s through the records, the strings of every id and the
/// response objects, and kept the server's peak memory above 1.5x its idle memory (issue 14).
/// </remarks>
internal static class PairScoresEndpoint
{
    /// <summary>Flush the response to the client whenever this much JSON is pending, so the answer never sits whole in memory.</summary>
    private const int FlushBytes = 32 * 1024;

    public static async Task<IResult> Handle(HttpContext context, ModelCatalog catalog, ServingEngine engine, ServerOptions options,
        ServerMetrics metrics, ItemCatalogue catalogue, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancel)
    {
        if (!context.Request.HasJsonContentType())
            return Results.Problem("Send the pairs as application/json.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");
        var (body, length) = await ReadBodyAsync(context.Request, options.MaxRequestBytes, cancel);
        if (body is null) return Endpoints.TooLarge(options);
        PairBatch? batch = null;
        try
        {
            if (ReadEnvelope(body.AsSpan(0, length), out var model, out var pairsAt, out int count) is { } badEnvelope) return badEnvelope;
            if (count == 0) return Endpoints.Invalid("pairs", "Give a non-empty array of {\"user\", \"item\"} pairs.");
            metrics.ScorePairs(count);
            if (count > options.MaxScorePairs) return Endpoints.Invalid("pairs", $"At most {options.MaxScorePairs} pairs per request.");
            if (Endpoints.FindModel(catalog, model, out var loaded) is { } missing) return missing;
            var view = catalogue.View(loaded);
            batch = new PairBatch(count);
            if (ReadPairs(body.AsSpan(pairsAt.Start, pairsAt.Length), loaded, view, batch) is { } badPairs) return badPairs;
            if (batch.UnknownItem is { } unknownItem) return Endpoints.UnknownItem(loaded, unknownItem);
            ArrayPool<byte>.Shared.Return(body);
            body = null;

            int users = batch.UserIds.Count;
            if (users > options.MaxScoreUsers)
                return Endpoints.Invalid("pairs", $"At most {options.MaxScoreUsers} distinct users per request (this one has {users}).");
            if (context.RequestServices.GetService<Hardening.RequestCost>() is { } cost && !cost.TryCharge(context, users - 1))
                return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                    detail: $"Scoring {users} users costs {users} requests of this client's rate limit.");
            if (await ScoreAsync(loaded, view, engine, batch, cancel) is { } unknownUser) return unknownUser;
            await WriteAsync(context, loaded, view, batch, json.Value.SerializerOptions, cancel);
            return Results.Empty;
        }
        finally
        {
            if (body is not null) ArrayPool<byte>.Shared.Return(body);
            batch?.Dispose();
        }
    }

    /// <summary>The body in a pooled buffer (the caller returns it), or null when it is larger than <paramref name="max"/> bytes.</summary>
    private static async Task<(byte[]? Body, int Length)> ReadBodyAsync(HttpRequest request, long max, CancellationToken cancel)
    {
        if (request.ContentLength > max) return (null, 0);
        int limit = (int)Math.Min(max, Array.MaxLength);
        var body = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        int length = 0;
        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(cancel);
            var data = read.Buffer;
            if (length + data.Length > limit)
            {
                reader.AdvanceTo(data.End);
                ArrayPool<byte>.Shared.Return(body);
                return (null, 0);
            }
            if (length + data.Length > body.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(2L * body.Length, length + data.Length), limit));
                body.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(body);
                body = larger;
            }
            data.CopyTo(body.AsSpan(length));
            length += (int)data.Length;
            reader.AdvanceTo(data.End);
            if (read.IsCompleted) return (body, length);
        }
    }

    /// <summary>
    /// The top-level object: the model name, where the pairs array lies and how many elements it has. Reads the whole
    /// document, so malformed JSON is refused before any pair is looked at. Property names match case-insensitively and
    /// unknown properties are ignored, as by the web defaults of System.Text.Json.
    /// </summary>
    private static IResult? ReadEnvelope(ReadOnlySpan<byte> json, out string? model, out (int Start, int Length) pairsAt, out int count)
    {
        model = null; pairsAt = default; count = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            // An empty body or a JSON null is a request without pairs.
            if (!reader.Read() || reader.TokenType == JsonTokenType.Null) return null;
            if (reader.TokenType != JsonTokenType.StartObject) return Endpoints.Invalid("body", "Send a JSON object {\"model\"?, \"pairs\": [{\"user\", \"item\"}, ...]}.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isModel = Named(ref reader, "model"u8), isPairs = !isModel && Named(ref reader, "pairs"u8);
                reader.Read();
                if (isModel)
                {
                    if (reader.TokenType == JsonTokenType.String) model = reader.GetString();
                    else if (reader.TokenType == JsonTokenType.Null) model = null;
                    else return Endpoints.Invalid("model", "model is the name of a loaded model (a string).");
                }
                else if (isPairs)
                {
                    if (reader.TokenType == JsonTokenType.Null) { pairsAt = default; count = 0; continue; }
                    if (reader.TokenType != JsonTokenType.StartArray) return Endpoints.Invalid("pairs", "pairs is an array of {\"user\", \"item\"} objects.");
                    int start = (int)reader.TokenStartIndex;
                    count = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        count++;
                        reader.Skip();
                    }
                    pairsAt = (start, (int)reader.BytesConsumed - start);
                }
                else reader.Skip();
            }
            // Nothing may follow the object.
            if (reader.Read()) return Endpoints.Invalid("body", "The body holds more than one JSON value.");
            return null;
        }
        catch (JsonException e) { return Endpoints.Invalid("body", "The body is not valid JSON: " + e.Message); }
        catch (InvalidOperationException e) { return Endpoints.Invalid("body", "The body is not valid JSON text: " + e.Message); }
    }

    /// <summary>ASCII names compared case-insensitively, escaped ones decoded first.</summary>
    private static bool Named(ref Utf8JsonReader reader, ReadOnlySpan<byte> name) =>
        reader.ValueIsEscaped
            ? string.Equals(reader.GetString(), Encoding.UTF8.GetString(name), StringComparison.OrdinalIgnoreCase)
            : System.Text.Ascii.EqualsIgnoreCase(reader.ValueSpan, name);

    /// <summary>
    /// Reads the pairs array: every pair's ids checked (all problems reported together, as validation problem details naming
    /// <c>pairs[i].user</c>), then resolved to indices in <paramref name="batch"/>. The first unknown item is kept for a 404.
    /// </summary>
    private static IResult? ReadPairs(ReadOnlySpan<byte> json, LoadedModel model, CatalogueView view, PairBatch batch)
    {
        Dictionary<string, string[]>? errors = null;
        void Fail(string field, string message) => (errors ??= [])[field] = [message];
        var reader = new Utf8JsonReader(json);
        reader.Read(); // [
        int p = 0;
        try
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    Fail($"pairs[{p}]", reader.TokenType == JsonTokenType.Null ? "Each pair is an object {\"user\", \"item\"}, not null." : "Each pair is an object {\"user\", \"item\"}.");
                    reader.Skip();
                    p++;
                    continue;
                }
                int userLength = -1, itemLength = -1; // -1: absent or null
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isUser = Named(ref reader, "user"u8), isItem = !isUser && Named(ref reader, "item"u8);
                    reader.Read();
                    if (!isUser && !isItem) { reader.Skip(); continue; }
                    string field = isUser ? "user" : "item";
                    int length = -1;
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        if (!batch.TryDecode(ref reader, isUser, out length))
                            Fail($"pairs[{p}].{field}", $"The {field} id is not valid UTF-8 or UTF-16 text.");
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        Fail($"pairs[{p}].{field}", $"A {field} id is a string.");
                        reader.Skip();
                    }
                    if (isUser) userLength = length; else itemLength = length;
                }
                string? userProblem = IdRules.Problem(userLength < 0 ? ReadOnlySpan<char>.Empty : batch.UserChars.AsSpan(0, userLength), "user");
                string? itemProblem = IdRules.Problem(itemLength < 0 ? ReadOnlySpan<char>.Empty : batch.ItemChars.AsSpan(0, itemLength), "item");
                if (userProblem is not null && !(errors?.ContainsKey($"pairs[{p}].user") ?? false)) Fail($"pairs[{p}].user", userProblem);
                if (itemProblem is not null && !(errors?.ContainsKey($"pairs[{p}].item") ?? false)) Fail($"pairs[{p}].item", itemProblem);
                // Once a request is refused, its ids need no resolving.
                if (errors is null) batch.Add(p, batch.UserChars.AsSpan(0, userLength), batch.ItemChars.AsSpan(0, itemLength), model, view);
                p++;
            }
        }
        catch (JsonException e) { return Endpoints.Invalid("body", "The body is not valid JSON: " + e.Message); }
        catch (InvalidOperationException e) { return Endpoints.Invalid("body", "The body is not valid JSON text: " + e.Message); }
        return errors is null ? null : Results.ValidationProblem(errors, title: "Invalid score request");
    }

    /// <summary>
    /// Scores users one at a time into one pooled buffer, reading only the requested items: a request holds at most one
    /// score vector whatever its size. Null when every user was scored, else the 404 of the first unknown user.
    /// </summary>
    private static async Task<IResult?> ScoreAsync(LoadedModel model, CatalogueView view, ServingEngine engine, PairBatch batch, CancellationToken cancel)
    {
        batch.GroupByUser();
        int itemCount = model.Trained.Items.Count;
        var all = ArrayPool<float>.Shared.Rent(itemCount);
        try
        {
            for (int s = 0; s < batch.UserIds.Count; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var state = await engine.UserAsync(model, batch.UserIds[s], cancel);
                if (!ScoreUser(model, view, engine, state, batch, s, all.AsSpan(0, itemCount))) return Endpoints.UnknownUser(model, batch.UserIds[s]);
            }
            return null;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(all);
        }
    }

    private static bool ScoreUser(LoadedModel model, CatalogueView view, ServingEngine engine, UserState state, PairBatch batch, int slot, Span<float> all)
    {
        var positions = batch.PositionsOf(slot);
        var wanted = batch.Wanted.AsSpan(0, positions.Length);
        var picked = batch.Picked.AsSpan(0, positions.Length);
        int known = 0;
        bool anyNew = false;
        foreach (int p in positions)
        {
            int at = batch.ItemIndices[p];
            if (at >= 0) wanted[known++] = at; else anyNew = true;
        }
        if (!engine.TryScoreItems(model, state, wanted[..known], picked[..known], all)) return false;
        // Items added through the catalogue since training (negative indices) score by the user's vector against theirs.
        ReadOnlySpan<float> query = default;
        bool haveQuery = anyNew && ServingEngine.TryQueryVector(model, state, out query);
        int next = 0;
        foreach (int p in positions)
        {
            int at = batch.ItemIndices[p];
            batch.Scores[p] = at >= 0 ? picked[next++] : haveQuery ? System.Numerics.Tensors.TensorPrimitives.Dot(query, view.NewVector(-1 - at)) : 0f;
        }
        return true;
    }

    /// <summary>Writes <see cref="ScoresResponse"/> into the response body, flushing every <see cref="FlushBytes"/>.</summary>
    private static async Task WriteAsync(HttpContext context, LoadedModel model, CatalogueView view, PairBatch batch, JsonSerializerOptions options, CancellationToken cancel)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var body = response.BodyWriter;
        // The serializer's encoder, so ids are escaped exactly as in every other answer.
        using var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true });
        writer.WriteStartObject();
        writer.WriteString("model"u8, model.Name);
        writer.WriteString("modelVersion"u8, model.Version);
        writer.WriteStartArray("scores"u8);
        for (int p = 0; p < batch.Count; p++)
        {
            int at = batch.ItemIndices[p];
            string item = at >= 0 ? model.Trained.Items[at] : view.NewItems[-1 - at].Id;
            writer.WriteStartObject();
            writer.WriteString("user"u8, batch.UserIds[batch.UserSlots[p]]);
            writer.WriteString("item"u8, item);
            writer.WriteNumber("score"u8, batch.Scores[p]);
            writer.WriteBoolean("hidden"u8, view.IsHidden(item));
            writer.WriteEndObject();
            if (writer.BytesPending >= FlushBytes)
            {
                writer.Flush();
                await body.FlushAsync(cancel);
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        await body.FlushAsync(cancel);
    }

    /// <summary>
    /// The pairs of one request as indices in pooled arrays: a slot per distinct user (its id the only string made), the
    /// model index of each item (-1 - j for the j-th catalogue item added since training), the scores. Returned on dispose.
    /// </summary>
    private sealed class PairBatch(int count) : IDisposable
    {
        public int Count { get; } = count;
        public int[] UserSlots { get; } = ArrayPool<int>.Shared.Rent(count);
        public int[] ItemIndices { get; } = ArrayPool<int>.Shared.Rent(count);
        public float[] Scores { get; } = ArrayPool<float>.Shared.Rent(count);
        public int[] Wanted { get; } = ArrayPool<int>.Shared.Rent(count);
        public float[] Picked { get; } = ArrayPool<float>.Shared.Rent(count);
        /// <summary>Distinct users in order of first appearance.</summary>
        public List<string> UserIds { get; } = [];
        /// <summary>The first item the model does not know, in pair order.</summary>
        public string? UnknownItem { get; private set; }
        public char[] UserChars { get; private set; } = ArrayPool<char>.Shared.Rent(IdRules.MaxLength + 1);
        public char[] ItemChars { get; private set; } = ArrayPool<char>.Shared.Rent(IdRules.MaxLength + 1);

        private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
        private int[]? _order, _starts;

        /// <summary>Decodes the current string token into the user or item buffer (grown when needed); false for text that is not valid UTF-8/UTF-16.</summary>
        public bool TryDecode(ref Utf8JsonReader reader, bool user, out int length)
        {
            // Never more characters than bytes: an escape sequence takes more bytes than the character it stands for.
            int most = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
            var chars = user ? UserChars : ItemChars;
            if (chars.Length < most)
            {
                ArrayPool<char>.Shared.Return(chars);
                chars = ArrayPool<char>.Shared.Rent(most);
                if (user) UserChars = chars; else ItemChars = chars;
            }
            try
            {
                length = reader.CopyString(chars);
                return true;
            }
            catch (InvalidOperationException)
            {
                length = -1;
                return false;
            }
        }

        public void Add(int p, ReadOnlySpan<char> user, ReadOnlySpan<char> item, LoadedModel model, CatalogueView view)
        {
            var lookup = _slots.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(user, out int slot))
            {
                slot = UserIds.Count;
                var id = user.ToString();
                _slots.Add(id, slot);
                UserIds.Add(id);
            }
            UserSlots[p] = slot;
            if (model.Trained.Items.TryGetIndex(item, out int index)) { ItemIndices[p] = index; return; }
            // A new catalogue item is scored with its vector (index -1 - j), when the model gives new items one.
            string name = item.ToString();
            int j = view.ScoresNewItems ? view.NewIndexOf(name) : -1;
            if (j < 0) UnknownItem ??= name;
            ItemIndices[p] = -1 - Math.Max(j, 0);
        }

        /// <summary>Pair positions ordered by user slot (a counting sort), each user's in request order.</summary>
        public void GroupByUser()
        {
            int users = UserIds.Count;
            _starts = ArrayPool<int>.Shared.Rent(users + 1);
            _order = ArrayPool<int>.Shared.Rent(Count);
            var starts = _starts.AsSpan(0, users + 1);
            starts.Clear();
            for (int p = 0; p < Count; p++) starts[UserSlots[p] + 1]++;
            for (int s = 0; s < users; s++) starts[s + 1] += starts[s];
            var next = ArrayPool<int>.Shared.Rent(users);
            starts[..users].CopyTo(next);
            for (int p = 0; p < Count; p++) _order[next[UserSlots[p]]++] = p;
            ArrayPool<int>.Shared.Return(next);
        }

        public ReadOnlySpan<int> PositionsOf(int slot) => _order.AsSpan(_starts![slot], _starts[slot + 1] - _starts[slot]);

        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(UserSlots);
            ArrayPool<int>.Shared.Return(ItemIndices);
            ArrayPool<float>.Shared.Return(Scores);
            ArrayPool<int>.Shared.Return(Wanted);
            ArrayPool<float>.Shared.Return(Picked);
            ArrayPool<char>.Shared.Return(UserChars);
            ArrayPool<char>.Shared.Return(ItemChars);
            if (_order is not null) ArrayPool<int>.Shared.Return(_order);
            if (_starts is not null) ArrayPool<int>.Shared.Return(_starts);
        }
    }
}
