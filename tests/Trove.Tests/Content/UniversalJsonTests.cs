using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Formats;
using Trove.Data.Readers;
using Trove.Tests.Support;

namespace Trove.Tests.Content;

public class UniversalJsonTests
{
    public const string Seed = """
    {
      "user_data": [
        {
          "user_id": 1,
          "image": {"profile_pic": "/path/to/image.jpg"},
          "text": {"bio": "User description", "summary": "Short summary"},
          "categorical": {"country": "USA", "gender": "male"},
          "continuous": {"age": 25.0, "income": 50000.0},
          "temporal": {"prev_interactions": [1, 2, 3], "session_times": [5, 10, 15]}
        }
      ],
      "item_data": [
        {
          "item_id": 101,
          "image": {"main_image": "/path/to/item.jpg"},
          "text": {"title": "Product Name", "description": "Product description"},
          "categorical": {"category": "electronics", "brand": "BrandName"},
          "continuous": {"price": 99.99, "rating": 4.5},
          "temporal": {"price_history": [99.99, 89.99], "view_counts": [10, 20, 30]}
        }
      ],
      "interactions": [
        {"user_id": 1, "item_id": 101, "interaction_type": "purchase", "timestamp": "2024-01-15T10:30:00"}
      ]
    }
    """;

    private static string Write(string json)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "data.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Reads_the_documented_example()
    {
        var data = UniversalJsonReader.Read(Write(Seed));
        Assert.Equal(["1"], data.Users.Ids);
        Assert.Equal(["101"], data.Items.Ids);
        Assert.Equal("/path/to/image.jpg", data.UserFeatures.Images["profile_pic"][0]);
        Assert.Equal("USA", data.UserFeatures.Categorical["country"][0]);
        Assert.Equal(50000f, data.UserFeatures.Numeric["income"][0]);
        Assert.Equal([5f, 10f, 15f], data.UserFeatures.Sequences["session_times"][0]!);
        Assert.Equal("Product Name", data.ItemFeatures.Text["title"][0]);
        Assert.Equal(99.99f, data.ItemFeatures.Numeric["price"][0]);
        Assert.Equal([99.99f, 89.99f], data.ItemFeatures.Sequences["price_history"][0]!);
        Assert.Equal(1, data.Interactions.Count);
        Assert.Equal(0.6f, data.Interactions.Weights[0]); // purchase
        Assert.Equal("purchase", data.Interactions.EventNames[data.Interactions.Events[0]]);
        Assert.Equal(new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.Zero).ToUnixTimeSeconds(), data.Interactions.Timestamps[0]);
    }

    [Fact]
    public void Event_types_map_to_weights_times_score_and_explicit_weight_wins()
    {
        var json = """
        {"interactions": [
          {"user_id": "a", "item_id": "x", "interaction_type": "view"},
          {"user_id": "a", "item_id": "y", "interaction_type": "rating", "rating": 4},
          {"user_id": "a", "item_id": "z", "interaction_type": "view", "weight": 2.5},
          {"user_id": "b", "item_id": "x"},
          {"user_id": "b", "item_id": "y", "interaction_type": "share"}
        ]}
        """;
        var weights = new EventWeights(new Dictionary<string, float> { ["view"] = 0.1f, ["rating"] = 0.2f, ["share"] = 0.7f });
        var data = UniversalJsonReader.Read(Write(json), new UniversalJsonOptions { EventWeights = weights });
        Assert.Equal([0.1f, 0.8f, 2.5f, 1f, 0.7f], data.Interactions.Weights);
        Assert.Equal(-1, data.Interactions.Events[3]);

        var strict = new EventWeights(new Dictionary<string, float> { ["view"] = 0.1f, ["rating"] = 0.2f }, unknownEventWeight: null);
        var e = Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write(json), new UniversalJsonOptions { EventWeights = strict }));
        Assert.Equal("interactions[4].interaction_type", e.Field);
        Assert.Contains("share", e.Message);
    }

    [Fact]
    public void Timestamps_in_every_iso_form_and_unix_seconds_agree()
    {
        var json = """
        {"interactions": [
          {"user_id": 1, "item_id": 1, "timestamp": "2024-01-15T10:30:00"},
          {"user_id": 1, "item_id": 1, "timestamp": "2024-01-15T12:30:00+02:00"},
          {"user_id": 1, "item_id": 1, "timestamp": "2024-01-15T10:30:00Z"},
          {"user_id": 1, "item_id": 1, "timestamp": "2024-01-15T10:30:00.000Z"},
          {"user_id": 1, "item_id": 1, "timestamp": 1705314600},
          {"user_id": 1, "item_id": 1, "timestamp": "2024-01-15 10:30:00"}
        ]}
        """;
        var data = UniversalJsonReader.Read(Write(json));
        Assert.All(data.Interactions.Timestamps, t => Assert.Equal(1705314600L, t));
    }

    private static Dataset Sample()
    {
        var users = new IdMap(["1", "u-2", "007"]);
        var items = new IdMap(["101", "102", "x y"]);
        var b = new InteractionLogBuilder();
        short view = b.EventIndex("view"), purchase = b.EventIndex("purchase");
        b.Add(0, 0, 0.1f, 1705314600, view);
        b.Add(1, 2, 0.6f, 0, purchase);
        b.Add(2, 1, 3.25f, 1705314601, view); // explicit weight
        b.Add(0, 2, 1f);                       // no event type
        var uf = new FeatureTable();
        uf.Categorical["country"] = ["US", null, "FR"];
        uf.Numeric["age"] = [25f, float.NaN, 41.5f];
        uf.Images["pic"] = ["/a.jpg", null, null];
        var itf = new FeatureTable();
        itf.Categorical["genre"] = ["action|comedy", "drama", null];
        itf.Text["title"] = ["Quote \"this\"", "Ünïcode ✓", null];
        itf.Numeric["price"] = [9.99f, 0.1f + 0.2f, float.NaN];
        itf.Sequences["history"] = [[1.5f, 2f], null, []];
        return new Dataset(users, items, b.Build(), uf, itf, "sample");
    }

    [Fact]
    public void Write_then_read_gives_the_same_dataset()
    {
        var original = Sample();
        var path = Path.Combine(TestPaths.NewTempDirectory(), "round.json");
        UniversalJsonWriter.Write(original, path);
        var back = UniversalJsonReader.Read(path);

        Assert.Equal(original.Users.Ids, back.Users.Ids);
        Assert.Equal(original.Items.Ids, back.Items.Ids);
        Assert.Equal(original.Interactions.Users, back.Interactions.Users);
        Assert.Equal(original.Interactions.Items, back.Interactions.Items);
        Assert.Equal(original.Interactions.Weights, back.Interactions.Weights);
        Assert.Equal(original.Interactions.Timestamps, back.Interactions.Timestamps);
        Assert.Equal(original.Interactions.Events, back.Interactions.Events);
        Assert.Equal(original.Interactions.EventNames, back.Interactions.EventNames);
        Assert.Equal(original.Fingerprint(), back.Fingerprint());
        foreach (var (a, b) in new[] { (original.UserFeatures, back.UserFeatures), (original.ItemFeatures, back.ItemFeatures) })
        {
            Assert.Equal(a.Categorical.Keys.Order(), b.Categorical.Keys.Order());
            foreach (var k in a.Categorical.Keys) Assert.Equal(a.Categorical[k], b.Categorical[k]);
            foreach (var k in a.Text.Keys) Assert.Equal(a.Text[k], b.Text[k]);
            foreach (var k in a.Images.Keys) Assert.Equal(a.Images[k], b.Images[k]);
            foreach (var k in a.Numeric.Keys) Assert.Equal(a.Numeric[k], b.Numeric[k]);
            Assert.Equal(a.Sequences.Keys.Order(), b.Sequences.Keys.Order());
            foreach (var k in a.Sequences.Keys) Assert.Equal(a.Sequences[k], b.Sequences[k]);
        }
        // Ids that look like integers are written as numbers, others as strings.
        var text = File.ReadAllText(path);
        Assert.Contains("\"user_id\":1,", text);
        Assert.Contains("\"user_id\":\"007\"", text);
        Assert.Contains("\"timestamp\":\"2024-01-15T10:30:00Z\"", text);
        Assert.Contains("Ünïcode ✓", text); // written as is, not \u-escaped
    }

    [Fact]
    public void Schema_lists_features_per_group_with_types()
    {
        var schema = UniversalJsonReader.InferSchema(Write(Seed));
        Assert.Equal(1, schema.UserRecords);
        Assert.Equal(1, schema.Interactions);
        Assert.Equal(["bio", "summary"], schema.Names("user", FeatureGroup.Text));
        Assert.Equal(["brand", "category"], schema.Names("item", FeatureGroup.Categorical));
        var price = schema.ItemFeatures.Single(f => f.Name == "price");
        Assert.Equal("number", price.Type);
        Assert.Equal(99.99, price.Min, 3);
        Assert.Equal("sequence", schema.ItemFeatures.Single(f => f.Name == "view_counts").Type);
        Assert.Equal(3, schema.ItemFeatures.Single(f => f.Name == "view_counts").MaxLength);
        Assert.Equal("path", schema.ItemFeatures.Single(f => f.Name == "main_image").Type);
        Assert.Equal(1, schema.InteractionTypes["purchase"]);
        Assert.Contains("item.continuous: price", schema.ToString());
    }

    [Fact]
    public void Schema_counts_labels_not_the_combinations_they_come_in()
    {
        var items = string.Join(",", new[] { "Action|Comedy", "Comedy|Drama", "Action", "Drama|Action", "Action|Comedy" }
            .Select((g, i) => $$$"""{"item_id": {{{i}}}, "categorical": {"genres": "{{{g}}}", "brand": "b{{{i % 2}}}"}}"""));
        var schema = UniversalJsonReader.InferSchema(Write($$"""{"user_data": [], "item_data": [{{items}}], "interactions": []}"""));
        var genres = schema.ItemFeatures.Single(f => f.Name == "genres");
        Assert.Equal("labels", genres.Type);
        Assert.Equal(3, genres.Distinct);      // Action, Comedy, Drama
        Assert.Equal(4, genres.Combinations);  // four different values as written
        Assert.Contains("genres (labels, 3 labels in 4 combinations)", schema.ToString());
        Assert.Contains("brand (label, 2 values)", schema.ToString());
    }

    /// <summary>Counts the bytes handed out, to see how far a reader has read.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Position0;
        public override int Read(byte[] buffer, int offset, int count) { int n = inner.Read(buffer, offset, Math.Min(count, 4096)); Position0 += n; return n; }
        public override bool CanRead => true; public override bool CanSeek => false; public override bool CanWrite => false;
        public override long Length => inner.Length; public override long Position { get => Position0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }

    private static string LargeFile(int interactions)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "large.json");
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        w.Write("{\"item_data\": [");
        for (int i = 0; i < 1000; i++)
            w.Write($"{(i > 0 ? "," : "")}\n{{\"item_id\": {i}, \"categorical\": {{\"category\": \"c{i % 7}\"}}, \"continuous\": {{\"price\": {i}.5}}, \"text\": {{\"title\": \"item number {i} with a long title to take space\"}}}}");
        w.Write("],\n\"interactions\": [");
        for (int k = 0; k < interactions; k++)
            w.Write($"{(k > 0 ? "," : "")}\n{{\"user_id\": \"user-{k % 5000}\", \"item_id\": {k * 7 % 1000}, \"interaction_type\": \"{(k % 3 == 0 ? "purchase" : "view")}\", \"timestamp\": \"2024-01-{1 + k % 28:00}T10:30:00Z\"}}");
        w.Write("]}\n");
        return path;
    }

    [Fact]
    public void Streaming_reader_reads_records_incrementally_with_a_bounded_buffer()
    {
        var path = LargeFile(100_000);
        long size = new FileInfo(path).Length;
        Assert.True(size > 10_000_000, $"test file is {size} bytes");
        using var counting = new CountingStream(File.OpenRead(path));
        long seen = 0, readAtFirstInteraction = -1;
        foreach (var record in UniversalJsonReader.ReadRecords(counting, path, bufferSize: 16 * 1024))
        {
            seen++;
            if (record is UniversalInteractionRecord && readAtFirstInteraction < 0) readAtFirstInteraction = counting.Position0;
            if (seen == 1) Assert.True(counting.Position0 <= 32 * 1024, $"read {counting.Position0} bytes before the first record");
        }
        Assert.Equal(101_000, seen);
        Assert.InRange(readAtFirstInteraction, 1, 200_000); // the items section is ~100 KB; the rest was not read yet
        Assert.Equal(size, counting.Position0);

        using var stream = new JsonRecordStream(File.OpenRead(path), path, 16 * 1024);
        Assert.Equal(System.Text.Json.JsonTokenType.StartObject, stream.NextToken(out _));
        Assert.True(stream.BufferSize <= 64 * 1024);

        var data = UniversalJsonReader.Read(path);
        Assert.Equal(100_000, data.Interactions.Count);
        Assert.Equal(5000, data.UserCount);
        Assert.Equal(1000, data.ItemCount);
        Assert.Equal("item number 3 with a long title to take space", data.ItemFeatures.Text["title"][data.Items.IndexOf("3")]);
    }

    [Fact]
    public void A_record_larger_than_the_buffer_grows_it()
    {
        var title = new string('x', 100_000);
        var path = Write($"{{\"item_data\": [{{\"item_id\": 1, \"text\": {{\"title\": \"{title}\"}}}}], \"interactions\": [{{\"user_id\": 1, \"item_id\": 1}}]}}");
        var records = UniversalJsonReader.ReadRecords(File.OpenRead(path), path, bufferSize: 1024).ToList();
        Assert.Equal(title, ((UniversalEntityRecord)records[0]).Features[0].Text);
    }

    [Theory]
    [InlineData("""{"interactions": [{"user_id": 1, "item_id": 2}, {"item_id": 3}]}""", "interactions[1].user_id", "missing user_id", 1)]
    [InlineData("""{"interactions": [{"user_id": 1}]}""", "interactions[0].item_id", "missing item_id", 1)]
    [InlineData("""{"interactions": [{"user_id": {"a": 1}, "item_id": 2}]}""", "interactions[0].user_id", "expected a string or integer id", 1)]
    [InlineData("""{"interactions": [{"user_id": 1, "item_id": 2, "timestamp": "yesterday"}]}""", "interactions[0].timestamp", "ISO-8601", 1)]
    [InlineData("""{"interactions": [{"user_id": 1, "item_id": 2, "timestamp": true}]}""", "interactions[0].timestamp", "ISO-8601", 1)]
    [InlineData("""{"interactions": [{"user_id": 1, "item_id": 2, "weight": -1}]}""", "interactions[0].weight", "negative", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "continuous": {"price": "NaN"}}]}""", "item_data[0].continuous.price", "NaN", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "continuous": {"price": "cheap"}}]}""", "item_data[0].continuous.price", "expected a number", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "continuous": {"price": 1e999}}]}""", "item_data[0].continuous.price", "out of range", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "categorical": {"c": {"x": 1}}}]}""", "item_data[0].categorical.c", "expected a string", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "temporal": {"h": [1, "x"]}}]}""", "item_data[0].temporal.h[1]", "timestamp", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "text": {"t": 3}}]}""", "item_data[0].text.t", "expected a string", 1)]
    [InlineData("""{"item_data": [{"item_id": 5, "text": "hello"}]}""", "item_data[0].text", "expected an object", 1)]
    [InlineData("""{"item_data": [{"categorical": {"c": "a"}}]}""", "item_data[0].item_id", "missing item_id", 1)]
    [InlineData("""{"user_data": [{"user_id": 1}, {"user_id": 1}]}""", "user_data[1].user_id", "duplicate id", 1)]
    [InlineData("{\"interactions\": [\n{\"user_id\": 1, \"item_id\": 2},\n{\"user_id\": 1, \"item_id\": 2},\n{\"user_id\": 1,\n \"item_id\": 2, \"timestamp\": \"2024-13-45\"}]}", "interactions[2].timestamp", "ISO-8601", 5)]
    public void Validation_errors_name_the_record_and_field(string json, string field, string problem, long line)
    {
        var e = Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write(json)));
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem);
        Assert.Equal(line, e.Line);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Malformed_json_reports_the_line()
    {
        var e = Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write("{\"interactions\": [\n{\"user_id\": 1, \"item_id\": 2},\n{\"user_id\": NaN, \"item_id\": 2}]}")));
        Assert.Contains("malformed JSON", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write("[1, 2]")));
        Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write("{\"interactions\": [1]}")));
        Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write("{\"interactions\": [{\"user_id\": 1, \"item_id\": 2}")));
    }

    [Fact]
    public void Unknown_sections_are_skipped_and_sections_may_come_in_any_order()
    {
        var json = """
        {"meta": {"version": [1, {"x": 2}]},
         "interactions": [{"user_id": "u", "item_id": "i", "interaction_type": "view"}],
         "item_data": [{"item_id": "i", "categorical": {"genre": ["rock", "pop"], "year": 1999}}]}
        """;
        var data = UniversalJsonReader.Read(Write(json));
        Assert.Equal("rock|pop", data.ItemFeatures.Categorical["genre"][0]);
        Assert.Equal("1999", data.ItemFeatures.Categorical["year"][0]);
        Assert.Equal(1, data.Interactions.Count);
        var strict = Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(Write(json), new UniversalJsonOptions { RequireKnownIds = true }));
        Assert.Equal("interactions[0].user_id", strict.Field);
    }

    [Fact]
    public void A_byte_order_mark_is_skipped()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "bom.json");
        File.WriteAllText(path, Seed, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);
        Assert.Equal(1, UniversalJsonReader.Read(path).Interactions.Count);
    }

    [Fact]
    public void DatasetLoader_detects_universal_json()
    {
        var path = Write(Seed);
        Assert.Equal("json", DatasetLoader.Resolve(path).Name);
        var data = DatasetLoader.Load(path);
        Assert.Equal(1, data.Interactions.Count);
        Assert.Equal("electronics", data.ItemFeatures.Categorical["category"][0]);
    }
}
