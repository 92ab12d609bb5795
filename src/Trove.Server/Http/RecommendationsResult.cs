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
/// The answer of GET /users/{user}/recommendations (a <see cref="RecommendationsResponse"/>), written straight from the
/// model's columns with a <see cref="Utf8JsonWriter"/>: no response records, no feature dictionary per item and no
/// reflection-driven serializer on the hottest path of the server. The bytes are those <see cref="JsonSerializer"/>
/// writes for the same response with the application's JSON options: the first request under a given options object
/// checks this on a sample response (see <see cref="WritesLikeSerializer"/>), and options that change the shape (a host
/// application's own naming policy, ignored nulls, indentation, converters) get the serializer itself. The body goes
/// out with a Content-Length in one write.
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
        ItemsName = JsonEncodedText.Encode("items"), RetrievalName = JsonEncodedText.Encode("retrieval"), RankName = JsonEncodedText.Encode("rank"),
        ItemName = JsonEncodedText.Encode("item"), ScoreName = JsonEncodedText.Encode("score"), TitleName = JsonEncodedText.Encode("title"),
        FeaturesName = JsonEncodedText.Encode("features"), BecauseName = JsonEncodedText.Encode("because");

    /// <summary>Per options object: whether the direct writer gives the serializer's bytes.</summary>
    private static readonly ConditionalWeakTable<JsonSerializerOptions, StrongBox<bool>> Equivalent = [];

    /// <summary>A buffer per thread: the body is written and copied into the response synchronously, so it is free again before any await.</summary>
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    public async Task ExecuteAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        if (!WritesLikeSerializer(options))
        {
            await Results.Ok(Response()).ExecuteAsync(context);
            return;
        }
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = options.Encoder, SkipValidation = true }))
            Write(json, options);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan);
        if (buffer.Capacity > 1 << 20) t_buffer = null; // a rare huge answer (max-k items with explanations) is not kept per thread
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

    /// <summary>Writes what <see cref="JsonSerializer"/> writes for <see cref="Response"/> under web defaults, field by field.</summary>
    internal void Write(Utf8JsonWriter json, JsonSerializerOptions options)
    {
        bool withReasons = explain && !coldStart;
        WriteHead(json, user, model.Name, model.Version, model.Manifest.Algorithm, k, offset, coldStart, state.NewEvents);
        var categorical = model.Trained.ItemFeatures.Categorical;
        for (int r = 0; r < top.Count; r++)
        {
            var s = top[r];
            if (view.NewItemAt(s.Index) is { } added)
                WriteItem(json, options, offset + r + 1, added.Id, s.Score, Endpoints.CatalogueTitle(added), null, -1, added.Features(), withReasons ? [] : null);
            else
                WriteItem(json, options, offset + r + 1, model.Trained.Items[s.Index], s.Score, ServingEngine.Title(model, s.Index), categorical, s.Index, null,
                    withReasons ? ServingEngine.Explain(model, state, s.Index) : null);
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
    /// One <see cref="RecommendedItem"/>. Its features come either from the model's categorical <paramref name="columns"/> at
    /// <paramref name="row"/>, written as <see cref="ServingEngine.Features(Dictionary{string, string?[]}, int)"/> fills a dictionary (the columns in their
    /// order, missing values left out), or from a <paramref name="dictionary"/> (catalogue items).
    /// </summary>
    private static void WriteItem(Utf8JsonWriter json, JsonSerializerOptions options, int rank, string id, float score, string? title,
        Dictionary<string, string?[]>? columns, int row, IReadOnlyDictionary<string, string?>? dictionary, IReadOnlyList<Contribution>? because)
    {
        json.WriteStartObject();
        json.WriteNumber(RankName, rank);
        json.WriteString(ItemName, id);
        json.WriteNumber(ScoreName, score);
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
        json.WritePropertyName(BecauseName);
        if (because is null) json.WriteNullValue();
        else JsonSerializer.Serialize(json, because, options);
        json.WriteEndObject();
    }

    private static void WriteTail(Utf8JsonWriter json, string retrieval)
    {
        json.WriteEndArray();
        json.WriteString(RetrievalName, retrieval);
        json.WriteEndObject();
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
                WriteItem(json, options, 3, "i\"1\"", 0.123456789f, "Title <1>", columns, 0, null, reasons);
                WriteItem(json, options, 4, "i2", -2.5e-7f, null, columns, 1, null, null);
                WriteItem(json, options, 5, "new1", 3.0f, labels["title"], null, -1, labels, []);
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
