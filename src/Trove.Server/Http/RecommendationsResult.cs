using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Trove.Core.Recommending;
using Trove.Server.Catalogue;
using Trove.Server.Models;

namespace Trove.Server.Http;

/// <summary>
/// The answer of GET /users/{user}/recommendations (a <see cref="RecommendationsResponse"/>), written without the
/// response records, a feature dictionary per item or the reflection-driven serializer on the hottest path of the server:
/// each item's fixed part (its id; its title and features) is encoded once per model and kept (<see cref="ItemParts"/>),
/// and a response copies those parts around its ranks and scores. The bytes are those <see cref="JsonSerializer"/> writes
/// for the same response with the application's JSON options: the first request under an options object checks this on a
/// sample response (<see cref="WritesLikeSerializer"/>), and options that change the output (a host application's own
/// naming policy, ignored nulls, indentation, converters) get the serializer itself. The body goes out with a
/// Content-Length in one write.
/// </summary>
internal sealed class RecommendationsResult(LoadedModel model, string user, UserState state, int k, int offset, IReadOnlyList<Scored> top,
    bool coldStart, bool explain, RetrievalMode retrieval, CatalogueView view) : IResult
{
    private const string ContentType = "application/json; charset=utf-8";

    // Property names as the web defaults (camelCase) write them; options that name them otherwise fail the check and
    // take the serializer path.
    private static readonly JsonEncodedText UserName = JsonEncodedText.Encode("user"), ModelName = JsonEncodedText.Encode("model"),
        ModelVersionName = JsonEncodedText.Encode("modelVersion"), AlgorithmName = JsonEncodedText.Encode("algorithm"), KName = JsonEncodedText.Encode("k"),
        OffsetName = JsonEncodedText.Encode("offset"), ColdStartName = JsonEncodedText.Encode("coldStart"), NewEventsName = JsonEncodedText.Encode("newEvents"),
        ItemsName = JsonEncodedText.Encode("items"), RetrievalName = JsonEncodedText.Encode("retrieval"), ItemName = JsonEncodedText.Encode("item"),
        TitleName = JsonEncodedText.Encode("title"), FeaturesName = JsonEncodedText.Encode("features");

    private static ReadOnlySpan<byte> RankStart => "{\"rank\":"u8;
    private static ReadOnlySpan<byte> ScoreStart => ",\"score\":"u8;
    private static ReadOnlySpan<byte> BecauseStart => ",\"because\":"u8;

    /// <summary>Per options object: whether the direct writer gives the serializer's bytes.</summary>
    private static readonly ConditionalWeakTable<JsonSerializerOptions, StrongBox<bool>> Equivalent = [];

    /// <summary>Per served model: its items' encoded parts, filled as items are recommended.</summary>
    private static readonly ConditionalWeakTable<LoadedModel, ItemParts> Parts = [];

    // Per thread: the body, and one item while it is put together. Both are written and copied on synchronously, so they
    // are free again before the response's await.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_body;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_item;

    public async Task ExecuteAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        if (!WritesLikeSerializer(options))
        {
            await Results.Ok(Response()).ExecuteAsync(context);
            return;
        }
        var body = t_body ??= new ArrayBufferWriter<byte>(4096);
        body.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true }))
            Write(json, options);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = body.WrittenCount;
        response.BodyWriter.Write(body.WrittenSpan);
        if (body.Capacity > 1 << 20) t_body = null; // a rare huge answer (max-k items with explanations) is not kept per thread
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>The response as records, for the serializer (and for the check of the direct writer).</summary>
    internal RecommendationsResponse Response()
    {
        bool withReasons = explain && !coldStart;
        var items = new List<RecommendedItem>(top.Count);
        for (int r = 0; r < top.Count; r++)
        {
            var s = top[r];
            if (view.NewItemAt(s.Index) is { } added)
            {
                items.Add(new RecommendedItem(offset + r + 1, added.Id, s.Score, Endpoints.CatalogueTitle(added), added.Features(), withReasons ? [] : null));
                continue;
            }
            items.Add(new RecommendedItem(offset + r + 1, model.Trained.Items[s.Index], s.Score, ServingEngine.Title(model, s.Index), ServingEngine.Features(model, s.Index),
                withReasons ? ServingEngine.Explain(model, state, s.Index) : null));
        }
        return new RecommendationsResponse(user, model.Name, model.Version, model.Manifest.Algorithm, k, offset, coldStart, state.NewEvents, items, RetrievalModes.Name(retrieval));
    }

    /// <summary>Writes what <see cref="JsonSerializer"/> writes for <see cref="Response"/> under web defaults.</summary>
    internal void Write(Utf8JsonWriter json, JsonSerializerOptions options)
    {
        bool withReasons = explain && !coldStart;
        WriteHead(json, user, model.Name, model.Version, model.Manifest.Algorithm, k, offset, coldStart, state.NewEvents);
        var parts = PartsOf(model, options);
        for (int r = 0; r < top.Count; r++)
        {
            var s = top[r];
            if (view.NewItemAt(s.Index) is { } added)
            {
                var (id, description) = Encode(options, added.Id, Endpoints.CatalogueTitle(added), null, -1, added.Features());
                WriteItem(json, options, offset + r + 1, id, s.Score, description, withReasons ? [] : null);
            }
            else
            {
                var (id, description) = parts.Of(model, options, s.Index);
                WriteItem(json, options, offset + r + 1, id, s.Score, description, withReasons ? ServingEngine.Explain(model, state, s.Index) : null);
            }
        }
        WriteTail(json, RetrievalModes.Name(retrieval));
    }

    private static void WriteHead(Utf8JsonWriter json, string user, string model, string version, string algorithm, int k, int offset, bool coldStart, int newEvents)
    {
        json.WriteStartObject();
        json.WriteString(UserName, user);
        json.WriteString(ModelName, model);
        json.WriteString(ModelVersionName, version);
        json.WriteString(AlgorithmName, algorithm);
        json.WriteNumber(KName, k);
        json.WriteNumber(OffsetName, offset);
        json.WriteBoolean(ColdStartName, coldStart);
        json.WriteNumber(NewEventsName, newEvents);
        json.WriteStartArray(ItemsName);
    }

    /// <summary>
    /// One <see cref="RecommendedItem"/> from its encoded parts: <c>{"rank":R,ID,"score":S,DESCRIPTION,"because":...}</c>, where
    /// <paramref name="id"/> is <c>"item":"..."</c> and <paramref name="description"/> <c>"title":...,"features":{...}</c>.
    /// </summary>
    private static void WriteItem(Utf8JsonWriter json, JsonSerializerOptions options, int rank, ReadOnlySpan<byte> id, float score, ReadOnlySpan<byte> description,
        IReadOnlyList<Contribution>? because)
    {
        if (!float.IsFinite(score)) json.WriteNumberValue(score); // not a JSON number: throws as the serializer would
        var item = t_item ??= new ArrayBufferWriter<byte>(512);
        item.ResetWrittenCount();
        item.Write(RankStart);
        item.Advance(Format(rank, item.GetSpan(16)));
        item.Write(","u8);
        item.Write(id);
        item.Write(ScoreStart);
        item.Advance(Format(score, item.GetSpan(32)));
        item.Write(","u8);
        item.Write(description);
        item.Write(BecauseStart);
        if (because is null) item.Write("null"u8);
        else
        {
            using var reasons = new Utf8JsonWriter(item, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true });
            JsonSerializer.Serialize(reasons, because, options);
        }
        item.Write("}"u8);
        json.WriteRawValue(item.WrittenSpan, skipInputValidation: true);
        if (item.Capacity > 1 << 16) t_item = null;
    }

    /// <summary>An integer as <see cref="Utf8JsonWriter"/> writes it.</summary>
    private static int Format(int value, Span<byte> into) =>
        value.TryFormat(into, out int written, default, System.Globalization.CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException("no room for a number");

    /// <summary>A finite float as <see cref="Utf8JsonWriter"/> writes it: the shortest text that reads back as the same value.</summary>
    internal static int Format(float value, Span<byte> into) =>
        value.TryFormat(into, out int written, default, System.Globalization.CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException("no room for a number");

    private static void WriteTail(Utf8JsonWriter json, string retrieval)
    {
        json.WriteEndArray();
        json.WriteString(RetrievalName, retrieval);
        json.WriteEndObject();
    }

    /// <summary>
    /// An item's parts, encoded as the serializer writes them: <c>"item":"ID"</c> and <c>"title":...,"features":{...}</c>.
    /// Features come from the model's categorical <paramref name="columns"/> at <paramref name="row"/>, as
    /// <see cref="ServingEngine.Features(Dictionary{string, string?[]}, int)"/> fills a dictionary (the columns in their
    /// order, missing values left out), or from a <paramref name="dictionary"/> (catalogue items).
    /// </summary>
    private static (byte[] Id, byte[] Description) Encode(JsonSerializerOptions options, string id, string? title,
        Dictionary<string, string?[]>? columns, int row, IReadOnlyDictionary<string, string?>? dictionary)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        int idEnd;
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteString(ItemName, id);
            json.Flush();
            idEnd = buffer.WrittenCount;
            if (title is null) json.WriteNull(TitleName);
            else json.WriteString(TitleName, title);
            if (dictionary is not null)
            {
                json.WritePropertyName(FeaturesName);
                JsonSerializer.Serialize(json, dictionary, options);
            }
            else
            {
                json.WriteStartObject(FeaturesName);
                foreach (var (column, values) in columns!)
                    if (row < values.Length && values[row] is { } value) json.WriteString(column, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // {"item":"ID","title":...,"features":{...}}: the parts without the braces and the comma between them.
        var written = buffer.WrittenSpan;
        return (written[1..idEnd].ToArray(), written[(idEnd + 1)..^1].ToArray());
    }

    private static ItemParts PartsOf(LoadedModel model, JsonSerializerOptions options)
    {
        if (Parts.TryGetValue(model, out var parts) && ReferenceEquals(parts.Encoder, options.Encoder)) return parts;
        parts = new ItemParts(options.Encoder, model.Trained.Items.Count);
        Parts.AddOrUpdate(model, parts);
        return parts;
    }

    /// <summary>
    /// The encoded parts of a model's items, made when an item is first recommended and kept with the model (about 150
    /// bytes per item ever recommended; the model's vectors take 4 bytes per dimension per item). Filled without locks:
    /// two requests may encode the same item at once, and both get the same bytes.
    /// </summary>
    private sealed class ItemParts(System.Text.Encodings.Web.JavaScriptEncoder? encoder, int count)
    {
        public System.Text.Encodings.Web.JavaScriptEncoder? Encoder { get; } = encoder;
        private readonly byte[]?[] _ids = new byte[count][];
        private readonly byte[]?[] _descriptions = new byte[count][];

        public (byte[] Id, byte[] Description) Of(LoadedModel model, JsonSerializerOptions options, int item)
        {
            if (_ids[item] is { } id && _descriptions[item] is { } description) return (id, description);
            var parts = Encode(options, model.Trained.Items[item], ServingEngine.Title(model, item), model.Trained.ItemFeatures.Categorical, item, null);
            _descriptions[item] = parts.Description;
            _ids[item] = parts.Id;
            return parts;
        }
    }

    /// <summary>
    /// Whether the direct writer gives, under <paramref name="options"/>, the bytes the serializer gives: checked once per
    /// options object on a sample response with every kind of field (nulls, text to escape, features from columns and
    /// from a dictionary, an empty and a full explanation).
    /// </summary>
    internal static bool WritesLikeSerializer(JsonSerializerOptions options)
    {
        if (Equivalent.TryGetValue(options, out var known)) return known.Value;
        bool same;
        try
        {
            var columns = new Dictionary<string, string?[]>(StringComparer.OrdinalIgnoreCase)
            {
                ["category"] = ["Caf\u00e9 <b> & \"x\"", null], ["Brand"] = ["A'b+c", "\u00fc\n"], ["empty"] = [null, null],
            };
            var labels = new Dictionary<string, string?> { ["title"] = "New \u2603", ["Colour"] = "red" };
            Contribution[] reasons = [new("i<9>", null, 1.5f, 0.25f), new("i8", "T\u00eftle", 2f, 1e-8f)];
            var response = new RecommendationsResponse("u&1 \u00e9", "m<1>", "v'1", "als", 3, 2, false, 7,
            [
                new RecommendedItem(3, "i\"1\"", 0.123456789f, "Title <1>", ServingEngine.Features(columns, 0), reasons),
                new RecommendedItem(4, "i2", -2.5e-7f, null, ServingEngine.Features(columns, 1), null),
                new RecommendedItem(5, "new1", 3.0f, labels["title"], labels, []),
            ], "hnsw");
            var expected = JsonSerializer.SerializeToUtf8Bytes(response, options);
            var written = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(written, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true }))
            {
                WriteHead(json, response.User, response.Model, response.ModelVersion, response.Algorithm, response.K, response.Offset, response.ColdStart, response.NewEvents);
                var (id, description) = Encode(options, "i\"1\"", "Title <1>", columns, 0, null);
                WriteItem(json, options, 3, id, 0.123456789f, description, reasons);
                (id, description) = Encode(options, "i2", null, columns, 1, null);
                WriteItem(json, options, 4, id, -2.5e-7f, description, null);
                (id, description) = Encode(options, "new1", labels["title"], null, -1, labels);
                WriteItem(json, options, 5, id, 3.0f, description, []);
                WriteTail(json, response.Retrieval);
            }
            same = written.WrittenSpan.SequenceEqual(expected);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            same = false; // options the sample cannot go through (a converter of the host's): the serializer answers
        }
        Equivalent.AddOrUpdate(options, new StrongBox<bool>(same));
        return same;
    }
}
